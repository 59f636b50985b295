"""The change log the magnet index follows: written only for what the index reads, pruned,
and a process that slept through a pruning rebuilds."""

import datetime
from types import SimpleNamespace

import pytest
from django.http import QueryDict
from django.utils import timezone, translation

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.api import data_version
from pilotage.registry.magnets import MagnetIndex, magnet_index, registry_changes_prune
from pilotage.registry.models import Event, RegistryChange, Relation, RelationKind
from pilotage.registry.services import organisation_save, relation_save
from pilotage.registry.signals import registry_changed
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import ActionPartner, StrategyStatus
from pilotage.strategies.services import action_nodes_set, action_update, strategy_save
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.services import record_terms_apply, term_save
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db


def last_change() -> int:
    return max(RegistryChange.objects.values_list("pk", flat=True), default=0)


def changes_since(pk: int) -> list[int | None]:
    """The organisations of the changes written after `pk` (None: anything)."""
    rows = RegistryChange.objects.filter(pk__gt=pk).order_by("pk")
    return list(rows.values_list("organisation_id", flat=True))


def labels(facet: str) -> dict[str, str]:
    index = magnet_index()
    counts = {f.key: f for f in index.facet_counts(index.parse(QueryDict("")))}
    return {value.code: value.label for value in counts[facet].values}


def found(query: str) -> set[int]:
    index = magnet_index()
    return set(index.matching(index.parse(QueryDict(query))))


@pytest.fixture
def world():
    """A public strategy's node served by an action (a lead, a partner), a draft strategy's
    node, a cluster with a member, an event, and a taxonomy applied to organisations."""
    lead, partner, member, cluster = (OrganisationFactory() for _ in range(4))
    public_node = StrategyNodeFactory(strategy=StrategyFactory(code="SRI"), code="1")
    draft_node = StrategyNodeFactory(
        strategy=StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT), code="1"
    )
    action = ActionFactory(code="ACT", title_fr="Action", title_en="Action en", lead=lead)
    action.nodes.add(public_node)
    ActionPartner.objects.create(action=action, organisation=partner)
    relation = Relation.objects.create(
        organisation=member, kind=RelationKind.MEMBER_OF, target_organisation=cluster
    )
    event = Event.objects.create(
        code="FAIR",
        title_fr="Salon",
        type=TermFactory(taxonomy=TaxonomyFactory(code="event-types"), code="fair"),
        start_date=datetime.date(2025, 3, 1),
    )
    technologies = TaxonomyFactory(code="technologies")
    ai = TermFactory(taxonomy=technologies, code="ai", label_fr="IA")
    record_terms_apply(record=member, taxonomy=technologies, terms=[ai])
    return SimpleNamespace(
        steering=SteeringFactory(),
        lead=lead,
        partner=partner,
        member=member,
        cluster=cluster,
        public_node=public_node,
        draft_node=draft_node,
        action=action,
        relation=relation,
        event=event,
        ai=ai,
    )


def _action_text(w):
    action_update(
        actor=w.steering,
        action=w.action,
        description_fr="Nouvelle description",
        status="completed",
        end_date=datetime.date(2027, 12, 31),
    )


def _action_saved_as_is(w):
    w.action.save()


def _strategy_title(w):
    w.public_node.strategy.title_fr = "Autre titre"
    w.public_node.strategy.save()


def _draft_node_title(w):
    w.draft_node.title_fr = "Autre ambition"
    w.draft_node.save()


def _public_node_weight(w):
    w.public_node.weight = 3
    w.public_node.save()


def _event_place(w):
    w.event.location = "Namur"
    w.event.description_fr = "Le salon annuel."
    w.event.save()


def _relation_amount(w):
    w.relation.role = "fondateur"
    w.relation.amount = 1000
    relation_save(actor=w.steering, relation=w.relation)


def _term_definition(w):
    w.ai.definition_fr = "Une autre définition."
    term_save(actor=w.steering, term=w.ai)


def _organisation_website(w):
    w.member.website = "https://example.org"
    organisation_save(actor=w.steering, organisation=w.member)


def _draft_node_joined(w):
    w.action.nodes.add(w.draft_node)


@pytest.mark.parametrize(
    "edit",
    [
        _action_text,
        _action_saved_as_is,
        _strategy_title,
        _draft_node_title,
        _public_node_weight,
        _event_place,
        _relation_amount,
        _term_definition,
        _organisation_website,
        _draft_node_joined,
    ],
)
def test_a_write_the_index_does_not_read_logs_nothing(world, edit):
    since = last_change()
    edit(world)
    assert changes_since(since) == []


@pytest.mark.parametrize(("column", "language"), [("title_fr", "fr"), ("title_en", "en")])
def test_an_action_title_is_logged_and_its_facet_label_follows(world, column, language):
    with translation.override(language):
        assert labels("action")["ACT"] == getattr(world.action, column)
    since = last_change()
    action_update(actor=world.steering, action=world.action, **{column: "Appel à projets"})
    assert changes_since(since) == [None]
    with translation.override(language):
        assert labels("action")["ACT"] == "Appel à projets"


def test_a_term_relabel_is_seen_at_the_next_query(world):
    assert labels("technologies") == {"ai": "IA"}
    since = last_change()
    world.ai.label_fr = "Intelligence artificielle"
    term_save(actor=world.steering, term=world.ai)
    assert changes_since(since) == [None]
    assert labels("technologies") == {"ai": "Intelligence artificielle"}


def test_an_action_joining_a_public_node_counts_its_organisations_in_the_programme(world):
    other = StrategyNodeFactory(
        strategy=world.public_node.strategy, level=world.public_node.level, code="2"
    )
    assert found("programme=SRI:2") == set()
    since = last_change()
    action_nodes_set(actor=world.steering, action=world.action, nodes=[other])
    assert changes_since(since) == [None, None]  # leaving 1, joining 2
    assert found("programme=SRI:2") == {world.lead.pk, world.partner.pk}
    assert found("programme=SRI:1") == set()


def test_an_action_serving_only_a_draft_is_no_facet_value_until_its_strategy_is_adopted(world):
    hidden = ActionFactory(code="ACT-DRAFT", lead=world.lead)
    hidden.nodes.add(world.draft_node)
    relation_save(
        actor=world.steering,
        relation=Relation(
            organisation=world.member, kind=RelationKind.LAUREATE_OF, target_action=hidden
        ),
    )
    ActionPartner.objects.create(action=hidden, organisation=world.partner)
    index = magnet_index()
    assert "ACT-DRAFT" not in index.labels["action"]
    assert "ACT-DRAFT" not in index.labels["laureate_of"]

    world.draft_node.strategy.status = StrategyStatus.ADOPTED
    strategy_save(actor=world.steering, strategy=world.draft_node.strategy)
    assert found("action=ACT-DRAFT") == {world.lead.pk, world.partner.pk}
    assert found("laureate_of=ACT-DRAFT") == {world.member.pk}


def test_a_relation_moved_to_another_organisation_recounts_both(world):
    newcomer = OrganisationFactory()
    assert found(f"member_of={world.cluster.code}") == {world.member.pk}
    since = last_change()
    world.relation.organisation = newcomer
    relation_save(actor=world.steering, relation=world.relation)
    assert sorted(changes_since(since)) == sorted([world.member.pk, newcomer.pk])
    assert found(f"member_of={world.cluster.code}") == {newcomer.pk}


def test_a_renamed_and_recoded_target_organisation_is_followed(world):
    since = last_change()
    world.cluster.code, world.cluster.name = "CLUSTER-BIS", "Le cluster"
    organisation_save(actor=world.steering, organisation=world.cluster)
    assert changes_since(since) == [None]
    assert found("member_of=CLUSTER-BIS") == {world.member.pk}
    assert labels("member_of")["CLUSTER-BIS"] == "Le cluster"


def test_a_first_target_organisation_is_a_value_of_the_vocabulary(world):
    incubator = OrganisationFactory(name="L'incubateur")
    magnet_index()
    since = last_change()
    relation_save(
        actor=world.steering,
        relation=Relation(
            organisation=world.partner,
            kind=RelationKind.INCUBATED_BY,
            target_organisation=incubator,
        ),
    )
    assert changes_since(since) == [None]
    assert labels("incubated_by")[incubator.code] == "L'incubateur"


def test_a_taxonomy_first_applied_to_organisations_becomes_a_facet(world):
    markets = TaxonomyFactory(code="markets")
    export = TermFactory(taxonomy=markets, code="export")
    assert "markets" not in {facet.key for facet in magnet_index().facets}
    record_terms_apply(record=world.partner, taxonomy=markets, terms=[export])
    assert found("markets=export") == {world.partner.pk}
    record_terms_apply(record=world.lead, taxonomy=markets, terms=[export])
    assert found("markets=export") == {world.partner.pk, world.lead.pk}


def test_a_new_lead_counts_and_the_former_one_no_longer(world):
    newcomer = OrganisationFactory()
    since = last_change()
    action_update(actor=world.steering, action=world.action, lead=newcomer)
    assert sorted(changes_since(since)) == sorted([world.lead.pk, newcomer.pk])
    assert found("action=ACT") == {world.partner.pk, newcomer.pk}


def _age(pks, age: datetime.timedelta) -> None:
    RegistryChange.objects.filter(pk__in=pks).update(updated_at=timezone.now() - age)


def test_pruning_removes_old_changes_and_keeps_the_newest():
    first, second, recent, newest = (
        RegistryChange.objects.create(organisation_id=pk).pk for pk in range(4)
    )
    _age([first, second], datetime.timedelta(days=2))
    _age([recent], datetime.timedelta(hours=2))
    assert registry_changes_prune() == 2
    assert list(RegistryChange.objects.order_by("pk").values_list("pk", flat=True)) == [
        recent,
        newest,
    ]
    _age([recent, newest], datetime.timedelta(days=3))
    assert registry_changes_prune() == 1
    assert list(RegistryChange.objects.values_list("pk", flat=True)) == [newest]


def test_writing_a_change_prunes_the_log_once_its_oldest_row_is_past_due():
    old, young = (RegistryChange.objects.create(organisation_id=pk).pk for pk in range(2))
    _age([old, young], datetime.timedelta(hours=24, minutes=50))
    registry_changed([7])
    assert RegistryChange.objects.count() == 3  # a day old, not yet an hour more
    _age([old], datetime.timedelta(hours=25, minutes=10))
    registry_changed([8])
    remaining = RegistryChange.objects.order_by("pk").values_list("organisation_id", flat=True)
    assert list(remaining) == [7, 8]


def test_a_process_behind_a_pruned_gap_rebuilds_and_counts_right():
    cluster = OrganisationFactory(code="CLUSTER")
    founder, early, late = OrganisationFactory(), OrganisationFactory(), OrganisationFactory()

    def join(member):
        Relation.objects.create(
            organisation=member, kind=RelationKind.MEMBER_OF, target_organisation=cluster
        )

    join(founder)
    asleep = MagnetIndex.build()  # one process, silent from now on
    join(early)
    awake = MagnetIndex.build()  # another, that has seen the early member
    since = last_change()
    join(late)
    assert changes_since(since) == [late.pk]  # one organisation's change, no rebuild asked
    _age(RegistryChange.objects.values_list("pk", flat=True), datetime.timedelta(days=2))
    registry_changes_prune()
    assert RegistryChange.objects.get().organisation_id == late.pk  # the newest, kept
    query = QueryDict("member_of=CLUSTER")

    rebuilt = asleep.refresh()
    assert rebuilt is not asleep  # patching only `late` would miss `early`
    assert set(rebuilt.matching(rebuilt.parse(query))) == {founder.pk, early.pk, late.pk}
    patched = awake.refresh()
    assert patched is awake  # nothing it had not seen was pruned
    assert set(patched.matching(patched.parse(query))) == {founder.pk, early.pk, late.pk}


def test_the_registry_apis_data_version_moves_on_after_pruning():
    rows = [RegistryChange.objects.create(organisation_id=pk).pk for pk in range(3)]
    before = data_version("/api/v1/registry/")[0]
    _age(rows[:2], datetime.timedelta(days=2))
    registry_changes_prune()
    registry_changed([1, 2])  # three rows again, as many as before
    assert RegistryChange.objects.count() == 3
    assert data_version("/api/v1/registry/")[0] != before
