"""A reporting campaign end to end: open, what is due, upload, send back, validate, lock,
coverage and reminders; broken uploads refused whole with file, row, column and reason."""

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import formats, translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.indicators import campaigns, services
from pilotage.indicators.models import Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.strategies.tests.factories import ActionFactory, StrategyNodeFactory
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    """The reasons are checked in English, whatever the catalogues say."""
    with translation.override("en"):
        yield


Q1 = {"period_start": datetime.date(2026, 1, 1), "period_end": datetime.date(2026, 3, 31)}


@pytest.fixture
def steering():
    return SteeringFactory()


@pytest.fixture
def campaign(steering):
    return campaigns.campaign_open(
        actor=steering,
        code="2026-Q1",
        title="Premier trimestre 2026",
        deadline=datetime.date(2026, 4, 15),
        **Q1,
    )


@pytest.fixture
def partner():
    return PartnerEditorFactory()


@pytest.fixture
def own_indicators(partner):
    action = ActionFactory(lead=partner.organisation)
    action.nodes.add(StrategyNodeFactory())  # public: the coverage counts public ones only
    return [
        IndicatorFactory(action=action, code="OWN-A"),
        IndicatorFactory(action=action, code="OWN-B"),
    ]


def csv_file(rows, header=("indicator", "period_start", "period_end", "value", "comment")) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def upload(actor, campaign, rows, **kwargs):
    return campaigns.campaign_upload(
        actor=actor, campaign=campaign, name="q1.csv", content=csv_file(rows, **kwargs)
    )


def test_only_steering_staff_open_campaigns(partner):
    with pytest.raises(PermissionDenied):
        campaigns.campaign_open(
            actor=partner, code="X", title="X", deadline=datetime.date(2026, 4, 1), **Q1
        )


def test_each_owner_sees_what_it_owes(campaign, partner, own_indicators):
    IndicatorFactory()  # someone else's
    due = campaigns.due_for(partner, campaign)
    assert [item.indicator.code for item in due] == ["OWN-A", "OWN-B"]
    assert {item.state for item in due} == {"missing"}
    assert len(campaigns.due_for(SteeringFactory(), campaign)) == 3


def test_a_full_campaign_runs_end_to_end(campaign, partner, own_indicators, steering):
    stats = upload(
        partner,
        campaign,
        [
            ["OWN-A", "2026-01-01", "2026-03-31", "12", "Source: registre"],
            ["OWN-B", "", "", "7,5", ""],
        ],
    )
    assert stats.counts == {"created": 2, "updated": 0, "unchanged": 0}
    first = Observation.objects.get(indicator__code="OWN-A")
    assert (first.value, first.state, first.reported_by) == (D(12), State.SUBMITTED, partner)
    assert Observation.objects.get(indicator__code="OWN-B").value == D("7.5")

    services.observation_transition(
        actor=steering, observation=first, transition="send_back", reason="Chiffre provisoire ?"
    )
    upload(partner, campaign, [["OWN-A", "", "", "13", "Chiffre définitif"]])
    first.refresh_from_db()
    assert (first.value, first.state) == (D(13), State.SUBMITTED)

    for observation in Observation.objects.all():
        services.observation_transition(
            actor=steering, observation=observation, transition="validate"
        )
    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, [["OWN-A", "", "", "14", ""]])
    assert caught.value.errors[0].reason == "this period is validated and locked"

    coverage = campaigns.campaign_coverage(campaign)
    [row] = coverage["organisations"]
    assert (row.due, row.reported, row.validated) == (2, 2, 2)


BROKEN = {
    "unknown indicator": ([["NOPE", "", "", "1", ""]], "indicator", "unknown indicator 'NOPE'"),
    "period outside": (
        [["OWN-A", "2025-10-01", "", "1", ""]],
        "period_start",
        "01/10/2025 is outside",
    ),
    "text for a number": ([["OWN-A", "", "", "douze", ""]], "value", "douze is not a number"),
    "duplicate row": (
        [["OWN-A", "", "", "1", ""], ["OWN-A", "", "", "2", ""]],
        "indicator",
        "duplicate of row 3",
    ),
    "someone else's": ([["THEIRS", "", "", "1", ""]], "indicator", "is not yours to report"),
    # What the indicator's measure does not take (these use the numerator and denominator
    # columns too: indicator, period_start, period_end, value, numerator, denominator, comment).
    "yes/no not 0 or 1": (
        [["OWN-YN", "", "", "2", "", "", ""]],
        "value",
        "OWN-YN is a yes or no: 1 or 0, not 2",
    ),
    "text given a numerator": (
        [["OWN-TXT", "", "", "Mis en service", "3", "", ""]],
        "numerator",
        "OWN-TXT is not a percentage",
    ),
    "number given a denominator": (
        [["OWN-A", "", "", "4", "", "8", ""]],
        "denominator",
        "OWN-A is not a percentage",
    ),
    "percentage without denominator": (
        [["OWN-PCT", "", "", "", "3", "", ""]],
        "denominator",
        "a numerator needs its denominator",
    ),
    "percentage over zero": (
        [["OWN-PCT", "", "", "", "3", "0", ""]],
        "denominator",
        "a denominator of 0 gives no percentage",
    ),
    # Only the model knows this one (20 digits at most): still its row and column.
    "number too long": (
        [["OWN-A", "", "", "1" * 21, "", "", ""]],
        "value",
        "digits",
    ),
}
WIDE = ("indicator", "period_start", "period_end", "value", "numerator", "denominator", "comment")


@pytest.fixture
def measured_indicators(partner, own_indicators):
    """Own indicators reported as yes/no, as text and as a percentage."""
    action = own_indicators[0].action
    return [
        IndicatorFactory(action=action, code="OWN-YN", measure="boolean", target_value=D(1)),
        IndicatorFactory(action=action, code="OWN-TXT", measure="text", target_value=None),
        IndicatorFactory(action=action, code="OWN-PCT", measure="percentage"),
    ]


@pytest.mark.parametrize("case", BROKEN.values(), ids=BROKEN.keys())
def test_a_broken_upload_is_refused_whole(
    case, campaign, partner, own_indicators, measured_indicators
):
    IndicatorFactory(code="THEIRS")
    rows, column, reason = case
    wide = len(rows[0]) == len(WIDE)
    good = ["OWN-B", "", "", "5", *(["", ""] if wide else []), ""]

    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, [good, *rows], **({"header": WIDE} if wide else {}))

    [error] = caught.value.errors
    assert error.file == "q1.csv"
    assert error.record.startswith("row ")
    assert error.record == f"row {len(rows) + 2}"  # the header is row 1, the good row row 2
    assert (error.column, reason in error.reason) == (column, True)
    assert not Observation.objects.exists()  # the good row was not written either


def test_yes_no_text_and_percentage_values_go_through_an_upload_and_back(
    campaign, partner, own_indicators, measured_indicators
):
    stats = upload(
        partner,
        campaign,
        [
            ["OWN-YN", "", "", "1", "", "", ""],
            ["OWN-TXT", "", "", "Mis en service à Namur", "", "", "Rapport"],
            ["OWN-PCT", "", "", "", "3", "12", ""],
        ],
        header=WIDE,
    )

    assert stats.count("created") == 3
    stored = {o.indicator.code: o for o in Observation.objects.select_related("indicator")}
    assert stored["OWN-YN"].value == 1
    assert (stored["OWN-TXT"].text_value, stored["OWN-TXT"].value) == (
        "Mis en service à Namur",
        None,
    )
    assert stored["OWN-PCT"].value == D(3) * 100 / D(12)
    before = list(Observation.objects.values_list("pk", "updated_at"))

    for format in ("csv", "xlsx"):
        items = campaigns.due_for(partner, campaign)
        content = (
            campaigns.template_csv(campaign, items).encode()
            if format == "csv"
            else campaigns.template_xlsx(campaign, items)
        )
        again = campaigns.campaign_upload(
            actor=partner, campaign=campaign, name=f"template.{format}", content=content
        )
        assert again.counts == {"created": 0, "updated": 0, "unchanged": 3}
    assert list(Observation.objects.values_list("pk", "updated_at")) == before


def test_a_breakdown_that_does_not_add_up_is_refused(campaign, partner, own_indicators):
    provinces = TaxonomyFactory(code="provinces")
    TermFactory(taxonomy=provinces, code="namur")
    TermFactory(taxonomy=provinces, code="liege")
    header = ("indicator", "value", "provinces:namur", "provinces:liege")

    with pytest.raises(DataFileError) as caught:
        upload(partner, campaign, [["OWN-A", "10", "4", "5"]], header=header)
    assert "add up to 9" in caught.value.errors[0].reason

    upload(partner, campaign, [["OWN-A", "10", "4", "6"]], header=header)
    assert Observation.objects.get().parts.count() == 2


@pytest.mark.parametrize("format", ["csv", "xlsx"])
def test_export_then_reimport_changes_nothing(format, campaign, partner, own_indicators):
    upload(partner, campaign, [["OWN-A", "", "", "12", "Source"], ["OWN-B", "", "", "3", ""]])
    before = list(Observation.objects.values_list("pk", "value", "comment", "state", "updated_at"))
    items = campaigns.due_for(partner, campaign)
    content = (
        campaigns.template_csv(campaign, items).encode()
        if format == "csv"
        else campaigns.template_xlsx(campaign, items)
    )

    stats = campaigns.campaign_upload(
        actor=partner, campaign=campaign, name=f"template.{format}", content=content
    )

    assert stats.counts == {"created": 0, "updated": 0, "unchanged": 2}
    assert (
        list(Observation.objects.values_list("pk", "value", "comment", "state", "updated_at"))
        == before
    )


def test_reminders_go_to_owners_who_still_owe_values(campaign, partner, own_indicators):
    done = PartnerEditorFactory()
    finished = IndicatorFactory(action=ActionFactory(lead=done.organisation))
    upload(done, campaign, [[finished.code, "", "", "1", ""]])

    sent = campaigns.reminders_send(today=datetime.date(2026, 4, 10))

    assert sent == 1
    assert mail.outbox[0].to == [partner.email]
    assert "2" in mail.outbox[0].subject  # two values to report
    # The deadline as the reader writes dates, in French by default, never ISO.
    deadline = formats.date_format(campaign.deadline)
    assert deadline in mail.outbox[0].subject and deadline in mail.outbox[0].body
    assert campaign.deadline.isoformat() not in mail.outbox[0].body
    # Once a day, and not before the reminder window opens.
    assert campaigns.reminders_send(today=datetime.date(2026, 4, 10)) == 0
    assert campaigns.reminders_send(today=datetime.date(2026, 4, 1)) == 0
