"""The magnet engine against independent SQL counts, on demo data and on hand-made cases."""

import datetime

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import CommandError, call_command
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.indicators.models import ObservationState
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.registry.demo import demo_registry_generate
from pilotage.registry.magnets import InvalidQuery, magnet_index
from pilotage.registry.management.commands.magnets_report import quarter_bounds
from pilotage.registry.models import Magnet, Organisation, Relation, RelationKind
from pilotage.registry.services import magnet_observe, magnet_save, relation_save
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.taxonomies.models import TermAssignment

EXAMPLE = (
    "type=startup&technologies=artificial-intelligence&event=international-mission"
    "&funded_by=DW-WING&laureate_of=DW-START-IA&laureate_of=DW-TREMPLIN-IA&laureate_of=DW-CAP-IA"
)


@pytest.fixture
def demo(shipped_data, request):
    request.applymarker(pytest.mark.slow)
    demo_registry_generate(1500, seed=11)


def organisations_with(relation_filter: Q) -> set[int]:
    return set(Relation.objects.filter(relation_filter).values_list("organisation_id", flat=True))


def test_the_seeds_example_magnet_counts_what_sql_counts(demo):
    """AI startups that took part in an international mission, were funded by W.IN.G and
    won a call of the DW4AI programme (004)."""
    tagged = set(
        TermAssignment.objects.filter(
            content_type=ContentType.objects.get_for_model(Organisation),
            term__taxonomy__code="technologies",
            term__code="artificial-intelligence",
        ).values_list("object_id", flat=True)
    )
    startups = set(Organisation.objects.filter(type__code="startup").values_list("pk", flat=True))
    expected = (
        startups
        & tagged
        & organisations_with(
            Q(kind=RelationKind.PARTICIPANT_IN, target_event__type__code="international-mission")
        )
        & organisations_with(Q(kind=RelationKind.FUNDED_BY, target_action__code="DW-WING"))
        & organisations_with(
            Q(
                kind=RelationKind.LAUREATE_OF,
                target_action__code__in=["DW-START-IA", "DW-TREMPLIN-IA", "DW-CAP-IA"],
            )
        )
    )
    index = magnet_index()
    found = index.matching(index.parse(QueryDict(EXAMPLE)))
    assert expected, "the demo data should hold some of these organisations"
    assert set(found) == expected


def test_a_facets_counts_ignore_its_own_selection_and_not_subtracts(demo):
    index = magnet_index()
    query = index.parse(QueryDict("type=startup&type=company&not-province=hainaut"))
    counts = {facet.key: facet for facet in index.facet_counts(query)}
    not_hainaut = Organisation.objects.exclude(province__code="hainaut")
    for value in counts["type"].values:
        # A type counts its subtypes' organisations too (a startup is a company).
        of_type = Q(type__code=value.code) | Q(type__parent__code=value.code)
        assert value.count == not_hainaut.filter(of_type).count()
    for value in counts["province"].values:
        # The province facet ignores its own NOT: each province counts its startups and
        # companies, Hainaut included.
        expected = Organisation.objects.filter(
            type__code__in=["startup", "company"], province__code=value.code
        ).count()  # the type facet's selection still applies
        assert value.count == expected
    assert index.count(query) == not_hainaut.filter(type__code__in=["startup", "company"]).count()


def test_a_parent_value_counts_distinct_organisations(demo):
    index = magnet_index()
    counts = {f.key: f for f in index.facet_counts(index.parse(QueryDict("")))}
    missions = {value.code: value for value in counts["event"].values}
    parent = missions["international-mission"]
    children = [v for v in counts["event"].values if v.depth == 1]
    assert parent.count == len(
        organisations_with(
            Q(kind=RelationKind.PARTICIPANT_IN, target_event__type__code="international-mission")
        )
    )
    assert parent.count < sum(child.count for child in children)  # some went twice or more


def test_as_of_a_date_only_running_relations_count(db):
    cluster = OrganisationFactory(code="CLUSTER")
    member = OrganisationFactory()
    Relation.objects.create(
        organisation=member,
        kind=RelationKind.MEMBER_OF,
        target_organisation=cluster,
        start_date=datetime.date(2020, 1, 1),
        end_date=datetime.date(2022, 12, 31),
    )
    index = magnet_index()
    during = index.parse(QueryDict("member_of=CLUSTER&as_of=2021-06-30"))
    after = index.parse(QueryDict("member_of=CLUSTER&as_of=2024-06-30"))
    assert index.count(during) == 1
    assert index.count(after) == 0
    assert index.count(index.parse(QueryDict("member_of=CLUSTER"))) == 1  # ever a member


def test_the_index_follows_writes_at_the_next_query(db):
    fund = OrganisationFactory(code="FUND")
    startup = OrganisationFactory()
    index = magnet_index()
    assert index.count(index.parse(QueryDict(""))) == 2
    relation = relation_save(
        actor=SteeringFactory(),
        relation=Relation(
            organisation=startup, kind=RelationKind.INCUBATED_BY, target_organisation=fund
        ),
    )
    index = magnet_index()
    assert index.count(index.parse(QueryDict("incubated_by=FUND"))) == 1
    relation.delete()
    index = magnet_index()
    assert index.count(index.parse(QueryDict("incubated_by=FUND"))) == 0


@pytest.mark.parametrize(
    ("query", "field", "code"),
    [
        ("colour=red", "colour", "unknown_facet"),
        ("type=spaceship", "type", "unknown_value"),
        ("not-province=atlantis", "not-province", "unknown_value"),
        ("as_of=2024-13-01", "as_of", "invalid_date"),
    ],
)
def test_an_unknown_facet_or_value_is_refused_with_its_name(demo, query, field, code):
    with pytest.raises(InvalidQuery) as refused:
        magnet_index().parse(QueryDict(query))
    assert (refused.value.field, refused.value.code) == (field, code)


def test_a_magnet_feeds_its_indicator_every_quarter_with_history(demo):
    steering = SteeringFactory()
    indicator = IndicatorFactory(code="AI-STARTUPS-WING")
    magnet = magnet_save(
        actor=steering,
        magnet=Magnet(
            code="ai-wing",
            title_fr="Startups IA financées par W.IN.G",
            query="type=startup&technologies=artificial-intelligence&funded_by=DW-WING",
            indicator=indicator,
        ),
    )
    quarters = [
        (datetime.date(2019, 1, 1), datetime.date(2019, 3, 31)),
        (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31)),
    ]
    for start, end in quarters:
        magnet_observe(actor=steering, magnet=magnet, period_start=start, period_end=end)
    values = list(indicator.observations.order_by("period_end").values_list("value", "state"))
    index = magnet_index()
    expected = [
        index.count(index.parse(QueryDict(f"{magnet.query}&as_of={end.isoformat()}")))
        for _start, end in quarters
    ]
    assert [int(value) for value, _state in values] == expected
    assert {state for _value, state in values} == {ObservationState.SUBMITTED}
    assert expected[0] <= expected[1]  # funding relations accumulate over time


def test_a_magnet_with_an_unknown_facet_is_refused(demo):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        magnet_save(actor=SteeringFactory(), magnet=Magnet(code="bad", title_fr="x", query="x=y"))


def test_the_quarterly_command_reports_every_linked_magnet(db, capsys):
    steering = SteeringFactory(email="pilote@example.org")
    cluster = OrganisationFactory(code="CLUSTER")
    for member in (OrganisationFactory(), OrganisationFactory()):
        Relation.objects.create(
            organisation=member,
            kind=RelationKind.MEMBER_OF,
            target_organisation=cluster,
            start_date=datetime.date(2026, 8, 1),
        )
    indicator = IndicatorFactory(code="CLUSTER-MEMBERS")
    magnet_save(
        actor=steering,
        magnet=Magnet(
            code="members", title_fr="Membres", query="member_of=CLUSTER", indicator=indicator
        ),
    )
    call_command("magnets_report", quarter="2026-Q2", actor=steering.email)
    call_command("magnets_report", quarter="2026-Q3", actor=steering.email)
    values = indicator.observations.order_by("period_end").values_list("period_end", "value")
    assert [(end.isoformat(), int(value)) for end, value in values] == [
        ("2026-06-30", 0),  # not yet members
        ("2026-09-30", 2),
    ]


def test_the_quarterly_command_refuses_a_quarter_that_has_not_ended(db):
    steering = SteeringFactory(email="pilote@example.org")
    Relation.objects.create(
        organisation=OrganisationFactory(),
        kind=RelationKind.MEMBER_OF,
        target_organisation=OrganisationFactory(code="CLUSTER"),
        start_date=datetime.date(2026, 8, 1),
    )
    indicator = IndicatorFactory(code="CLUSTER-MEMBERS")
    magnet_save(
        actor=steering,
        magnet=Magnet(
            code="members", title_fr="Membres", query="member_of=CLUSTER", indicator=indicator
        ),
    )
    today = timezone.localdate()
    quarter = (today.month - 1) // 3 + 1  # the current quarter ends after today, or today
    current = f"{today.year}-Q{quarter}"
    next_year = f"{today.year + 1}-Q1"
    _start, current_end = quarter_bounds(current)

    for text, ends in [(current, current_end), (next_year, datetime.date(today.year + 1, 3, 31))]:
        if ends <= today:  # the last day of a quarter: it has ended by the command's rule
            continue
        with pytest.raises(CommandError) as refused:
            call_command("magnets_report", quarter=text, actor=steering.email)
        # French, the reference language, with the date as French readers write it.
        assert str(refused.value) == (
            f"Le trimestre {text} n'est pas terminé : il se termine le {ends:%d/%m/%Y}."
        )
    assert not indicator.observations.exists()


def test_the_magnet_service_refuses_a_period_not_ended_as_well(db):
    from django.core.exceptions import ValidationError

    steering = SteeringFactory()
    Relation.objects.create(
        organisation=OrganisationFactory(),
        kind=RelationKind.MEMBER_OF,
        target_organisation=OrganisationFactory(code="CLUSTER"),
        start_date=datetime.date(2026, 8, 1),
    )
    indicator = IndicatorFactory(code="CLUSTER-MEMBERS")
    magnet = magnet_save(
        actor=steering,
        magnet=Magnet(
            code="members", title_fr="Membres", query="member_of=CLUSTER", indicator=indicator
        ),
    )
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        magnet_observe(actor=steering, magnet=magnet, period_start=tomorrow, period_end=tomorrow)

    assert refused.value.error_dict["period_end"][0].code == "period-not-ended"
    assert not indicator.observations.exists()
