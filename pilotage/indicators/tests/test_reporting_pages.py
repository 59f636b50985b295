"""The reporting pages: owners report by form or upload, staff review, everyone sees coverage."""

import datetime
from decimal import Decimal as D

import pytest
from auditlog.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.indicators import campaigns
from pilotage.indicators.models import Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.strategies.tests.factories import ActionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup():
    steering = SteeringFactory()
    campaign = campaigns.campaign_open(
        actor=steering,
        code="2026-Q1",
        title="T1 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
    )
    partner = PartnerEditorFactory()
    indicator = IndicatorFactory(action=ActionFactory(lead=partner.organisation), code="OWN-A")
    return steering, campaign, partner, indicator


def url(name, campaign, *args):
    return reverse(f"reporting:{name}", args=[campaign.code, *args])


def test_an_account_is_needed(client, setup):
    _steering, campaign, _partner, _indicator = setup
    response = client.get(url("campaign-detail", campaign))
    assert response.status_code == 302 and "login" in response["Location"]


def test_a_reader_cannot_report(client, setup):
    _steering, campaign, _partner, _indicator = setup
    client.force_login(UserFactory())
    assert client.get(url("campaign-detail", campaign)).status_code == 403


def test_an_owner_reports_in_the_web_form_and_staff_validate(client, setup):
    steering, campaign, partner, indicator = setup
    client.force_login(partner)
    page = client.get(url("campaign-detail", campaign)).content.decode()
    assert indicator.code in page

    client.post(
        url("campaign-detail", campaign), {"indicator": "OWN-A", "value": "42", "comment": "ok"}
    )
    observation = Observation.objects.get()
    assert (observation.value, observation.state) == (D(42), State.SUBMITTED)

    # The partner cannot validate its own value...
    assert (
        client.post(
            url("campaign-review", campaign),
            {"observation": observation.pk, "transition": "validate"},
        ).status_code
        == 403
    )
    # ...staff can.
    client.force_login(steering)
    client.post(
        url("campaign-review", campaign), {"observation": observation.pk, "transition": "validate"}
    )
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED


def test_a_broken_upload_shows_every_problem_and_records_nothing(client, setup):
    _steering, campaign, partner, _indicator = setup
    client.force_login(partner)
    content = b"indicator,value\nOWN-A,douze\nNOPE,1\n"

    response = client.post(
        url("campaign-detail", campaign), {"file": SimpleUploadedFile("t.csv", content)}
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "douze" in page and "NOPE" in page and "t.csv" in page
    assert not Observation.objects.exists()


def test_the_template_downloads_as_xlsx_and_csv(client, setup):
    _steering, campaign, partner, _indicator = setup
    client.force_login(partner)
    xlsx = client.get(url("campaign-template", campaign, "xlsx"))
    csv = client.get(url("campaign-template", campaign, "csv"))
    assert xlsx.content[:2] == b"PK"  # a zip, as every XLSX
    assert csv.content.decode().splitlines()[1].startswith("OWN-A,")
    assert client.get(url("campaign-template", campaign, "exe")).status_code == 404


def test_coverage_is_public(client, setup):
    _steering, campaign, partner, _indicator = setup
    page = client.get(url("campaign-coverage", campaign)).content.decode()
    assert partner.organisation.name in page


def test_staff_reopen_a_validated_value_from_the_page_with_a_reason(client):
    from pilotage.indicators import services as indicator_services
    from pilotage.indicators.tests.factories import ObservationFactory

    steering = SteeringFactory(is_staff=True)
    campaign = campaigns.campaign_open(
        actor=steering,
        code="Q-REOPEN",
        title="Q",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
    )
    observation = ObservationFactory(
        period_start=campaign.period_start,
        period_end=campaign.period_end,
        state=State.VALIDATED,
    )
    url = reverse("reporting:campaign-review", args=[campaign.code])
    partner = PartnerEditorFactory(organisation=observation.indicator.action.lead)
    client.force_login(partner)
    client.post(url, {"observation": observation.pk, "transition": "reopen", "reason": "x"})
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED  # partners cannot reopen
    client.force_login(steering)
    client.post(url, {"observation": observation.pk, "transition": "reopen", "reason": ""})
    observation.refresh_from_db()
    assert observation.state == State.VALIDATED  # a reason is needed
    client.post(url, {"observation": observation.pk, "transition": "reopen", "reason": "typo"})
    observation.refresh_from_db()
    assert observation.state == State.DRAFT
    with pytest.raises(indicator_services.PeriodLocked):
        validated = ObservationFactory(state=State.VALIDATED)
        indicator_services.observation_delete(actor=steering, observation=validated)


def test_a_closed_campaign_takes_no_value_from_the_web_form(client):
    steering = SteeringFactory()
    partner = PartnerEditorFactory()
    action = ActionFactory(lead=partner.organisation)
    IndicatorFactory(action=action, code="CLOSED-KPI")
    campaign = campaigns.campaign_open(
        actor=steering,
        code="Q-CLOSED",
        title="Q",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
    )
    campaigns.campaign_close(actor=steering, campaign=campaign)
    client.force_login(partner)
    client.post(
        reverse("reporting:campaign-detail", args=[campaign.code]),
        {"indicator": "CLOSED-KPI", "value": "12"},
    )
    assert not Observation.objects.filter(indicator__code="CLOSED-KPI").exists()
    history = LogEntry.objects.get_for_object(campaign)
    assert history.count() >= 2  # opened, then closed: audited
