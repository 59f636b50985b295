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
    return rows, errors[:MAX_ERRORS]


@transaction.atomic
def observations_import_csv(*, actor, name: str, path) -> int:
    """Import the values of a CSV file as submitted, all or nothing; returns the row count."""
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            digest.update(chunk)
    reportable = _reportable(actor)
    now = timezone.now()
    if connection.vendor == "postgresql":
        count, errors = _import_postgresql(name, path, reportable, actor, now)
    else:
        with open(path, encoding="utf-8-sig", newline="") as lines:
            rows, errors = _rows(name, lines, reportable)
        if not errors:
            errors = _write_portable(name, rows, actor, now)
        count = len(rows)
    if errors:
        raise DataFileError(errors)
    with acting_as(actor):
        ObservationImport.objects.create(
            actor=actor, file_name=name, sha256=digest.hexdigest(), rows=count
        )
    # Submitted values, and no published one replaced (locked): nothing public moved.
    return count


def _header(name: str, path) -> list[str]:
    with open(path, encoding="utf-8-sig", newline="") as lines:
        header = [cell.strip() for cell in next(csv.reader(lines), [])]
    missing = [column for column in REQUIRED if column not in header]
    if missing:
        raise DataFileError([DataError(name, _("row 1"), _("missing column"), c) for c in missing])
    return header


# The checks of `_rows`, in the same order, as one SQL expression: the first problem of
# each row, and the column at fault. Both databases answer a bad file the same way.
_SQL_PROBLEM = """
    CASE
        WHEN r.indicator_id IS NULL THEN 'unknown'
        WHEN NOT (s.period_start ~ %(date)s AND s.period_end ~ %(date)s) THEN 'dates'
        WHEN s.period_end::date < s.period_start::date THEN 'backwards'
        WHEN NOT (replace(trim(s.value), ',', '.') ~ %(number)s) THEN 'number'
    END
"""
_PROBLEM_COLUMN = {
    "unknown": "indicator",
    "dates": "period_start",
    "backwards": "period_end",
    "number": "value",
    "duplicate": "indicator",
}


def _import_postgresql(name, path, reportable, actor, now) -> tuple[int, list[DataError]]:
    """COPY the file as text into a staging table, check every row in SQL, then upsert."""
    import psycopg

    header = _header(name, path)
    columns = [f"c{index}" for index in range(len(header))]
    at = {column: f"s.c{header.index(column)}" for column in header if column}
    comment = at.get("comment", "''")
    table = Observation._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE observation_reportable (code text PRIMARY KEY, indicator_id bigint) "
            "ON COMMIT DROP"
        )
        with cursor.copy("COPY observation_reportable FROM STDIN") as copy:
            for code, indicator_id in reportable.items():
                copy.write_row((code, indicator_id))
        cursor.execute(
            "CREATE TEMP TABLE observation_staging (row_number bigint GENERATED ALWAYS AS "
            f"IDENTITY (START WITH 2), {', '.join(f'{c} text' for c in columns)}) ON COMMIT DROP"
        )
        try:
            with (
                open(path, "rb") as source,
                cursor.copy(
                    f"COPY observation_staging ({', '.join(columns)}) FROM STDIN "
                    "WITH (FORMAT csv, HEADER true, ENCODING 'UTF8')"
                ) as copy,
            ):
                for chunk in iter(lambda: source.read(1 << 20), b""):
                    copy.write(chunk)
        except psycopg.DataError as error:
            line = re.search(r"line (\d+)", str(error.diag.context or ""))
            record = _("row %(number)s") % {"number": line.group(1)} if line else ""
            raise DataFileError(
                [DataError(name, record, str(error.diag.message_primary))]
            ) from error
        cursor.execute("ANALYZE observation_staging")
        # Column names are c0, c1 ... chosen here, never taken from the file.
        source = (
            f"SELECT s.row_number, trim({at['indicator']}) AS indicator, "  # noqa: S608
            f"trim({at['period_start']}) AS period_start, trim({at['period_end']}) AS period_end, "
            f"{at['value']} AS value, coalesce({comment}, '') AS comment FROM observation_staging s"
        )
        cursor.execute(f"CREATE TEMP VIEW observation_rows AS {source}")
        reasons = {
            "unknown": lambda row: (
                _("unknown indicator, or not yours: %(code)r") % {"code": row[1]}
            ),
            "dates": lambda row: _("dates are written 2026-03-31"),
            "backwards": lambda row: _("the period ends before it starts"),
            "number": lambda row: _("%(text)r is not a number") % {"text": row[2]},
            "duplicate": lambda row: _("the same indicator and period twice"),
        }
        params = {"date": r"^\d{4}-\d{2}-\d{2}$", "number": NUMBER.pattern}
        cursor.execute(
            f"SELECT * FROM (SELECT s.row_number, s.indicator, s.value, {_SQL_PROBLEM} AS problem "  # noqa: S608
            "FROM observation_rows s LEFT JOIN observation_reportable r ON r.code = s.indicator) p "
            f"WHERE p.problem IS NOT NULL ORDER BY 1 LIMIT {MAX_ERRORS}",
            params,
        )
        found = {row[0]: row for row in cursor.fetchall()}
        # Duplicates: find the repeated keys by hashing, then only their rows.
        cursor.execute(
            "SELECT s.row_number, s.indicator, s.value FROM (SELECT row_number, indicator, value, "  # noqa: S608
            "row_number() OVER (PARTITION BY indicator, period_start, period_end "
            "ORDER BY row_number) AS n FROM observation_rows WHERE (indicator, period_start, "
            "period_end) IN (SELECT indicator, period_start, period_end FROM observation_rows "
            "GROUP BY 1, 2, 3 HAVING count(*) > 1)) s "
            f"WHERE s.n > 1 ORDER BY 1 LIMIT {MAX_ERRORS}"
        )
        for number, indicator, value in cursor.fetchall():
            found.setdefault(number, (number, indicator, value, "duplicate"))
        if found:
            return 0, [
                DataError(
                    name,
                    _("row %(number)d") % {"number": number},
                    reasons[found[number][3]](found[number]),
                    _PROBLEM_COLUMN[found[number][3]],
                )
                for number in sorted(found)[:MAX_ERRORS]
            ]
        # Every row is valid now: the typed view the lock check and the upsert read.
        cursor.execute(
            "CREATE TEMP VIEW observation_clean AS SELECT s.row_number, r.indicator_id, "
            "s.period_start::date AS period_start, s.period_end::date AS period_end, "
            "replace(trim(s.value), ',', '.')::numeric(20, 4) AS value, s.comment "
            "FROM observation_rows s JOIN observation_reportable r ON r.code = s.indicator"
        )
        cursor.execute(
            f"SELECT c.row_number FROM observation_clean c JOIN {table} o "  # noqa: S608
            "USING (indicator_id, period_start, period_end) WHERE o.state = ANY(%s) "
            f"ORDER BY 1 LIMIT {MAX_ERRORS}",
            [list(LOCKED_STATES)],
        )
        locked = [number for (number,) in cursor.fetchall()]
        if locked:
            return 0, [_locked(name, number) for number in locked]
        cursor.execute(
            f"INSERT INTO {table} (indicator_id, period_start, period_end, value, text_value, "  # noqa: S608
            "qualifier, comment, comment_fr, evidence_url, evidence_file, reported_by_id, state, "
            "submitted_at, review_note, created_at, updated_at) "
            "SELECT indicator_id, period_start, period_end, value, '', %s, comment, comment, "
            "'', '', %s, %s, %s, '', %s, %s FROM observation_clean "
            "ON CONFLICT (indicator_id, period_start, period_end) DO UPDATE SET "
            "value = EXCLUDED.value, comment = EXCLUDED.comment, comment_fr = EXCLUDED.comment_fr, "
            "reported_by_id = EXCLUDED.reported_by_id, state = EXCLUDED.state, "
            "submitted_at = EXCLUDED.submitted_at, updated_at = EXCLUDED.updated_at",
            ["exact", actor.pk, ObservationState.SUBMITTED, now, now, now],
        )
        return cursor.rowcount, []


def _locked(name: str, number: int) -> DataError:
    return DataError(
        name,
        _("row %(number)d") % {"number": number},
        _("this period is validated and locked"),
        "value",
    )


def _write_portable(name: str, rows: list[Row], actor, now) -> list[DataError]:
    indicator_ids = {row.indicator_id for row in rows}
    locked_keys = set(
        Observation.objects.filter(
            indicator_id__in=indicator_ids, state__in=LOCKED_STATES
        ).values_list("indicator_id", "period_start", "period_end")
    )
    locked = [row.number for row in rows if (row.indicator_id, row.start, row.end) in locked_keys]
    if locked:
        return [_locked(name, number) for number in locked[:MAX_ERRORS]]
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
