"""Reporting campaigns: what is due, who reported on time, reminders, and the spreadsheet
round trip (a prefilled template to download, the same file to upload back).

An upload is refused whole when any row is wrong, with the file, row, column and reason
of every problem; a row equal to what is stored changes nothing, so exporting then
re-importing a template writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from pilotage.accounts.models import Role, User
from pilotage.accounts.permissions import is_steering
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError
from pilotage.core.permissions import require
from pilotage.indicators import services
from pilotage.indicators.models import (
    CampaignState,
    Indicator,
    Measure,
    Observation,
    ObservationState,
    ReportingCampaign,
)
from pilotage.strategies.models import Action, ActionStatus
from pilotage.taxonomies.models import Term

COLUMNS = [
    "indicator",
    "title",
    "unit",
    "period_start",
    "period_end",
    "value",
    "numerator",
    "denominator",
    "comment",
    "state",
]
# Columns the uploader fills in; the others describe the row and are checked or ignored.
NUMERIC = ("value", "numerator", "denominator")


@dataclass
class DueItem:
    indicator: Indicator
    observation: Observation | None

    @property
    def state(self) -> str:
        return self.observation.state if self.observation else "missing"


# --- opening and closing ------------------------------------------------------------


@transaction.atomic
def campaign_open(
    *,
    actor,
    code: str,
    title: str,
    period_start: datetime.date,
    period_end: datetime.date,
    deadline: datetime.date,
    strategy=None,
    remind_days_before: int = 7,
) -> ReportingCampaign:
    """Open a campaign for a period: every action owner now sees what is due."""
    require(is_steering(actor), _("Only steering staff open campaigns."))
    campaign = ReportingCampaign(
        code=code,
        title_fr=title,
        period_start=period_start,
        period_end=period_end,
        deadline=deadline,
        strategy=strategy,
        remind_days_before=remind_days_before,
    )
    with acting_as(actor):
        campaign.full_clean()
        campaign.save()
    return campaign


@transaction.atomic
def campaign_save(*, actor, campaign: ReportingCampaign) -> ReportingCampaign:
    """Create or change a campaign from a form."""
    require(is_steering(actor), _("Only steering staff manage campaigns."))
    with acting_as(actor):
        campaign.full_clean()
        campaign.save()
    return campaign


@transaction.atomic
def campaign_delete(*, actor, campaign: ReportingCampaign) -> None:
    require(is_steering(actor), _("Only steering staff manage campaigns."))
    with acting_as(actor):
        campaign.delete()


@transaction.atomic
def campaign_close(*, actor, campaign: ReportingCampaign) -> ReportingCampaign:
    require(is_steering(actor), _("Only steering staff close campaigns."))
    campaign.state = CampaignState.CLOSED
    with acting_as(actor):
        campaign.save()
    return campaign


# --- what is due ----------------------------------------------------------------------


def campaign_indicators(campaign: ReportingCampaign, *, organisation_id: int | None = None):
    """The indicators to report in this campaign: typed-in ones of live actions."""
    queryset = (
        Indicator.objects.filter(action__isnull=False, formula={})
        .exclude(action__status=ActionStatus.CANCELLED)
        .select_related("action__lead")
        .order_by("action__code", "code")
    )
    if campaign.strategy_id:
        queryset = queryset.filter(action__nodes__strategy_id=campaign.strategy_id).distinct()
    if organisation_id is not None:
        queryset = queryset.filter(action__lead_id=organisation_id)
    return queryset


def campaign_due(
    campaign: ReportingCampaign, *, organisation_id: int | None = None
) -> list[DueItem]:
    """Each indicator due in the campaign with its value for the period, if any."""
    indicators = list(campaign_indicators(campaign, organisation_id=organisation_id))
    observations = {
        o.indicator_id: o
        for o in Observation.objects.filter(
            indicator__in=indicators,
            period_start=campaign.period_start,
            period_end=campaign.period_end,
        )
    }
    return [DueItem(indicator, observations.get(indicator.pk)) for indicator in indicators]


def due_for(actor, campaign: ReportingCampaign) -> list[DueItem]:
    """What this user must report: its organisation's items, or everything for staff."""
    if is_steering(actor):
        return campaign_due(campaign)
    if actor.is_authenticated and actor.role == Role.PARTNER_EDITOR:
        return campaign_due(campaign, organisation_id=actor.organisation_id)
    raise PermissionDenied(_("Only action owners and steering staff report."))


@dataclass
class CoverageRow:
    label: str
    due: int = 0
    reported: int = 0
    on_time: int = 0
    validated: int = 0


def campaign_coverage(campaign: ReportingCampaign) -> dict[str, list[CoverageRow]]:
    """Per organisation and per programme (the node an action serves): what was due,
    reported (submitted or later), reported by the deadline, and validated."""
    items = campaign_due(campaign)
    nodes = defaultdict(list)
    action_ids = {item.indicator.action_id for item in items}
    for action_id, code, title in Action.nodes.through.objects.filter(
        action_id__in=action_ids
    ).values_list("action_id", "strategynode__code", "strategynode__title"):
        nodes[action_id].append(f"{code} {title}")
    by_organisation: dict[str, CoverageRow] = {}
    by_programme: dict[str, CoverageRow] = {}
    for item in items:
        lead = item.indicator.action.lead
        rows = [
            by_organisation.setdefault(
                lead.name if lead else "—", CoverageRow(lead.name if lead else "—")
            )
        ]
        rows += [
            by_programme.setdefault(label, CoverageRow(label))
            for label in nodes[item.indicator.action_id]
        ]
        observation = item.observation
        reported = observation is not None and observation.state != ObservationState.DRAFT
        on_time = bool(
            reported
            and observation.submitted_at
            and timezone.localdate(observation.submitted_at) <= campaign.deadline
        )
        validated = reported and observation.state in services.LOCKED_STATES
        for row in rows:
            row.due += 1
            row.reported += reported
            row.on_time += on_time
            row.validated += validated
    return {
        "organisations": sorted(by_organisation.values(), key=lambda r: r.label),
        "programmes": sorted(by_programme.values(), key=lambda r: r.label),
    }


# --- reminders ------------------------------------------------------------------------


def reminders_send(*, today: datetime.date | None = None) -> int:
    """E-mail each partner editor whose organisation still owes values, once a day,
    from `remind_days_before` days before the deadline until it passes."""
    today = today or timezone.localdate()
    messages = []
    campaigns = ReportingCampaign.objects.filter(state=CampaignState.OPEN, deadline__gte=today)
    for campaign in campaigns:
        if (
            campaign.deadline - today
        ).days > campaign.remind_days_before or campaign.reminded_on == today:
            continue
        missing: Counter = Counter()
        for item in campaign_due(campaign):
            if item.state in ("missing", ObservationState.DRAFT) and item.indicator.action.lead_id:
                missing[item.indicator.action.lead_id] += 1
        editors = User.objects.filter(
            role=Role.PARTNER_EDITOR, is_active=True, organisation_id__in=missing
        )
        for editor in editors:
            subject = _("Pilotage: %(count)d value(s) to report by %(deadline)s") % {
                "count": missing[editor.organisation_id],
                "deadline": campaign.deadline.isoformat(),
            }
            body = _(
                'Hello,\n\nThe reporting campaign "%(campaign)s" closes on %(deadline)s. '
                "Your organisation still has %(count)d value(s) to report.\n"
            ) % {
                "campaign": campaign.title,
                "deadline": campaign.deadline.isoformat(),
                "count": missing[editor.organisation_id],
            }
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [editor.email]))
        campaign.reminded_on = today
        campaign.save(update_fields=["reminded_on"])
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)


# --- the spreadsheet round trip ------------------------------------------------------


def _breakdown_columns(items: list[DueItem]) -> list[str]:
    """ "provinces:namur" columns, for the breakdowns already given in the campaign."""
    columns = set()
    for item in items:
        if item.observation is not None:
            for part in item.observation.parts.select_related("term__taxonomy"):
                columns.add(f"{part.term.taxonomy.code}:{part.term.code}")
    return sorted(columns)


def template_rows(items: list[DueItem]) -> tuple[list[str], list[list]]:
    """The header and one row per due indicator, prefilled with what is stored."""
    breakdown = _breakdown_columns(items)
    rows = []
    for item in items:
        observation = item.observation
        parts = {}
        if observation is not None:
            parts = {
                f"{part.term.taxonomy.code}:{part.term.code}": part.value
                for part in observation.parts.select_related("term__taxonomy")
            }
        rows.append(
            [
                item.indicator.code,
                item.indicator.title,
                item.indicator.unit,
                "",
                "",
                _shown_value(item.indicator, observation),
                observation.numerator if observation and observation.numerator is not None else "",
                observation.denominator
                if observation and observation.denominator is not None
                else "",
                observation.comment if observation else "",
                item.state,
                *[parts.get(column, "") for column in breakdown],
            ]
        )
    return COLUMNS + breakdown, rows


def _shown_value(indicator: Indicator, observation: Observation | None):
    """The value column: a text indicator's text, otherwise the number."""
    if observation is None:
        return ""
    if indicator.measure == Measure.TEXT:
        return observation.text_value
    return observation.value


def template_csv(campaign: ReportingCampaign, items: list[DueItem]) -> str:
    header, rows = template_rows(items)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for row in rows:
        row[3], row[4] = campaign.period_start.isoformat(), campaign.period_end.isoformat()
        writer.writerow(["" if value is None else value for value in row])
    return buffer.getvalue()


def template_xlsx(campaign: ReportingCampaign, items: list[DueItem]) -> bytes:
    header, rows = template_rows(items)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = campaign.code[:31]
    sheet.append(header)
    for row in rows:
        row[3], row[4] = campaign.period_start, campaign.period_end
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _read_rows(name: str, content: bytes) -> list[tuple[int, dict[str, str]]]:
    from pilotage.core.spreadsheets import Column, columns, read_table

    wanted = columns(
        Column("indicator", required=True), *(Column(key) for key in COLUMNS if key != "indicator")
    )
    table = read_table(name, content, wanted)
    return [(row.number, {key: row.text(key) for key in row.cells}) for row in table.records()]


def _decimal(text: str) -> Decimal | None:
    text = (text or "").strip().replace(" ", "").replace("\u00a0", "")
    if not text:
        return None
    # Spreadsheets in French write 12,5.
    return Decimal(text.replace(",", "."))


@transaction.atomic
def campaign_upload(*, actor, campaign: ReportingCampaign, name: str, content: bytes) -> Counter:
    """Record and submit the values of an uploaded template, all or nothing."""
    if campaign.state != CampaignState.OPEN:
        raise ValidationError(_("This campaign is closed."), code="closed")
    due = {item.indicator.code: item for item in due_for(actor, campaign)}
    rows = _read_rows(name, content)
    terms = {(t.taxonomy.code, t.code): t for t in Term.objects.select_related("taxonomy")}
    errors, plans, seen = [], [], {}
    for number, row in rows:
        record = _("row %(number)d") % {"number": number}
        code = (row.get("indicator") or "").strip()
        if code in seen:
            errors.append(
                DataError(
                    name, record, _("duplicate of row %(row)d") % {"row": seen[code]}, "indicator"
                )
            )
            continue
        seen[code] = number
        if code not in due:
            reason = (
                _("unknown indicator %(code)r") % {"code": code}
                if not Indicator.objects.filter(code=code).exists()
                else _("%(code)s is not yours to report in this campaign") % {"code": code}
            )
            errors.append(DataError(name, record, reason, "indicator"))
            continue
        for column, expected in (
            ("period_start", campaign.period_start),
            ("period_end", campaign.period_end),
        ):
            given = (row.get(column) or "").strip()
            if given and given != expected.isoformat():
                errors.append(
                    DataError(
                        name,
                        record,
                        _("%(given)s is outside the campaign's period (%(start)s to %(end)s)")
                        % {
                            "given": given,
                            "start": campaign.period_start,
                            "end": campaign.period_end,
                        },
                        column,
                    )
                )
        item = due[code]
        measure = item.indicator.measure
        # A text indicator's text goes in the value column; every other value is a number.
        text = (row.get("value") or "").strip() if measure == Measure.TEXT else ""
        numbers = {}
        for column in NUMERIC:
            if column == "value" and measure == Measure.TEXT:
                continue
            try:
                numbers[column] = _decimal(row.get(column, ""))
            except InvalidOperation:
                errors.append(
                    DataError(
                        name,
                        record,
                        _("%(text)r is not a number") % {"text": row.get(column)},
                        column,
                    )
                )
        breakdown = {}
        for column, cell in row.items():
            if column and ":" in column and (cell or "").strip():
                term = terms.get(tuple(column.split(":", 1)))
                if term is None:
                    errors.append(DataError(name, record, _("unknown term"), column))
                    continue
                try:
                    breakdown[term] = _decimal(cell)
                except InvalidOperation:
                    errors.append(
                        DataError(
                            name, record, _("%(text)r is not a number") % {"text": cell}, column
                        )
                    )
        if (
            breakdown
            and numbers.get("value") is not None
            and sum(breakdown.values()) != numbers["value"]
        ):
            errors.append(
                DataError(
                    name,
                    record,
                    _("the parts add up to %(parts)s, not to %(total)s")
                    % {"parts": sum(breakdown.values()), "total": numbers["value"]},
                    "value",
                )
            )
        errors += [
            DataError(name, record, reason, column)
            for column, reason in _measure_problems(item.indicator, numbers, text, breakdown)
        ]
        comment = (row.get("comment") or "").strip()
        if (
            item.observation is not None
            and item.observation.state in services.LOCKED_STATES
            and _differs(item, numbers, comment, text)
        ):
            errors.append(
                DataError(name, record, _("this period is validated and locked"), "value")
            )
        plans.append((record, item, numbers, text, comment, breakdown))
    if errors:
        raise DataFileError(errors)
    stats: Counter = Counter()
    for record, item, numbers, text, comment, breakdown in plans:
        if numbers.get("value") is None and numbers.get("numerator") is None and not text:
            stats["empty"] += 1
            continue
        if item.observation is not None and not _differs(item, numbers, comment, text):
            stats["unchanged"] += 1
            continue
        try:
            observation = services.observation_record(
                actor=actor,
                indicator=item.indicator,
                period_start=campaign.period_start,
                period_end=campaign.period_end,
                value=numbers.get("value"),
                numerator=numbers.get("numerator"),
                denominator=numbers.get("denominator"),
                text_value=text,
                comment=comment,
                breakdown=breakdown or None,
            )
            services.observation_transition(
                actor=actor, observation=observation, transition="submit"
            )
        except ValidationError as error:  # what only the model knows: still row and column
            errors += _row_errors(name, record, error)
            continue
        stats["submitted"] += 1
    if errors:
        raise DataFileError(errors)  # the transaction is rolled back: nothing is written
    return stats


# Where a model field's problem shows in the template.
FIELD_COLUMNS = {"value": "value", "text_value": "value", "numerator": "numerator"}
FIELD_COLUMNS |= {"denominator": "denominator", "comment": "comment"}


def _row_errors(name: str, record: str, error: ValidationError) -> list[DataError]:
    if not hasattr(error, "error_dict"):
        return [DataError(name, record, message, "value") for message in error.messages]
    return [
        DataError(name, record, message, FIELD_COLUMNS.get(field, ""))
        for field, messages in error.message_dict.items()
        for message in messages
    ]


def _measure_problems(indicator: Indicator, numbers: dict, text: str, breakdown: dict):
    """(column, reason) for what the indicator's measure does not take."""
    measure = indicator.measure
    numerator, denominator = numbers.get("numerator"), numbers.get("denominator")
    if measure != Measure.PERCENTAGE:
        for column in ("numerator", "denominator"):
            if numbers.get(column) is not None:
                yield (
                    column,
                    _("%(code)s is not a percentage: leave %(column)s empty")
                    % {
                        "code": indicator.code,
                        "column": column,
                    },
                )
    else:
        if numerator is not None and denominator is None:
            yield "denominator", _("a numerator needs its denominator")
        if denominator is not None and numerator is None:
            yield "numerator", _("a denominator needs its numerator")
        if denominator == 0:
            yield "denominator", _("a denominator of 0 gives no percentage")
    value = numbers.get("value")
    if measure == Measure.BOOLEAN and value not in (None, 0, 1):
        yield (
            "value",
            _("%(code)s is a yes or no: 1 or 0, not %(value)s")
            % {
                "code": indicator.code,
                "value": value,
            },
        )
    if measure in (Measure.TEXT, Measure.BOOLEAN):
        for term in breakdown:
            yield (
                f"{term.taxonomy.code}:{term.code}",
                _("%(code)s has no breakdown") % {"code": indicator.code},
            )


def _differs(item: DueItem, numbers: dict, comment: str, text: str = "") -> bool:
    """Whether a row changes the stored value (an unchanged row writes nothing)."""
    observation = item.observation
    if item.indicator.measure == Measure.TEXT:
        if (observation.text_value or "") != text:
            return True
    elif observation.numerator is not None or numbers.get("numerator") is not None:
        if (observation.numerator, observation.denominator) != (
            numbers.get("numerator"),
            numbers.get("denominator"),
        ):
            return True
    elif observation.value != numbers.get("value"):
        return True
    return (observation.comment or "") != comment
