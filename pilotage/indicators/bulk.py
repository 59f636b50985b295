"""Bulk import of observations from CSV: every row checked, then written in one go.

Columns: indicator, period_start, period_end, value, and optionally comment. The whole
file is refused if any row is wrong (file, row, column, reason for each, up to a limit);
a row for a validated period is refused too. On PostgreSQL the rows are written with COPY
into a staging table and one INSERT … ON CONFLICT, so a million values take seconds; other
databases use Django's bulk_create with the same result.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_steering
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError
from pilotage.indicators.models import Indicator, Observation, ObservationImport, ObservationState
from pilotage.indicators.services import LOCKED_STATES

REQUIRED = ("indicator", "period_start", "period_end", "value")
NUMBER = re.compile(r"^-?\d{1,16}(\.\d{1,4})?$")
MAX_ERRORS = 200


@dataclass(frozen=True)
class Row:
    number: int
    indicator_id: int
    start: datetime.date
    end: datetime.date
    value: str
    comment: str


def _reportable(actor) -> dict[str, int]:
    """Indicator code → id, for the indicators this user may report (typed-in only)."""
    queryset = Indicator.objects.filter(formula={})
    if not is_steering(actor):
        queryset = queryset.filter(action__lead_id=actor.organisation_id, action__isnull=False)
    return dict(queryset.values_list("code", "pk"))


def _rows(name: str, lines: Iterable[str], reportable: dict[str, int]) -> tuple[list[Row], list]:
    reader = csv.reader(lines)
    header = [cell.strip() for cell in next(reader, [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise DataFileError([DataError(name, _("row 1"), _("missing column"), c) for c in missing])
    at = {column: header.index(column) for column in header}
    comment_at = at.get("comment")
    rows, errors, seen = [], [], set()
    for number, cells in enumerate(reader, start=2):
        if len(errors) >= MAX_ERRORS:
            break
        if not any(cells):
            continue
        record = _("row %(number)d") % {"number": number}
        try:
            code = cells[at["indicator"]].strip()
            start_text, end_text = cells[at["period_start"]], cells[at["period_end"]]
            value = cells[at["value"]].strip().replace(",", ".")
        except IndexError:
            errors.append(DataError(name, record, _("the row has too few cells")))
            continue
        indicator_id = reportable.get(code)
        if indicator_id is None:
            errors.append(
                DataError(
                    name,
                    record,
                    _("unknown indicator, or not yours: %(code)r") % {"code": code},
                    "indicator",
                )
            )
            continue
        try:
            start = datetime.date.fromisoformat(start_text)
            end = datetime.date.fromisoformat(end_text)
        except ValueError:
            errors.append(
                DataError(name, record, _("dates are written 2026-03-31"), "period_start")
            )
            continue
        if end < start:
            errors.append(
                DataError(name, record, _("the period ends before it starts"), "period_end")
            )
            continue
        if not NUMBER.match(value):
            errors.append(
                DataError(name, record, _("%(text)r is not a number") % {"text": value}, "value")
            )
            continue
        key = (indicator_id, start, end)
        if key in seen:
            errors.append(
                DataError(name, record, _("the same indicator and period twice"), "indicator")
            )
            continue
        seen.add(key)
        comment = cells[comment_at] if comment_at is not None and comment_at < len(cells) else ""
        rows.append(Row(number, indicator_id, start, end, value, comment))
    return rows, errors


@transaction.atomic
def observations_import_csv(*, actor, name: str, path) -> int:
    """Import the values of a CSV file as submitted, all or nothing; returns the row count."""
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            digest.update(chunk)
    with open(path, encoding="utf-8-sig", newline="") as lines:
        rows, errors = _rows(name, lines, _reportable(actor))
    if errors:
        raise DataFileError(errors)
    now = timezone.now()
    if connection.vendor == "postgresql":
        locked = _write_postgresql(rows, actor, now)
    else:
        locked = _write_portable(rows, actor, now)
    if locked:
        raise DataFileError(
            DataError(
                name,
                _("row %(number)d") % {"number": n},
                _("this period is validated and locked"),
                "value",
            )
            for n in locked
        )
    with acting_as(actor):
        ObservationImport.objects.create(
            actor=actor, file_name=name, sha256=digest.hexdigest(), rows=len(rows)
        )
    return len(rows)


def _write_postgresql(rows: list[Row], actor, now) -> list[int]:
    table = Observation._meta.db_table
    locked_states = tuple(LOCKED_STATES)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE observation_staging (row_number integer, indicator_id bigint, "
            "period_start date, period_end date, value numeric(20, 4), comment text) ON COMMIT DROP"
        )
        with cursor.copy("COPY observation_staging FROM STDIN") as copy:
            for row in rows:
                copy.write_row(
                    (row.number, row.indicator_id, row.start, row.end, row.value, row.comment)
                )
        cursor.execute(
            f"SELECT s.row_number FROM observation_staging s JOIN {table} o "  # noqa: S608
            "USING (indicator_id, period_start, period_end) WHERE o.state = ANY(%s) "
            "ORDER BY 1 LIMIT %s",
            [list(locked_states), MAX_ERRORS],
        )
        locked = [number for (number,) in cursor.fetchall()]
        if locked:
            return locked
        cursor.execute(
            f"INSERT INTO {table} (indicator_id, period_start, period_end, value, text_value, "  # noqa: S608
            "qualifier, comment, comment_fr, evidence_url, evidence_file, reported_by_id, state, "
            "submitted_at, review_note, created_at, updated_at) "
            "SELECT indicator_id, period_start, period_end, value, '', %s, comment, comment, "
            "'', '', %s, %s, %s, '', %s, %s FROM observation_staging "
            "ON CONFLICT (indicator_id, period_start, period_end) DO UPDATE SET "
            "value = EXCLUDED.value, comment = EXCLUDED.comment, comment_fr = EXCLUDED.comment_fr, "
            "reported_by_id = EXCLUDED.reported_by_id, state = EXCLUDED.state, "
            "submitted_at = EXCLUDED.submitted_at, updated_at = EXCLUDED.updated_at",
            ["exact", actor.pk, ObservationState.SUBMITTED, now, now, now],
        )
    return []


def _write_portable(rows: list[Row], actor, now) -> list[int]:
    indicator_ids = {row.indicator_id for row in rows}
    locked_keys = set(
        Observation.objects.filter(
            indicator_id__in=indicator_ids, state__in=LOCKED_STATES
        ).values_list("indicator_id", "period_start", "period_end")
    )
    locked = [row.number for row in rows if (row.indicator_id, row.start, row.end) in locked_keys]
    if locked:
        return locked[:MAX_ERRORS]
    Observation.objects.bulk_create(
        (
            Observation(
                indicator_id=row.indicator_id,
                period_start=row.start,
                period_end=row.end,
                value=row.value,
                comment=row.comment,
                comment_fr=row.comment,
                reported_by=actor,
                state=ObservationState.SUBMITTED,
                submitted_at=now,
            )
            for row in rows
        ),
        batch_size=2000,
        update_conflicts=True,
        unique_fields=["indicator", "period_start", "period_end"],
        update_fields=[
            "value",
            "comment",
            "comment_fr",
            "reported_by",
            "state",
            "submitted_at",
            "updated_at",
        ],
    )
    return []
