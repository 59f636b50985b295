"""Reporting values: who may, the workflow's steps, locked periods, breakdowns."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory, UserFactory
from pilotage.core.audit import record_history
from pilotage.indicators import services
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.services import PeriodLocked
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.taxonomies.tests.factories import TaxonomyFactory, TermFactory

pytestmark = pytest.mark.django_db

Q1 = {"period_start": datetime.date(2026, 1, 1), "period_end": datetime.date(2026, 3, 31)}


@pytest.fixture
def indicator():
    return IndicatorFactory()


@pytest.fixture
def partner(indicator):
    return PartnerEditorFactory(organisation=indicator.action.lead)


def test_the_lead_partner_reports_and_staff_validate_then_publish(indicator, partner):
    steering = SteeringFactory()
    observation = services.observation_record(actor=partner, indicator=indicator, value=D(12), **Q1)
    assert (observation.state, observation.reported_by) == (State.DRAFT, partner)

    for actor, step, state in [
        (partner, "submit", State.SUBMITTED),
        (steering, "validate", State.VALIDATED),
        (steering, "publish", State.PUBLISHED),
    ]:
        services.observation_transition(actor=actor, observation=observation, transition=step)
        observation.refresh_from_db()
        assert observation.state == state

    states = [entry.changes_dict.get("state") for entry in record_history(observation)]
    assert ["validated", "published"] in states and ["submitted", "validated"] in states


@pytest.mark.parametrize(
    "make_user", [UserFactory, PartnerEditorFactory], ids=["reader", "other-partner"]
)
def test_others_cannot_report(indicator, make_user):
    with pytest.raises(PermissionDenied):
        services.observation_record(actor=make_user(), indicator=indicator, value=D(1), **Q1)


def test_partners_cannot_validate_their_own_values(indicator, partner):
    observation = services.observation_record(actor=partner, indicator=indicator, value=D(1), **Q1)
    services.observation_transition(actor=partner, observation=observation, transition="submit")
    with pytest.raises(PermissionDenied):
        services.observation_transition(
            actor=partner, observation=observation, transition="validate"
        )


def test_sending_back_needs_a_reason_and_keeps_it(indicator, partner):
    steering = SteeringFactory()
    observation = services.observation_record(actor=partner, indicator=indicator, value=D(1), **Q1)
    services.observation_transition(actor=partner, observation=observation, transition="submit")

    with pytest.raises(ValidationError):
        services.observation_transition(
            actor=steering, observation=observation, transition="send_back"
        )
    services.observation_transition(
        actor=steering, observation=observation, transition="send_back", reason="Source manquante"
    )

    observation.refresh_from_db()
    assert (observation.state, observation.review_note) == (State.DRAFT, "Source manquante")


def test_a_validated_period_is_locked_until_staff_reopen_it(indicator, partner):
    steering = SteeringFactory()
    observation = services.observation_record(actor=partner, indicator=indicator, value=D(1), **Q1)
    services.observation_transition(actor=partner, observation=observation, transition="submit")
    services.observation_transition(actor=steering, observation=observation, transition="validate")

    with pytest.raises(PeriodLocked) as caught:
        services.observation_record(actor=partner, indicator=indicator, value=D(2), **Q1)
    assert caught.value.code == "locked"

    services.observation_transition(
        actor=steering, observation=observation, transition="reopen", reason="Erreur de saisie"
    )
    corrected = services.observation_record(actor=partner, indicator=indicator, value=D(2), **Q1)
    assert (corrected.pk, corrected.value, corrected.state) == (observation.pk, D(2), State.DRAFT)


def test_a_breakdown_must_add_up_to_the_total(indicator, partner):
    provinces = TaxonomyFactory(code="provinces")
    namur, liege = TermFactory(taxonomy=provinces), TermFactory(taxonomy=provinces)

    with pytest.raises(ValidationError) as caught:
        services.observation_record(
            actor=partner,
            indicator=indicator,
            value=D(10),
            breakdown={namur: D(4), liege: D(5)},
            **Q1,
        )
    assert caught.value.code == "breakdown"

    observation = services.observation_record(
        actor=partner, indicator=indicator, value=D(10), breakdown={namur: D(4), liege: D(6)}, **Q1
    )
    assert sorted(observation.parts.values_list("value", flat=True)) == [D(4), D(6)]


def test_a_computed_indicator_is_never_typed_in(partner, indicator):
    indicator.formula = {"op": "sum", "of": ["A", "B"]}
    indicator.save()
    with pytest.raises(PermissionDenied):
        services.observation_record(actor=SteeringFactory(), indicator=indicator, value=D(1), **Q1)


def test_percentages_are_kept_as_numerator_and_denominator(partner):
    indicator = IndicatorFactory(action__lead=partner.organisation, measure="percentage")
    observation = services.observation_record(
        actor=partner, indicator=indicator, numerator=D(45), denominator=D(60), **Q1
    )
    assert (observation.numerator, observation.denominator, observation.value) == (
        D(45),
        D(60),
        D(75),
    )
