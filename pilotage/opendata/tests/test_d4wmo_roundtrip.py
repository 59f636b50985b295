"""D4WMO-AP in and out: Pilotage's own export imports again, matched by identifiers."""

import datetime
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from rdflib import DCTERMS, RDF, Graph
from rdflib.compare import graph_diff, isomorphic, to_isomorphic

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.models import BudgetLine
from pilotage.core.revisions import current_revision
from pilotage.opendata.d4wmo import D4W, D4wmoError, d4wmo_export, d4wmo_import
from pilotage.registry.models import Event, Organisation, Person
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import (
    Action,
    ActionPartner,
    Strategy,
    StrategyLevel,
    StrategyNode,
    StrategyStatus,
)
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.models import Term, TermAssignment

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry(shipped_data):
    """The shipped data, with what the shipped files have none of: a person who agreed
    to be shown, one who did not, an event and an organisation with an enterprise number."""
    organiser = OrganisationFactory(code="AGORIA", name="Agoria", description_fr="Fédération")
    Person.objects.create(
        code="alice",
        given_name="Alice",
        family_name="Martin",
        display_refusal=False,
        email="alice@example.org",
    )
    Person.objects.create(code="bob", given_name="Bob", family_name="Secret")
    event = Event.objects.create(
        code="salon-2025",
        title_fr="Salon du numérique",
        description_fr="Deux jours.",
        type=Term.objects.get(taxonomy__code="event-types", code="trade-fair"),
        start_date=datetime.date(2025, 3, 4),
        start_time=datetime.time(9, 30),
        end_date=datetime.date(2025, 3, 5),
        location="Namur Expo",
    )
    event.organisers.set([organiser, Organisation.objects.get(code="AdN")])
    # An action with a partner and two budget lines of a year (one annual budget).
    action = Action.objects.filter(nodes__isnull=False).order_by("code").first()
    strategy = action.nodes.first().strategy
    ActionPartner.objects.create(action=action, organisation=organiser, role_fr="Relais")
    source = Term.objects.filter(taxonomy__code="funding-sources").first()
    for code, amount in (("L1", "1000.50"), ("L2", "2000.00")):
        BudgetLine.objects.create(
            code=code,
            strategy=strategy,
            action=action,
            year=strategy.period_start.year,
            source=source,
            amount=Decimal(amount),
        )
    return organiser


def _graph(text: str) -> Graph:
    return Graph().parse(data=text, format="turtle")


@pytest.mark.slow
def test_importing_the_own_export_again_changes_nothing(registry):
    actor = SteeringFactory()
    exported = d4wmo_export()
    organisations, audit, revision = (
        Organisation.objects.count(),
        LogEntry.objects.count(),
        current_revision(),
    )

    counts = d4wmo_import(actor=actor, content=exported.encode(), name="d4wmo.ttl")

    assert counts["organisations"] == {"unchanged": organisations}
    assert counts["persons"] == {"unchanged": 1}  # only who agreed to be shown is exported
    assert counts["events"] == {"unchanged": 1}
    assert counts["action plans"] == {"unchanged": Action.objects.count()}
    assert counts["roles"] == {"unchanged": Action.objects.exclude(lead=None).count() + 1}
    assert counts["annual budgets"] == {"unchanged": 1}
    assert counts["strategies"] == {"unchanged": Strategy.objects.public().count()}
    assert counts["levels"] == {"unchanged": StrategyLevel.objects.count()}
    tops = StrategyNode.objects.filter(parent=None).count()
    assert counts["ambitions"] == {"unchanged": tops}
    assert counts["programmes"] == {"unchanged": StrategyNode.objects.count() - tops}
    assert ActionPartner.objects.get(organisation=registry).role_fr == "Relais"
    # Neither a slug of a code ("adn" beside "AdN") nor the platform comes back as a record.
    assert Organisation.objects.count() == organisations
    assert not Organisation.objects.filter(code__in=["adn", "pilotage-platform"]).exists()
    assert Person.objects.get(code="alice").email == "alice@example.org"
    assert LogEntry.objects.count() == audit
    assert current_revision() == revision
    assert isomorphic(_graph(d4wmo_export()), _graph(exported))


def _public_records() -> dict[str, set[tuple]]:
    """What the export says, read from the ORM on its own: public strategies with their
    levels and nodes, the actions serving them, organisations, events, shown persons.
    Texts in French, the file's language; what the model holds beyond the file (other
    languages, a node's values, weights, budget lines) is left out."""
    public = Strategy.objects.exclude(status=StrategyStatus.DRAFT)
    actions = Action.objects.filter(nodes__strategy__in=public).distinct()
    codes = {
        "organisation": dict(Organisation.objects.values_list("pk", "code")),
        "action": dict(actions.values_list("pk", "code")),
    }
    return {
        "strategies": set(
            public.values_list(
                "code",
                "title_fr",
                "description_fr",
                "version",
                "period_start",
                "period_end",
                "owner__code",
                "status",
                "predecessor__code",
                "sources",
            )
        ),
        "levels": set(
            StrategyLevel.objects.filter(strategy__in=public).values_list(
                "strategy__code", "code", "name_fr", "depth"
            )
        ),
        "nodes": set(
            StrategyNode.objects.filter(strategy__in=public).values_list(
                "strategy__code",
                "code",
                "parent__code",
                "level__code",
                "title_fr",
                "description_fr",
                "order",
            )
        ),
        "actions": set(
            actions.values_list(
                "code",
                "title_fr",
                "description_fr",
                "type__code",
                "status",
                "start_date",
                "end_date",
                "lead__code",
            )
        ),
        "action nodes": set(
            Action.nodes.through.objects.filter(strategynode__strategy__in=public).values_list(
                "action__code", "strategynode__strategy__code", "strategynode__code"
            )
        ),
        "target audiences": set(
            Action.target_audiences.through.objects.filter(action__in=actions).values_list(
                "action__code", "term__code"
            )
        ),
        "terms": {
            (model, codes[model][object_id], taxonomy, term)
            for model, object_id, taxonomy, term in TermAssignment.objects.values_list(
                "content_type__model", "object_id", "term__taxonomy__code", "term__code"
            )
            if object_id in codes.get(model, {})
        },
        "partners": set(
            ActionPartner.objects.filter(action__in=actions).values_list(
                "action__code", "organisation__code", "role_fr"
            )
        ),
        "organisations": set(
            Organisation.objects.values_list(
                "code", "name", "enterprise_number", "description_fr", "website", "nace_code"
            )
        ),
        "events": set(
            Event.objects.values_list(
                "code",
                "title_fr",
                "description_fr",
                "type__code",
                "start_date",
                "start_time",
                "end_date",
                "end_time",
                "location",
            )
        ),
        "organisers": set(
            Event.organisers.through.objects.values_list("event__code", "organisation__code")
        ),
        "persons": set(
            Person.objects.filter(display_refusal=False).values_list(
                "code", "given_name", "family_name"
            )
        ),
    }


def _without_budgets(graph: Graph) -> Graph:
    """The graph but its annual budgets: an import writes no budget lines (a line needs a
    source and a flow the file does not carry), so an emptied database exports none."""
    budgets = set(graph.subjects(RDF.type, D4W.AnnualBudget))
    kept = Graph()
    for triple in graph:
        if triple[0] not in budgets and triple[2] not in budgets:
            kept.add(triple)
    return kept


@pytest.mark.slow
def test_an_export_recreates_every_public_record_in_an_empty_database(registry):
    # Given the shipped data (a partner and budget lines added) exported, then removed
    # (taxonomies stay: the file points at their terms).
    exported = d4wmo_export()
    before = _public_records()
    assert all(before.values())  # each kind holds records: the comparisons below say something
    assert before["partners"] == {
        (
            Action.objects.filter(nodes__isnull=False).order_by("code").first().code,
            "AGORIA",
            "Relais",
        )
    }
    BudgetLine.objects.all().delete()
    Action.objects.all().delete()
    StrategyNode.objects.all().delete()
    StrategyLevel.objects.all().delete()
    Strategy.objects.all().delete()
    Event.objects.all().delete()
    Person.objects.all().delete()
    Organisation.objects.all().delete()

    # When it is imported
    counts = d4wmo_import(actor=SteeringFactory(), content=exported.encode(), name="d4wmo.ttl")

    # Then every record comes back, with the same codes, texts and links.
    after = _public_records()
    for kind in before:
        assert after[kind] == before[kind], kind
    tops = sum(1 for _strategy, _code, parent, *_ in before["nodes"] if parent is None)
    assert counts["strategies"] == {"created": len(before["strategies"])}
    assert counts["levels"] == {"created": len(before["levels"])}
    assert counts["ambitions"] == {"created": tops}
    assert counts["programmes"] == {"created": len(before["nodes"]) - tops}
    assert counts["action plans"] == {"created": len(before["actions"])}
    assert counts["organisations"] == {"created": len(before["organisations"])}
    assert counts["annual budgets"] == {"skipped": 1}
    assert Person.objects.get().email == ""  # her address was never published
    # And it exports the same graph again, but the budgets it could not keep.
    again_exported = _without_budgets(_graph(d4wmo_export()))
    first_exported = _without_budgets(_graph(exported))
    if not isomorphic(again_exported, first_exported):
        _in_both, only_again, only_first = graph_diff(
            to_isomorphic(again_exported), to_isomorphic(first_exported)
        )
        pytest.fail(
            f"only after: {sorted(only_again)[:10]}\nonly before: {sorted(only_first)[:10]}"
        )

    # When it is imported a second time, nothing is written.
    actor = SteeringFactory()
    audit, revision = LogEntry.objects.count(), current_revision()
    again = d4wmo_import(actor=actor, content=exported.encode(), name="again")
    assert {kind: set(statuses) for kind, statuses in again.items()} == {
        "organisations": {"unchanged"},
        "persons": {"unchanged"},
        "events": {"unchanged"},
        "strategies": {"unchanged"},
        "levels": {"unchanged"},
        "ambitions": {"unchanged"},
        "programmes": {"unchanged"},
        "action plans": {"unchanged"},
        "roles": {"unchanged"},
        "annual budgets": {"skipped"},
    }
    assert LogEntry.objects.count() == audit
    assert current_revision() == revision
    assert _public_records() == before


PROFILE = """
@prefix d4w: <http://data4wallonia.com/resource/model/> .
@prefix dcterms: <http://purl.org/dc/terms/> .
<http://example.com/profile/good> a d4w:Profile ; d4w:title "Bonne"@fr ;
    dcterms:identifier "GOOD" .
<http://example.com/profile/wrong> a d4w:Profile ; d4w:title "Mauvaise"@fr ;
    dcterms:identifier "WRONG" ; d4w:belgianEntreprise "0123.456.788" .
"""


def test_a_profile_with_a_wrong_enterprise_number_is_refused_and_nothing_written(db):
    with pytest.raises(D4wmoError) as refused:
        d4wmo_import(actor=SteeringFactory(), content=PROFILE.encode(), name="wrong.ttl")
    (problem,) = refused.value.problems
    assert problem.startswith("wrong.ttl: http://example.com/profile/wrong: d4w:belgianEntreprise:")
    assert not Organisation.objects.exists()


def test_a_dry_run_counts_and_writes_nothing(db, tmp_path):
    actor = SteeringFactory()
    path = tmp_path / "profiles.ttl"
    path.write_text(PROFILE.replace(' ; d4w:belgianEntreprise "0123.456.788"', ""))
    call_command(
        "d4wmo", "import", str(path), actor=actor.email, dry_run=True, stdout=(out := io.StringIO())
    )
    assert "organisations: 2 would be created" in out.getvalue()
    assert not Organisation.objects.exists()
    call_command("d4wmo", "import", str(path), actor=actor.email, stdout=out)
    assert set(Organisation.objects.values_list("code", flat=True)) == {"GOOD", "WRONG"}


@pytest.mark.slow
def test_an_annual_budget_differing_from_the_lines_is_refused(registry):
    exported = d4wmo_export().replace("d4w:budget 3000 ", "d4w:budget 9999 ")
    assert "d4w:budget 9999 " in exported
    with pytest.raises(D4wmoError) as refused:
        d4wmo_import(actor=SteeringFactory(), content=exported.encode(), name="d4wmo.ttl")
    (problem,) = refused.value.problems
    assert "d4w:annualBudgetAllocation" in problem and "/action-plan/" in problem


def _adopted_with_a_draft_predecessor():
    """An adopted strategy of two ambitions replacing a draft one, and an action serving
    a node of each, starting with the adopted one (its own start, said as such)."""
    draft = StrategyFactory(code="DRAFT", status=StrategyStatus.DRAFT)
    adopted = StrategyFactory(code="ADOPTED", predecessor=draft)
    level = StrategyLevelFactory(strategy=adopted, code="axe", name_fr="Axe")
    first = StrategyNodeFactory(strategy=adopted, level=level, code="1", title_fr="Premier")
    StrategyNodeFactory(strategy=adopted, level=level, code="2", title_fr="Second", order=1)
    hidden = StrategyNodeFactory(strategy=draft, code="9")
    action = ActionFactory(code="ACT", start_date=adopted.period_start, lead=adopted.owner)
    action.nodes.set([first, hidden])
    return adopted, action


def test_what_the_export_does_not_say_is_kept(db):
    # Given a draft strategy, never exported, as a public one's predecessor and as a
    # strategy an exported action serves
    adopted, action = _adopted_with_a_draft_predecessor()
    exported = d4wmo_export()
    assert "/strategy/DRAFT" not in exported
    actor = SteeringFactory()
    audit = LogEntry.objects.count()

    # When the export is imported
    counts = d4wmo_import(actor=actor, content=exported.encode(), name="d4wmo.ttl")

    # Then nothing changes: the draft stays the predecessor, its node stays served.
    assert {kind: set(statuses) for kind, statuses in counts.items()} == {
        kind: {"unchanged"}
        for kind in (
            "organisations",
            "strategies",
            "levels",
            "ambitions",
            "action plans",
            "roles",
        )
    }
    adopted.refresh_from_db()
    assert adopted.predecessor.code == "DRAFT"
    assert {(n.strategy.code, n.code) for n in action.nodes.all()} == {
        ("ADOPTED", "1"),
        ("DRAFT", "9"),
    }
    assert LogEntry.objects.count() == audit


def test_a_changed_text_updates_that_record_only(db):
    _adopted_with_a_draft_predecessor()
    exported = d4wmo_export()
    assert exported.count('d4w:title "Second"@fr') == 2  # the ambition and its post
    changed = exported.replace('d4w:title "Second"@fr', 'd4w:title "Deuxième"@fr')
    actor = SteeringFactory()
    audit = LogEntry.objects.count()

    counts = d4wmo_import(actor=actor, content=changed.encode(), name="changed.ttl")

    assert counts["ambitions"] == {"unchanged": 1, "updated": 1}
    assert counts["strategies"] == {"unchanged": 1}
    assert StrategyNode.objects.get(strategy__code="ADOPTED", code="2").title_fr == "Deuxième"
    assert LogEntry.objects.count() == audit + 1


def test_a_strategy_status_pilotage_does_not_know_is_refused_whole(db):
    _adopted_with_a_draft_predecessor()
    exported = d4wmo_export()
    changed = exported.replace('d4w:title "Second"@fr', 'd4w:title "Deuxième"@fr').replace(
        "adms:status <https://pilotage.example.org/d4w/strategy-status/adopted>",
        "adms:status <https://pilotage.example.org/d4w/strategy-status/dreamt>",
    )
    assert "strategy-status/dreamt" in changed

    with pytest.raises(D4wmoError) as refused:
        d4wmo_import(actor=SteeringFactory(), content=changed.encode(), name="changed.ttl")

    (problem,) = refused.value.problems
    assert problem.startswith(
        "changed.ttl: https://pilotage.example.org/d4w/strategy/ADOPTED: adms:status:"
    )
    assert StrategyNode.objects.get(strategy__code="ADOPTED", code="2").title_fr == "Second"


def test_an_action_start_equal_to_its_strategy_start_is_its_own_only_when_said(db):
    # Given an action starting on its strategy's first day, exported, then removed
    adopted, _action = _adopted_with_a_draft_predecessor()
    graph = _graph(d4wmo_export())
    Action.objects.all().delete()
    plan = next(graph.subjects(RDF.type, D4W.ActionPlan))
    assert str(graph.value(plan, D4W.startDate)).startswith(str(adopted.period_start))
    actor = SteeringFactory()

    # When the file says its own dates (dcterms:temporal), the start is the action's own
    d4wmo_import(actor=actor, content=graph.serialize(format="turtle").encode(), name="own")
    assert Action.objects.get(code="ACT").start_date == adopted.period_start

    # When it does not (a file of another platform), it is the export's stand-in for none.
    Action.objects.all().delete()
    graph.remove((plan, DCTERMS.temporal, None))
    d4wmo_import(actor=actor, content=graph.serialize(format="turtle").encode(), name="other")
    assert Action.objects.get(code="ACT").start_date is None
