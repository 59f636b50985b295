"""Writes on indicators and their observations; the reporting workflow's transitions.

An observation moves draft → submitted → validated → published. Staff may send a
submitted value back (with a reason) or reopen a validated period (with a reason); a
validated or published value is locked: nobody changes it without reopening it first.
"""

from __future__ import annotations

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.core.audit import acting_as
from pilotage.core.formatting import short_date
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.core.spreadsheets import plain
from pilotage.indicators.models import (
    Indicator,
    Observation,
    ObservationPart,
    ObservationState,
    Target,
)
from pilotage.indicators.permissions import can_change_indicator, can_report, can_validate
from pilotage.taxonomies.models import Term

State = ObservationState

# Allowed transitions: name → (from states, to state, who decides, a reason required).
TRANSITIONS = {
    "submit": ({State.DRAFT}, State.SUBMITTED, "reporter", False),
    "validate": ({State.SUBMITTED}, State.VALIDATED, "staff", False),
    "send_back": ({State.SUBMITTED}, State.DRAFT, "staff", True),
    "publish": ({State.VALIDATED}, State.PUBLISHED, "staff", False),
    "reopen": ({State.VALIDATED, State.PUBLISHED}, State.DRAFT, "staff", True),
}
LOCKED_STATES = {State.VALIDATED, State.PUBLISHED}


class PeriodLocked(ValidationError):
    """A validated period changes only after staff reopen it (HTTP 409 in the API)."""

    def __init__(self, observation: Observation):
        super().__init__(
            _(
                "The value of %(indicator)s for %(start)s to %(end)s is validated and locked; "
                "staff must reopen it first."
            )
            % {
                "indicator": observation.indicator.code,
                "start": observation.period_start,
                "end": observation.period_end,
            },
            code="locked",
        )


@transaction.atomic
def indicator_save(*, actor, indicator: Indicator) -> Indicator:
    require(can_change_indicator(actor, indicator), "Only steering staff define indicators.")
    stored = (
        Indicator.objects.filter(pk=indicator.pk).values_list("action_id", "node_id").first()
        if indicator.pk
        else None
    )
    with acting_as(actor):
        indicator.full_clean()
        indicator.save()
    if stored == (indicator.action_id, indicator.node_id):
        changed(ChangeKind.INDICATOR, [indicator.pk])
    else:  # a new indicator, or one moved to another action or node
        changed(ChangeKind.STRUCTURE)
    return indicator


@transaction.atomic
def indicator_delete(*, actor, indicator: Indicator) -> None:
    require(can_change_indicator(actor, indicator), "Only steering staff define indicators.")
    with acting_as(actor):
        indicator.delete()
    changed(ChangeKind.STRUCTURE)


@transaction.atomic
def target_save(*, actor, target: Target) -> Target:
    require(can_change_indicator(actor, target.indicator), "Only steering staff set targets.")
    with acting_as(actor):
        target.full_clean()
        target.save()
    changed(ChangeKind.INDICATOR, [target.indicator_id])
    return target


@transaction.atomic
def target_delete(*, actor, target: Target) -> None:
    require(can_change_indicator(actor, target.indicator), "Only steering staff set targets.")
    with acting_as(actor):
        target.delete()
    changed(ChangeKind.INDICATOR, [target.indicator_id])


class _Keep:
    """The default of `observation_record`'s fields: keep what is stored."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


def ratio_value(numerator: Decimal, denominator: Decimal) -> Decimal:
    """The percentage a numerator and a denominator give, as the model stores it."""
    ratio = numerator * 100 / denominator
    try:
        return ratio.quantize(Decimal(1).scaleb(-4))
    except InvalidOperation:  # more digits than the model keeps: it refuses the value
        return ratio


def ratio_kept(observation: Observation | None, value: Decimal | None) -> bool:
    """Whether a stored numerator and denominator still give `value`: a value typed
    directly that they do not give replaces them (they are cleared)."""
    if observation is None or observation.numerator is None or not observation.denominator:
        return False
    if value is None:
        return False
    try:
        return ratio_value(observation.numerator, observation.denominator) == value.quantize(
            Decimal(1).scaleb(-4)
        )
    except InvalidOperation:  # more digits than the model keeps: it refuses the value
        return False


def ratio_fields(observation: Observation | None, value, numerator, denominator) -> tuple:
    """The numerator and denominator to store (KEEP: as stored): a value given without
    a numerator clears a stored ratio that no longer gives it, and a denominator goes
    with its numerator."""
    stored_numerator = observation.numerator if observation is not None else None
    stored_denominator = observation.denominator if observation is not None else None
    if (
        value is not KEEP
        and numerator is KEEP
        and stored_numerator is not None
        and not ratio_kept(observation, value)
    ):
        numerator = None
    if numerator is None and denominator is KEEP and stored_denominator is not None:
        denominator = None
    return numerator, denominator


def parts_refusal(observation: Observation | None, value: Decimal | None) -> str | None:
    """Why a new value cannot be stored over a breakdown it no longer equals, when no
    new breakdown is given; None when the stored parts (if any) still add up."""
    if observation is None or observation.pk is None or value is None:
        return None
    parts = list(observation.parts.values_list("value", flat=True))
    if not parts or sum(parts, Decimal(0)) == value:
        return None
    return _(
        "The stored breakdown adds up to %(parts)s, not to %(total)s: give the new "
        "breakdown too (the breakdown columns of the template)."
    ) % {"parts": plain(sum(parts, Decimal(0))), "total": plain(value)}


def period_ended_check(period_end: datetime.date) -> None:
    """Refuse a value for a period that has not ended: a value is what was observed, and
    the indicator model has no notion of a forecast (targets say what is expected)."""
    today = timezone.localdate()
    if period_end > today:
        message = _(
            "The period ends on %(end)s: its value can be recorded once it has ended, "
            "not on %(today)s."
        ) % {"end": short_date(period_end), "today": short_date(today)}
        raise ValidationError({"period_end": ValidationError(message, code="period-not-ended")})


@transaction.atomic
def observation_record(
    *,
    actor,
    indicator: Indicator,
    period_start: datetime.date,
    period_end: datetime.date,
    value: Decimal | _Keep | None = KEEP,
    numerator: Decimal | _Keep | None = KEEP,
    denominator: Decimal | _Keep | None = KEEP,
    text_value: str | _Keep = KEEP,
    comment: str | _Keep = KEEP,
    evidence_url: str | _Keep = KEEP,
    breakdown: dict[Term, Decimal] | None = None,
) -> Observation:
    """Record (or correct, while still a draft or submitted) a value for a period that
    has ended.

    A field not given (KEEP) keeps what is stored, or is empty on a new value. A value
    given without a numerator clears a stored numerator and denominator that no longer
    give it; a value the stored breakdown no longer adds up to is refused unless a new
    `breakdown` is given (parts are data: never dropped nor left inconsistent)."""
    require(can_report(actor, indicator), _("You may not report this indicator."))
    period_ended_check(period_end)
    observation = Observation.objects.filter(
        indicator=indicator, period_start=period_start, period_end=period_end
    ).first()
    if observation is None:
        observation = Observation(
            indicator=indicator, period_start=period_start, period_end=period_end
        )
    elif observation.state in LOCKED_STATES:
        raise PeriodLocked(observation)
    given = {
        "value": value,
        "numerator": numerator,
        "denominator": denominator,
        "text_value": text_value,
        "comment": comment,
        "evidence_url": evidence_url,
    }
    given["numerator"], given["denominator"] = ratio_fields(
        observation, value, numerator, denominator
    )
    for name, field_value in given.items():
        if field_value is not KEEP:
            setattr(observation, name, field_value)
    observation.reported_by = actor
    observation.state = State.DRAFT
    with acting_as(actor):
        observation.full_clean()
        if breakdown is None and (reason := parts_refusal(observation, observation.value)):
            raise ValidationError({"value": reason}, code="breakdown")
        observation.save()
        if breakdown is not None:
            _breakdown_set(observation, breakdown)
    return observation


@transaction.atomic
def observation_save(*, actor, observation: Observation) -> Observation:
    """Save an observation edited in a form; a locked period refuses the change."""
    require(can_report(actor, observation.indicator), _("You may not report this indicator."))
    stored = Observation.objects.filter(pk=observation.pk).values_list("state", flat=True).first()
    if stored in LOCKED_STATES:
        raise PeriodLocked(observation)
    if observation.period_end is not None:  # a missing end is full_clean's to report
        period_ended_check(observation.period_end)
    if stored is None:
        observation.state = State.DRAFT
    observation.reported_by = actor
    with acting_as(actor):
        observation.full_clean()
        observation.save()
    return observation


@transaction.atomic
def observation_delete(*, actor, observation: Observation) -> None:
    require(can_validate(actor, observation), _("Only steering staff delete values."))
    if observation.state in LOCKED_STATES:
        raise PeriodLocked(observation)
    with acting_as(actor):
        observation.delete()


def _breakdown_set(observation: Observation, breakdown: dict[Term, Decimal]) -> None:
    """Parts of one taxonomy whose sum is the total, exactly."""
    schemes = {term.taxonomy_id for term in breakdown}
    if len(schemes) > 1:
        raise ValidationError(_("A breakdown uses the terms of one taxonomy."), code="breakdown")
    total = sum(breakdown.values(), Decimal(0))
    if breakdown and total != observation.value:
        raise ValidationError(
            _("The parts add up to %(parts)s, not to the total %(total)s.")
            % {"parts": total, "total": observation.value},
            code="breakdown",
        )
    observation.parts.all().delete()
    ObservationPart.objects.bulk_create(
        ObservationPart(observation=observation, term=term, value=value)
        for term, value in breakdown.items()
    )


@transaction.atomic
def observation_transition(
    *, actor, observation: Observation, transition: str, reason: str = ""
) -> Observation:
    """Move an observation along the workflow; every step is audited with its reason."""
    sources, target, decider, needs_reason = TRANSITIONS[transition]
    if decider == "staff":
        require(can_validate(actor, observation), _("Only steering staff do this."))
    else:
        require(can_report(actor, observation.indicator), _("You may not report this indicator."))
    if observation.state not in sources:
        raise ValidationError(
            _("A %(state)s value cannot be %(transition)s.")
            % {"state": observation.get_state_display(), "transition": transition},
            code="transition",
        )
    if needs_reason and not reason.strip():
        raise ValidationError(_("Give a reason."), code="reason")
    public_before = observation.state == State.PUBLISHED
    observation.state = target
    observation.review_note = reason.strip()
    if transition == "submit":
        observation.submitted_at = timezone.now()
    with acting_as(actor):
        observation.save()
    if public_before or target == State.PUBLISHED:
        # What the public reads moved: this indicator, and what it rolls up into.
        changed(ChangeKind.INDICATOR, [observation.indicator_id])
    return observation
