"""Reporting campaigns: what is due, who reported on time, reminders, and the spreadsheet
round trip (a prefilled template to download, the same file to upload back).

Uploads are read by `core.spreadsheets`, the one reader: CSV or XLSX as Excel and
LibreOffice save them, headers in any of the four languages, numbers and dates as people
write them, a percentage meaning what the indicator's unit says. An upload is refused
whole when any row is wrong, with the file, sheet, row, column, value and reason of every
problem; it can be checked first (a dry run) for what each row would create, change or
leave alone. A row equal to what is stored (to the model's four decimals) changes nothing,
so exporting then re-importing a template, in any language, writes nothing.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mass_mail
from django.db import models, transaction
from django.utils import formats, timezone, translation
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook

from pilotage.accounts.models import Role, User
from pilotage.accounts.permissions import is_steering
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError
from pilotage.core.formatting import short_date
from pilotage.core.permissions import require
from pilotage.core.spreadsheets import (
    EXCEL_DIGITS,
    LANGUAGES,
    CellError,
    Column,
    ImportReport,
    Missing,
    Number,
    SheetRow,
    columns,
    no_data,
    number_for_unit,
    plain,
    quoted,
    read_table,
    written,
    xlsx_row,
)
from pilotage.indicators import services
from pilotage.indicators.models import (
    CampaignState,
    Indicator,
    Measure,
    Observation,
    ObservationState,
    ReportingCampaign,
)
from pilotage.indicators.permissions import can_view_unpublished
from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
from pilotage.taxonomies.models import Term


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


def campaign_list_public() -> models.QuerySet[ReportingCampaign]:
    """Campaigns whose coverage the public may read: of every action, or of a public
    strategy (a campaign of a draft is not public)."""
    return ReportingCampaign.objects.filter(
        models.Q(strategy__isnull=True) | models.Q(strategy__in=Strategy.objects.public())
    )


def campaigns_visible_to(user) -> models.QuerySet[ReportingCampaign]:
    """Every campaign for those who report or review; the public ones for anyone else (a
    reader reads only what is public)."""
    if can_view_unpublished(user):
        return ReportingCampaign.objects.all()
    return campaign_list_public()


@dataclass
class CoverageRow:
    label: str
    due: int = 0
    reported: int = 0
    on_time: int = 0
    validated: int = 0


def campaign_coverage(campaign: ReportingCampaign) -> dict[str, list[CoverageRow]]:
    """Per organisation and per programme (the node an action serves): what was due,
    reported (submitted or later), reported by the deadline, and validated. Read by the
    public: only public indicators count and only public nodes are named (a draft
    strategy's are not)."""
    public = set(Indicator.objects.public().values_list("pk", flat=True))
    items = [item for item in campaign_due(campaign) if item.indicator.pk in public]
    nodes = defaultdict(list)
    action_ids = {item.indicator.action_id for item in items}
    for action_id, code, title in Action.nodes.through.objects.filter(
        action_id__in=action_ids, strategynode__in=StrategyNode.objects.public()
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
                "deadline": formats.date_format(campaign.deadline),
            }
            body = _(
                'Hello,\n\nThe reporting campaign "%(campaign)s" closes on %(deadline)s. '
                "Your organisation still has %(count)d value(s) to report.\n"
            ) % {
                "campaign": campaign.title,
                "deadline": formats.date_format(campaign.deadline),
                "count": missing[editor.organisation_id],
            }
            messages.append((subject, body, settings.DEFAULT_FROM_EMAIL, [editor.email]))
        campaign.reminded_on = today
        campaign.save(update_fields=["reminded_on"])
    if messages:
        send_mass_mail(messages, fail_silently=False)
    return len(messages)


# --- the spreadsheet round trip ------------------------------------------------------

# The template's columns by key (the English name, also read as a header), with the
# label a partner sees: messages the catalogues translate in fr, nl and de.
LABELS = {
    "indicator": gettext_noop("indicator"),
    "title": gettext_noop("title"),
    "unit": gettext_noop("unit"),
    "period_start": gettext_noop("start of period"),
    "period_end": gettext_noop("end of period"),
    "value": gettext_noop("value"),
    "numerator": gettext_noop("numerator"),
    "denominator": gettext_noop("denominator"),
    "comment": gettext_noop("comment"),
    "state": gettext_noop("state"),
}
COLUMNS = list(LABELS)
# Columns the uploader fills in; the others describe the row and are checked or ignored.
NUMERIC = ("value", "numerator", "denominator")
# What the model keeps of a number: a value equal to this precision changes nothing.
PLACES = Decimal(1).scaleb(-4)


def upload_columns() -> dict[str, Column]:
    """The columns an upload reads, each under its key or its label in any language."""
    labels: dict[str, dict[str, str]] = {key: {} for key in LABELS}
    for language in LANGUAGES:
        with translation.override(language):
            for key, message in LABELS.items():
                labels[key][language] = _(message)
    return columns(*(Column(key, labels[key], required=key == "indicator") for key in LABELS))


def _language(language: str | None) -> str:
    return (language or translation.get_language() or "fr")[:2]


def _term_column(term: Term) -> str:
    return f"{term.taxonomy.code}:{term.code}"


def _parts(observation: Observation | None) -> dict[str, Decimal]:
    if observation is None:
        return {}
    return {
        _term_column(part.term): part.value
        for part in observation.parts.select_related("term__taxonomy")
    }


def _in_percent(indicator: Indicator) -> bool:
    """Whether the indicator takes a percentage ("45 %" is 45) rather than refusing it."""
    try:
        number_for_unit(
            Number(Decimal(1), percent=True),
            unit=indicator.unit,
            percentage=indicator.measure == Measure.PERCENTAGE,
        )
    except CellError:
        return False
    return True


def template_rows(
    campaign: ReportingCampaign, items: list[DueItem], language: str | None = None
) -> tuple[list[str], list[tuple[DueItem, list]]]:
    """The header in the partner's language and one row per due indicator, prefilled with
    what is stored: numbers as Decimals and dates as dates, for each writer to write."""
    language = _language(language)
    parts = {item.indicator.pk: _parts(item.observation) for item in items}
    breakdown = sorted({column for stored in parts.values() for column in stored})
    wanted = upload_columns()
    with translation.override(language):
        header = [capfirst(wanted[key].label(language)) for key in COLUMNS]
        rows = []
        for item in items:
            observation = item.observation
            state = ObservationState(item.state).label if observation else _("Missing")
            rows.append(
                (
                    item,
                    [
                        item.indicator.code,
                        item.indicator.title,
                        item.indicator.unit,
                        campaign.period_start,
                        campaign.period_end,
                        _shown_value(item.indicator, observation),
                        observation.numerator if observation else None,
                        observation.denominator if observation else None,
                        observation.comment if observation else "",
                        str(state),
                        *[parts[item.indicator.pk].get(column) for column in breakdown],
                    ],
                )
            )
    return header + breakdown, rows


def _shown_value(indicator: Indicator, observation: Observation | None):
    """The value column: a text indicator's text, otherwise the number."""
    if observation is None:
        return None
    if indicator.measure == Measure.TEXT:
        return observation.text_value
    return observation.value


def template_csv(
    campaign: ReportingCampaign, items: list[DueItem], language: str | None = None
) -> str:
    """The template as Excel in Belgium opens it: semicolons, a UTF-8 byte order mark,
    numbers with the language's decimal mark; a text that starts like a formula gets a
    quote before it (`quoted`), which the reader takes off again."""
    language = _language(language)
    header, rows = template_rows(campaign, items, language)
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow([quoted(label) for label in header])
    for _item, row in rows:
        writer.writerow(
            [
                written(value, language)
                if isinstance(value, Decimal)
                else value.isoformat()
                if isinstance(value, datetime.date)
                else quoted(value)
                if isinstance(value, str)
                else ("" if value is None else value)
                for value in row
            ]
        )
    return buffer.getvalue()


def template_xlsx(
    campaign: ReportingCampaign, items: list[DueItem], language: str | None = None
) -> bytes:
    """The template as a workbook: typed numbers and dates; an indicator in percent shows
    its value as a percentage (45 %), the way a partner types it. Every text is a text
    cell, never a formula, one that starts like a formula with a quote before it (a title
    "=HYPERLINK(...)" is written "'=HYPERLINK(...)", as in the CSV, and the reader takes
    the quote off again); a number Excel would round (more than 15 significant digits) is
    written as text, which the reader reads exactly."""
    language = _language(language)
    header, rows = template_rows(campaign, items, language)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "".join("-" if c in "[]:*?/\\" else c for c in campaign.code)[:31] or "data"
    sheet.append(xlsx_row(sheet, header))
    _as_text(sheet[1])
    value_column = COLUMNS.index("value")
    for item, row in rows:
        # Texts quoted before the numbers Excel would round are written as text: those
        # are read back as numbers, without a quote to take off.
        sheet.append([_cell(value, language) for value in xlsx_row(sheet, row)])
        cells = sheet[sheet.max_row]
        for index in (COLUMNS.index("period_start"), COLUMNS.index("period_end")):
            cells[index].number_format = "DD/MM/YYYY"
        value = row[value_column]
        if isinstance(value, Decimal) and _in_percent(item.indicator):
            if _exact_in_excel(value / 100):
                cells[value_column].value = _cell(value / 100, language)
                cells[value_column].number_format = "0%" if value == int(value) else "0.00##%"
            else:
                cells[value_column].value = f"{written(value, language)} %"
        _as_text(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _as_text(cells) -> None:
    """Text cells stay text. A number written as text is marked with Excel's quotePrefix
    (a style, not part of the value read back), so editing it does not make it a number
    Excel rounds."""
    for cell in cells:
        if isinstance(cell.value, str):
            cell.data_type = "s"
            if _number_text(cell.value):
                cell.quotePrefix = True


def _number_text(text: str) -> bool:
    return bool(text) and text.lstrip("-")[:1].isdigit()


def _exact_in_excel(value: Decimal) -> bool:
    """Whether Excel keeps this number exactly: 15 significant digits at most."""
    return len(Decimal(plain(value)).as_tuple().digits) <= EXCEL_DIGITS


def _cell(value, language: str):
    if isinstance(value, Decimal):
        if not _exact_in_excel(value):
            return written(value, language)
        return int(value) if value == value.to_integral_value() else float(value)
    return value


@dataclass
class _Plan:
    """One row checked: what it gives, and what it will do to the stored value.

    `numbers` holds the numbers the row gives: an empty cell, or a column the file does
    not have, keeps what is stored; so does a comment of None (no comment column)."""

    row: SheetRow
    item: DueItem
    numbers: dict[str, Decimal]
    text: str | None
    comment: str | None
    breakdown: dict[Term, Decimal]
    action: str = "empty"
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)


@transaction.atomic
def campaign_upload(
    *, actor, campaign: ReportingCampaign, name: str, content: bytes, dry_run: bool = False
) -> ImportReport:
    """Record and submit the values of an uploaded template, all or nothing.

    Every row is checked before anything is written; a refusal raises DataFileError with
    every problem. The report says, per row, what was (or, in a dry run, would be)
    created, updated, left unchanged or found empty."""
    if campaign.state != CampaignState.OPEN:
        raise ValidationError(_("This campaign is closed."), code="closed")
    due = {item.indicator.code: item for item in due_for(actor, campaign)}
    table = read_table(name, content, upload_columns())
    if not {"value", "numerator"} & set(table.keys):
        raise DataFileError(
            [
                DataError(
                    name,
                    _("row %(number)d") % {"number": table.header_row},
                    _("no value column (%(labels)s)")
                    % {"labels": ", ".join(sorted(set(upload_columns()["value"].labels.values())))},
                    "value",
                    sheet=table.sheet,
                )
            ]
        )
    rows = list(table.records())
    if not rows:
        raise no_data(table)
    breakdown_keys = [key for key in table.keys if ":" in key]
    table.settle_decimal_mark(
        [row for row in rows if _measure(due, row) != Measure.TEXT], [*NUMERIC, *breakdown_keys]
    )
    terms = _terms(breakdown_keys)
    plans, seen = [], {}
    for row in rows:
        plan = _row_plan(row, campaign, due, seen, terms, breakdown_keys)
        if plan is not None:
            plans.append(plan)
    if table.errors:
        raise DataFileError(table.errors)
    if all(plan.action == "empty" for plan in plans):
        raise DataFileError(
            [
                DataError(
                    name,
                    "",
                    _("no row gives a value: fill in the value column of at least one row"),
                    "value",
                    sheet=table.sheet,
                )
            ]
        )
    report = ImportReport(name, dry_run=dry_run, notes=list(table.notes))
    for plan in plans:
        if plan.action in ("created", "updated"):
            _write(actor, campaign, plan)
        report.add(plan.row.record, plan.item.indicator.code, plan.action, plan.changes)
    if table.errors:
        raise DataFileError(table.errors)  # the transaction is rolled back: nothing is written
    if dry_run:
        transaction.set_rollback(True)
    return report


def _measure(due: dict[str, DueItem], row: SheetRow) -> str | None:
    item = due.get(row.text("indicator"))
    return item.indicator.measure if item else None


def _terms(keys: list[str]) -> dict[tuple[str, str], Term]:
    pairs = [tuple(part.strip() for part in key.split(":", 1)) for key in keys]
    if not pairs:
        return {}
    found = Term.objects.select_related("taxonomy").filter(
        taxonomy__code__in={scheme for scheme, _code in pairs}, code__in={c for _s, c in pairs}
    )
    return {(term.taxonomy.code, term.code): term for term in found}


def _row_plan(
    row: SheetRow,
    campaign: ReportingCampaign,
    due: dict[str, DueItem],
    seen: dict[str, int],
    terms: dict[tuple[str, str], Term],
    breakdown_keys: list[str],
) -> _Plan | None:
    """Check one row; its problems go to the table's errors."""
    code = row.text("indicator")
    if isinstance(row.raw("indicator"), Missing):
        return None  # the formula without a saved value is the row's problem
    if not code:
        row.problem("indicator", _("indicator code missing"))
        return None
    if code in seen:
        row.problem("indicator", _("duplicate of row %(row)d") % {"row": seen[code]})
        return None
    seen[code] = row.number
    if code not in due:
        row.problem(
            "indicator",
            _("unknown indicator %(code)r") % {"code": code}
            if not Indicator.objects.filter(code=code).exists()
            else _("%(code)s is not yours to report in this campaign") % {"code": code},
        )
        return None
    for key, expected in (
        ("period_start", campaign.period_start),
        ("period_end", campaign.period_end),
    ):
        given = row.date(key)
        if given is not None and given != expected:
            row.problem(
                key,
                _("%(given)s is outside the campaign's period (%(start)s to %(end)s)")
                % {
                    "given": short_date(given),
                    "start": short_date(campaign.period_start),
                    "end": short_date(campaign.period_end),
                },
            )
    item = due[code]
    indicator = item.indicator
    given = set(row.table.keys)
    # A text indicator's text goes in the value column; every other value is a number.
    is_text = indicator.measure == Measure.TEXT
    text = row.text("value") if is_text and "value" in given else None
    numbers: dict[str, Decimal] = {}
    if not is_text and "value" in given:
        numbers["value"] = _kept(row, "value", _for_indicator(row, "value", indicator))
    for key in ("numerator", "denominator"):
        if key in given:
            numbers[key] = _kept(row, key, row.decimal(key))
    numbers = {key: number for key, number in numbers.items() if number is not None}
    breakdown = {}
    for key in breakdown_keys:
        if not row.text(key):
            continue
        term = terms.get(tuple(part.strip() for part in key.split(":", 1)))
        if term is None:
            row.problem(key, _("unknown term"))
            continue
        part = _kept(row, key, _for_indicator(row, key, indicator))
        if part is not None:
            breakdown[term] = part
    value = numbers.get("value")
    if breakdown and value is not None and sum(breakdown.values()) != value:
        row.problem(
            "value",
            _("the parts add up to %(parts)s, not to %(total)s")
            % {"parts": plain(sum(breakdown.values())), "total": plain(value)},
        )
    numerator, denominator = numbers.get("numerator"), numbers.get("denominator")
    if value is not None and numerator is not None and denominator:
        ratio = services.ratio_value(numerator, denominator)
        if ratio != _normal(value):
            row.problem(
                "value",
                _(
                    "%(value)s is not what the numerator and denominator give "
                    "(%(numerator)s / %(denominator)s = %(ratio)s): correct one or the other"
                )
                % {
                    "value": plain(value),
                    "numerator": plain(numerator),
                    "denominator": plain(denominator),
                    "ratio": plain(ratio),
                },
            )
    for column, reason in _measure_problems(indicator, numbers, text or "", breakdown):
        row.problem(column, reason)
    comment = row.text("comment") if "comment" in given else None
    plan = _Plan(row, item, numbers, text, comment, breakdown)
    if value is None and numerator is None and not text:
        return plan  # empty: the row gives nothing
    plan.changes = _changes(plan)
    if item.observation is None:
        plan.action = "created"
    elif plan.changes:
        plan.action = "updated"
        if item.observation.state in services.LOCKED_STATES:
            row.problem("value", _("this period is validated and locked"))
    else:
        plan.action = "unchanged"
    return plan


def _for_indicator(row: SheetRow, key: str, indicator: Indicator) -> Decimal | None:
    """A number for this indicator: its unit decides whether "45 %" is 45 or refused."""
    number = row.numeric(key)
    if number is None:
        return None
    try:
        return number_for_unit(
            number, unit=indicator.unit, percentage=indicator.measure == Measure.PERCENTAGE
        )
    except CellError as error:
        row.problem(key, str(error))
        return None


def _kept(row: SheetRow, key: str, number: Decimal | None) -> Decimal | None:
    """A number the model keeps as given: more decimal places than its four are refused
    (1.23456 is not 1.2346), before any comparison; trailing zeros are no places."""
    if number is None:
        return None
    exponent = Decimal(plain(number)).as_tuple().exponent
    if isinstance(exponent, int) and exponent < PLACES.as_tuple().exponent:
        row.problem(
            key,
            _("%(value)s has more than %(places)d decimal places: values are kept to %(places)d")
            % {"value": row.text(key) or plain(number), "places": -PLACES.as_tuple().exponent},
        )
        return None
    return number


def _normal(value):
    """A value as stored: a number to the model's four decimal places, a text stripped."""
    if isinstance(value, Decimal):
        try:
            return value.quantize(PLACES)
        except InvalidOperation:  # more digits than any field keeps: the model refuses it
            return value
    return (value or "").strip() if isinstance(value, str) or value is None else value


def _shown(value) -> str:
    return written(value) if isinstance(value, Decimal) else (value or "")


def _changes(plan: _Plan) -> dict[str, tuple[str, str]]:
    """{column: (before, after)} for what the row changes, compared as stored: what the
    file does not give is kept, as `services.observation_record` keeps it."""
    observation, indicator = plan.item.observation, plan.item.indicator
    after: dict[str, object] = {}
    before: dict[str, object] = {}
    if plan.comment is not None:
        after["comment"] = plan.comment
        before["comment"] = observation.comment if observation else ""
    if indicator.measure == Measure.TEXT:
        if plan.text is not None:
            after["value"] = plan.text
            before["value"] = observation.text_value if observation else ""
    else:
        if plan.numbers.get("numerator") is None and "value" in plan.numbers:
            # else the value follows from the ratio
            after["value"] = plan.numbers["value"]
            before["value"] = observation.value if observation else None
        ratio = services.ratio_fields(
            observation,
            plan.numbers.get("value", services.KEEP),
            plan.numbers.get("numerator", services.KEEP),
            plan.numbers.get("denominator", services.KEEP),
        )
        for column, given in zip(("numerator", "denominator"), ratio, strict=True):
            stored = getattr(observation, column) if observation else None
            if given is services.KEEP:
                continue
            if stored is not None or given is not None:
                after[column], before[column] = given, stored
    if plan.breakdown:
        stored_parts = _parts(observation)
        given = {_term_column(term): value for term, value in plan.breakdown.items()}
        for column in sorted(set(stored_parts) | set(given)):
            after[column], before[column] = given.get(column), stored_parts.get(column)
    return {
        column: (_shown(before[column]), _shown(after[column]))
        for column in after
        if _normal(before[column]) != _normal(after[column])
    }


def _write(actor, campaign: ReportingCampaign, plan: _Plan) -> None:
    """Record and submit one row's value, passing only what the file gives; what only
    the model refuses is a problem of the row, still named by its column."""
    given: dict[str, object] = dict(plan.numbers)
    if plan.text is not None:
        given["text_value"] = plan.text
    if plan.comment is not None:
        given["comment"] = plan.comment
    try:
        observation = services.observation_record(
            actor=actor,
            indicator=plan.item.indicator,
            period_start=campaign.period_start,
            period_end=campaign.period_end,
            breakdown=plan.breakdown or None,
            **given,
        )
        services.observation_transition(actor=actor, observation=observation, transition="submit")
    except ValidationError as error:
        messages = (
            error.message_dict.items() if hasattr(error, "error_dict") else [("", error.messages)]
        )
        for field_name, texts in messages:
            for message in texts:
                plan.row.problem(FIELD_COLUMNS.get(field_name, "value"), message)


# Where a model field's problem shows in the template.
FIELD_COLUMNS = {"value": "value", "text_value": "value", "numerator": "numerator"}
FIELD_COLUMNS |= {"denominator": "denominator", "comment": "comment"}


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
                    % {"code": indicator.code, "column": column},
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
            % {"code": indicator.code, "value": plain(value)},
        )
    if measure in (Measure.TEXT, Measure.BOOLEAN):
        for term in breakdown:
            yield (
                _term_column(term),
                _("%(code)s has no breakdown") % {"code": indicator.code},
            )
