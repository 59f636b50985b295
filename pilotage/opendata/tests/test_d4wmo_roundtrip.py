"""D4WMO-AP in and out: Pilotage's own export imports again, matched by identifiers."""

import datetime
import io
from decimal import Decimal

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from rdflib import Graph
from rdflib.compare import isomorphic

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.models import BudgetLine
from pilotage.core.revisions import current_revision
from pilotage.opendata.d4wmo import D4wmoError, d4wmo_export, d4wmo_import
from pilotage.registry.models import Event, Organisation, Person
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import Action, ActionPartner, Strategy, StrategyLevel, StrategyNode
from pilotage.taxonomies.models import Term

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
    assert ActionPartner.objects.get(organisation=registry).role_fr == "Relais"
    # Neither a slug of a code ("adn" beside "AdN") nor the platform comes back as a record.
    assert Organisation.objects.count() == organisations
    assert not Organisation.objects.filter(code__in=["adn", "pilotage-platform"]).exists()
    assert Person.objects.get(code="alice").email == "alice@example.org"
    assert LogEntry.objects.count() == audit
    assert current_revision() == revision
    assert isomorphic(_graph(d4wmo_export()), _graph(exported))


@pytest.mark.slow
def test_an_export_recreates_the_registry_in_an_empty_database(registry):
    exported = d4wmo_export()
    before = {
        o.code: (o.name, o.enterprise_number, o.description_fr, o.website)
        for o in Organisation.objects.all()
    }
    BudgetLine.objects.all().delete()
    Action.objects.all().delete()
    StrategyNode.objects.all().delete()
    StrategyLevel.objects.all().delete()
    Strategy.objects.all().delete()
    Event.objects.all().delete()
    Person.objects.all().delete()
    Organisation.objects.all().delete()

    counts = d4wmo_import(actor=SteeringFactory(), content=exported.encode(), name="d4wmo.ttl")

    assert counts["organisations"] == {"created": len(before)}
    after = {
        o.code: (o.name, o.enterprise_number, o.description_fr, o.website)
        for o in Organisation.objects.all()
    }
    assert after == before
    alice = Person.objects.get()
    assert (alice.code, alice.given_name, alice.family_name, alice.display_refusal) == (
        "alice",
        "Alice",
        "Martin",
        False,
    )
    assert alice.email == ""  # her address was never published
    event = Event.objects.get()
    assert (event.code, event.title_fr, event.description_fr, event.type.code) == (
        "salon-2025",
        "Salon du numérique",
        "Deux jours.",
        "trade-fair",
    )
    assert (event.start_date, event.start_time, event.end_date, event.end_time) == (
        datetime.date(2025, 3, 4),
        datetime.time(9, 30),
        datetime.date(2025, 3, 5),
        None,
    )
    assert event.location == "Namur Expo"
    assert {o.code for o in event.organisers.all()} == {"AGORIA", "AdN"}
    again = d4wmo_import(actor=SteeringFactory(), content=exported.encode(), name="again")
    assert {kind: set(statuses) for kind, statuses in again.items()} == {
        "organisations": {"unchanged"},
        "persons": {"unchanged"},
        "events": {"unchanged"},
        # Actions are created only with the strategies they serve: not read yet.
        "action plans": {"skipped"},
    }


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
