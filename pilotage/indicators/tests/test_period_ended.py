"""A value is recorded for a period that has ended, whatever the interface: the
indicator model has no forecasts (its targets say what is expected)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from pilotage.accounts.services import token_issue
from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.indicators import services
from pilotage.indicators.models import Observation
from pilotage.indicators.tests.factories import IndicatorFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicator():
    return IndicatorFactory(code="KPI")


@pytest.fixture
def partner(indicator):
    return PartnerEditorFactory(organisation=indicator.action.lead)


def test_a_period_ending_tomorrow_is_refused_and_nothing_is_stored(indicator, partner):
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)

    with pytest.raises(ValidationError) as refused:
        services.observation_record(
            actor=partner,
            indicator=indicator,
            period_start=today - datetime.timedelta(days=30),
            period_end=tomorrow,
            value=D(5),
        )

    (error,) = refused.value.error_dict["period_end"]
    assert error.code == "period-not-ended"
    # In the reader's language and date format: French, day first.
    assert f"{tomorrow:%d/%m/%Y}" in error.messages[0]
    assert not Observation.objects.filter(indicator=indicator).exists()


def test_a_period_ending_today_or_before_is_recorded(indicator, partner):
    today = timezone.localdate()
    for end in (today, today - datetime.timedelta(days=1)):
        services.observation_record(
            actor=partner, indicator=indicator, period_start=end, period_end=end, value=D(7)
        )
    assert Observation.objects.filter(indicator=indicator).count() == 2


def test_a_form_saving_a_period_not_ended_is_refused_too(indicator):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    observation = Observation(
        indicator=indicator, period_start=tomorrow, period_end=tomorrow, value=D(3)
    )

    with pytest.raises(ValidationError) as refused:
        services.observation_save(actor=SteeringFactory(), observation=observation)

    assert refused.value.error_dict["period_end"][0].code == "period-not-ended"
    assert not Observation.objects.filter(indicator=indicator).exists()


def test_the_api_refuses_a_period_not_ended_by_its_code_and_field(client, indicator, partner):
    _token, key = token_issue(actor=SteeringFactory(), user=partner, name="p")
    next_year = timezone.localdate().year + 1

    response = client.post(
        "/api/v1/observations/",
        {
            "indicator": "KPI",
            "period_start": f"{next_year}-01-01",
            "period_end": f"{next_year}-03-31",
            "value": "5",
        },
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )

    assert response.status_code == 409  # the indicator's rule, not the body's form
    body = response.json()
    assert (body["code"], body["field"]) == ("period-not-ended", "period_end")
    assert f"31/03/{next_year}" in body["detail"]  # the reader's date format (French)
    assert not Observation.objects.filter(indicator=indicator).exists()
