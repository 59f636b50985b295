"""The back-office of values: a locked value refuses a change on its form, never a 500."""

from decimal import Decimal

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.tests.backoffice import admin_form_data
from pilotage.indicators.models import Observation, ObservationState
from pilotage.indicators.services import PeriodLocked
from pilotage.indicators.tests.factories import ObservationFactory

pytestmark = pytest.mark.django_db


def _edit(client, observation, value: str):
    url = reverse("admin:indicators_observation_change", args=[observation.pk])
    page = client.get(url, HTTP_HOST="localhost")
    return client.post(url, admin_form_data(page, value=value), HTTP_HOST="localhost")


@pytest.mark.parametrize("state", [ObservationState.VALIDATED, ObservationState.PUBLISHED])
def test_editing_a_locked_value_shows_why_on_its_form(client, state):
    observation = ObservationFactory(state=state, value=Decimal(10))
    client.force_login(SteeringFactory())

    response = _edit(client, observation, "99")

    assert response.status_code == 200
    form = response.context["adminform"].form
    (refusal,) = form.non_field_errors().as_data()
    assert refusal.code == "locked"
    assert refusal.messages == PeriodLocked(observation).messages  # in French, as the page
    assert form["value"].value() == "99"  # what was typed is kept
    assert Observation.objects.get(pk=observation.pk).value == Decimal(10)


def test_a_draft_value_is_edited_through_the_same_form(client):
    observation = ObservationFactory(state=ObservationState.DRAFT, value=Decimal(10))
    client.force_login(SteeringFactory())

    response = _edit(client, observation, "99")

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert Observation.objects.get(pk=observation.pk).value == Decimal(99)
