"""The quarterly report: frozen from validated values, the same whatever is edited later."""

import datetime
import os
import re
import shutil
import subprocess
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from pilotage.accounts.tests.factories import (
    JuryMemberFactory,
    PartnerEditorFactory,
    SteeringFactory,
    UserFactory,
)
from pilotage.indicators import campaigns, reports, services
from pilotage.indicators.models import Observation
from pilotage.indicators.services import PeriodLocked
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


def quarter(steering, code, start, end):
    return campaigns.campaign_open(
        actor=steering,
        code=code,
        title=code,
        period_start=start,
        period_end=end,
        deadline=end + datetime.timedelta(days=15),
    )


@pytest.fixture
def world():
    steering = SteeringFactory()
    partner = PartnerEditorFactory()
    strategy = StrategyFactory()
    node = StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    action = ActionFactory(lead=partner.organisation)
    action.nodes.add(node)
    indicator = IndicatorFactory(action=action, code="KPI")  # 0 → 100 from 2024 to 2028
    return steering, partner, indicator


def report_value(steering, partner, campaign, indicator, value):
    observation = services.observation_record(
        actor=partner,
        indicator=indicator,
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        value=D(value),
    )
    services.observation_transition(actor=partner, observation=observation, transition="submit")
    services.observation_transition(actor=steering, observation=observation, transition="validate")
    return observation


def pdf_text(pdf: bytes) -> str:
    """The PDF's text as poppler's pdftotext reads it (CI installs it; elsewhere the test
    skips without it, as the browser tests do without Chromium)."""
    tool = shutil.which("pdftotext")
    if tool is None:
        if os.environ.get("PILOTAGE_BROWSER_TESTS") == "required":
            pytest.fail("pdftotext is missing (Debian's poppler-utils)")
        pytest.skip("pdftotext is not installed (Debian's poppler-utils)")
    # Our own PDF, read by a tool found on PATH.
    found = subprocess.run([tool, "-", "-"], input=pdf, capture_output=True, check=True)  # noqa: S603
    return found.stdout.decode()


def _page(client, campaign) -> str:
    """The report's page as staff read it, without its forms' CSRF tokens (masked anew
    at each request)."""
    page = client.get(reverse("reporting:report", args=[campaign.code])).content.decode()
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", page)


def test_a_frozen_report_does_not_change_when_data_change_later(world, client):
    steering, partner, indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    observation = report_value(steering, partner, q1, indicator, 20)  # 20 % done, 56 % expected

    report = reports.report_freeze(actor=steering, campaign=q1)
    first_pdf = reports.report_pdf(report)
    client.force_login(SteeringFactory())
    first_page = _page(client, q1)
    assert report.snapshot["watch"] == ["KPI"]
    assert "status-at_risk" in first_page

    services.observation_transition(
        actor=steering, observation=observation, transition="reopen", reason="correction"
    )
    Observation.objects.filter(pk=observation.pk).update(value=D(90))

    report.refresh_from_db()
    assert _page(client, q1) == first_page
    assert first_pdf.startswith(b"%PDF")
    assert len(reports.report_pdf(report)) > 1000


def test_the_next_report_says_what_changed(world):
    steering, partner, indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    report_value(steering, partner, q1, indicator, 20)
    reports.report_freeze(actor=steering, campaign=q1)
    q2 = quarter(steering, "2026-Q2", datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    report_value(steering, partner, q2, indicator, 100)

    report = reports.report_freeze(actor=steering, campaign=q2)

    assert report.snapshot["changes"] == [
        {"indicator": "KPI", "before": "at_risk", "after": "achieved"}
    ]


def test_only_staff_freeze_and_read_the_report(world, client):
    """The report holds every organisation's validated values, published or not."""
    steering, partner, _indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    url = reverse("reporting:report", args=[q1.code])
    pdf = reverse("reporting:report-pdf", args=[q1.code])

    assert client.get(url).status_code == 302  # to the login page
    client.force_login(partner)
    assert client.post(url).status_code == 403
    client.force_login(steering)
    client.post(url)
    for other in (partner, UserFactory(organisation=partner.organisation), JuryMemberFactory()):
        client.force_login(other)
        assert (client.get(url).status_code, client.get(pdf).status_code) == (403, 403)
    client.force_login(steering)
    assert (
        client.get(reverse("reporting:report-pdf", args=[q1.code]))["Content-Type"]
        == "application/pdf"
    )
    with pytest.raises(ValueError):
        reports.report_freeze(actor=steering, campaign=q1)


def test_a_full_campaign_from_upload_to_pdf(world):
    """Open, submit by upload, send back, resubmit, validate (locked), report, PDF."""
    steering, partner, indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    upload = b"indicator,value,comment\nKPI,20,premier chiffre\n"
    campaigns.campaign_upload(actor=partner, campaign=q1, name="q1.csv", content=upload)
    observation = Observation.objects.get()
    with pytest.raises(PermissionDenied):
        services.observation_transition(
            actor=partner, observation=observation, transition="validate"
        )
    services.observation_transition(
        actor=steering, observation=observation, transition="send_back", reason="Source ?"
    )
    campaigns.campaign_upload(
        actor=partner,
        campaign=q1,
        name="q1.csv",
        content=b"indicator,value,comment\nKPI,60,registre\n",
    )
    observation.refresh_from_db()
    services.observation_transition(actor=steering, observation=observation, transition="validate")
    with pytest.raises(PeriodLocked):
        services.observation_record(
            actor=partner,
            indicator=indicator,
            period_start=q1.period_start,
            period_end=q1.period_end,
            value=D(61),
        )
    with pytest.raises(PermissionDenied):
        reports.report_freeze(actor=partner, campaign=q1)

    report = reports.report_freeze(actor=steering, campaign=q1)

    assert report.snapshot["indicators"]["KPI"]["assessment"]["actual"] == "60"
    assert reports.report_pdf(report).startswith(b"%PDF")


def test_a_report_frozen_late_shows_its_own_quarter_not_the_later_one(world):
    steering, partner, indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    q2 = quarter(steering, "2026-Q2", datetime.date(2026, 4, 1), datetime.date(2026, 6, 30))
    report_value(steering, partner, q1, indicator, 20)
    report_value(steering, partner, q2, indicator, 90)  # validated before Q1 is frozen

    late = reports.report_freeze(actor=steering, campaign=q1)

    on_time = reports.report_snapshot(q1)  # what a report of Q1 alone says
    Observation.objects.filter(period_start=q2.period_start).delete()
    alone = reports.report_snapshot(q1)
    assert late.snapshot["strategies"] == alone["strategies"] == on_time["strategies"]
    assert late.snapshot["indicators"]["KPI"]["assessment"]["actual"] == "20"
    # The node's roll-up is Q1's too: the progress of its one indicator at 20, not at 90.
    [row] = late.snapshot["strategies"][0]["nodes"]
    assert row["progress"] == late.snapshot["indicators"]["KPI"]["assessment"]["progress"]
    assert (row["reported"], row["total"]) == (1, 1)
    report_value(steering, partner, q2, indicator, 90)
    q2_row = reports.report_freeze(actor=steering, campaign=q2).snapshot["strategies"][0]["nodes"]
    assert q2_row[0]["progress"] != row["progress"]


def test_the_report_writes_its_dates_as_its_reader_does(world, client):
    steering, partner, indicator = world
    q1 = quarter(steering, "2026-Q1", datetime.date(2026, 1, 1), datetime.date(2026, 3, 31))
    report_value(steering, partner, q1, indicator, 20)
    report = reports.report_freeze(actor=steering, campaign=q1)
    frozen = report.snapshot["frozen_at"][:10]
    frozen_fr = "/".join(reversed(frozen.split("-")))
    client.force_login(SteeringFactory())

    with translation.override("fr"):
        text = client.get(reverse("reporting:report", args=[q1.code])).content.decode()
    assert "01/01/2026" in text and "31/03/2026" in text and frozen_fr in text
    assert "2026-01-01" not in text and "2026-03-31" not in text and frozen not in text
    with translation.override("de"):
        pdf = reports.report_pdf(report)
    words = pdf_text(pdf)
    assert "01.01.2026" in words and "31.03.2026" in words and "2026-01-01" not in words
