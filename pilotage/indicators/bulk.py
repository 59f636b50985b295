"""Bulk import of values (history, other systems): every row checked, then written in one go.

Columns: indicator, period_start, period_end, value, and optionally comment (in any of the
four languages), from CSV or XLSX as `core.spreadsheets` reads them. The whole file is
refused if any row is wrong (file, sheet, row, column, value and reason, up to a limit),
and nothing is written.

The file is streamed once through the one reader: each row's code, dates and number are
read and checked in Python (cheap dictionary lookups and a fast path for plain numbers),
and the typed rows go into a staging table (COPY on PostgreSQL). What needs the whole file
or the stored values is then checked set-based in SQL: numbers only the file's decimal
mark settles ("1.234"), the same indicator and period twice, validated periods; and one
INSERT … ON CONFLICT writes what changed and nothing else, so a second import of the
same file writes nothing. Memory stays flat whatever the file's length.
"""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from decimal import Decimal

from django.db import DatabaseError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from pilotage.accounts.permissions import is_partner_editor, is_steering
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError
from pilotage.core.permissions import require
from pilotage.core.spreadsheets import (
    Ambiguous,
    CellError,
    Column,
    ImportReport,
    Missing,
    Number,
    Planned,
    Table,
    columns,
    decimal_mark_of,
    number_for_unit,
    open_table,
    plain,
    read_date,
    read_number,
    unquoted,
)
from pilotage.indicators.models import (
    Indicator,
    Measure,
    Observation,
    ObservationImport,
    ObservationState,
)
from pilotage.indicators.services import LOCKED_STATES

COLUMNS = columns(
    Column(
        "indicator",
        {"fr": "indicateur", "nl": "indicator", "de": "Indikator", "en": "indicator"},
        required=True,
    ),
    Column(
        "period_start",
        {"fr": "début", "nl": "begin", "de": "Beginn", "en": "start"},
        required=True,
    ),
    Column(
        "period_end",
        {"fr": "fin", "nl": "einde", "de": "Ende", "en": "end"},
        required=True,
    ),
    Column("value", {"fr": "valeur", "nl": "waarde", "de": "Wert", "en": "value"}, required=True),
    Column("comment", {"fr": "commentaire", "nl": "opmerking", "de": "Kommentar", "en": "comment"}),
)
MAX_ERRORS = 200
# What the observation table holds: 16 digits before the point, 4 after.
_PLAIN = re.compile(r"-?\d{1,16}\Z")
_DECIMAL = re.compile(r"-?(\d{1,16})([.,])(\d{1,4})\Z")
STAGING_BATCH = 5000
# Values these measures take are checked one by one (0 or 1, no text).
_CHECKED_MEASURES = (Measure.BOOLEAN, Measure.TEXT)


class _Reportable:
    """The indicators this user may report (typed-in only), by code: id, measure and unit
    (the French one, the reference: no query may run while the rows stream in)."""

    def __init__(self, actor):
        require(
            is_steering(actor) or is_partner_editor(actor),
            _("Only action owners and steering staff report values."),
        )
        queryset = Indicator.objects.filter(formula={})
        if not is_steering(actor):
            queryset = queryset.filter(action__lead_id=actor.organisation_id, action__isnull=False)
        self.by_code = {
            code: (pk, measure, unit or "")
            for code, pk, measure, unit in queryset.values_list("code", "pk", "measure", "unit_fr")
        }


class _Checked:
    """One pass over the rows: the typed rows for the staging table, and the problems."""

    def __init__(self, table: Table, reportable: _Reportable):
        self.table, self.reportable = table, reportable
        self.errors: list[DataError] = table.errors
        self.marks: set[str] = set()
        self.count = 0
        self.dates: dict = {}

    def problem(self, number: int, column: str, value, reason: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(
                DataError(
                    self.table.file,
                    _("row %(number)d") % {"number": number},
                    reason,
                    column,
                    sheet=self.table.sheet,
                    value="" if value is None else str(value),
                )
            )

    def rows(self) -> Iterator[tuple]:
        """The staging table's rows (see `_stage`), one for each good row.

        The common row (a known code, dates already seen, a plain number) takes a few
        dictionary lookups; anything else goes through the reader's full rules."""
        keys = self.table.keys
        width = len(keys)
        at_code, at_start, at_end, at_value = (
            keys.index(key) for key in ("indicator", "period_start", "period_end", "value")
        )
        at_comment = keys.index("comment") if "comment" in keys else None
        by_code, dates, errors = self.reportable.by_code, self.dates, self.errors
        plain_number, decimal_number = _PLAIN.match, _DECIMAL.match
        typed = bool(self.table.sheet)  # XLSX cells: numbers, dates, missing formulas
        today = timezone.localdate()
        for number, cells in self.table.rows:
            if len(cells) < width:
                cells = list(cells) + [None] * (width - len(cells))
            before = len(errors)
            code = cells[at_code]
            known = by_code.get(code)
            if known is None:
                code = _text(code)
                known = by_code.get(code)
                if known is None:
                    reason = (
                        _("the indicator code is missing")
                        if not code
                        else _("unknown indicator, or not yours: %(code)r") % {"code": code}
                    )
                    self.problem(number, "indicator", code, reason)
            start = dates.get(cells[at_start]) if not typed else None
            if start is None or start.__class__ is str:
                start = self._date(number, "period_start", cells[at_start])
            end = dates.get(cells[at_end]) if not typed else None
            if end is None or end.__class__ is str:
                end = self._date(number, "period_end", cells[at_end])
            if start and end and end < start:
                self.problem(number, "period_end", end, _("the period ends before it starts"))
            elif end and end > today:
                # A value is what was observed: as in observation_record.
                self.problem(number, "period_end", end, _("the period has not ended yet"))
            value, decimal = cells[at_value], None
            if (
                typed
                or (known is not None and known[1] in _CHECKED_MEASURES)
                or not (
                    plain_number(value)
                    or ((decimal := decimal_number(value)) and not _could_group(decimal))
                )
            ):
                value = self._number(number, value, known)
            elif decimal is not None:
                mark = decimal.group(2)
                self.marks.add(mark)
                if mark == ",":
                    value = value.replace(",", ".")
            if typed:
                for index, cell in enumerate(cells):
                    if isinstance(cell, Missing):
                        self.problem(number, keys[index], "", cell.reason())
            if len(errors) > before or known is None:
                if len(errors) >= MAX_ERRORS:
                    return
                continue
            comment = _text(cells[at_comment]) if at_comment is not None else ""
            self.count += 1
            if isinstance(value, Ambiguous):
                yield (number, known[0], start, end, None, *value.staged, comment)
            else:
                yield number, known[0], start, end, value, None, None, None, comment

    def _date(self, number: int, column: str, cell) -> datetime.date | None:
        # Few distinct periods in a file: each is read once.
        key = cell if isinstance(cell, str | datetime.date | type(None)) else str(cell)
        found = self.dates.get(key)
        if found is None:
            try:
                found = read_date(cell, epoch=self.table.epoch) or _("a date is needed")
            except CellError as error:
                found = str(error)
            self.dates[key] = found
        if isinstance(found, str):
            self.problem(number, column, cell, found)
            return None
        return found

    def _number(self, number: int, cell, known):
        """The value as text for SQL, or an Ambiguous number the whole file settles."""
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            self.problem(number, "value", "", _("a value is needed"))
            return None
        if isinstance(cell, str):
            text = cell.strip()
            if _PLAIN.match(text):
                value = text
            elif (decimal := _DECIMAL.match(text)) and not _could_group(decimal):
                self.marks.add(decimal.group(2))
                value = text.replace(",", ".")
            else:
                value = self._slow_number(number, text)
                if isinstance(value, Ambiguous):
                    return self._ambiguous(number, text, value, known)
        elif isinstance(cell, Number | Missing):
            value = cell
        else:  # Excel made a date of "1/7", or a time: not a number
            self.problem(number, "value", cell, _("a date, where a number is expected"))
            return None
        if value is None or isinstance(value, Missing):
            return None  # reported
        if isinstance(value, Number):
            value = self._resolved(number, value, known)
        if known is not None and value is not None:
            measure = known[1]
            if measure == Measure.TEXT:
                self.problem(number, "value", value, _("a text indicator: report it in a campaign"))
            elif measure == Measure.BOOLEAN and str(value) not in ("0", "1"):
                self.problem(number, "value", value, _("a yes or no: 1 or 0"))
        return value

    def _slow_number(self, number: int, text: str):
        if mark := decimal_mark_of(text):
            self.marks.add(mark)
        try:
            read = read_number(text)
        except Ambiguous as error:
            # Settled once the whole file has shown its decimal mark (in SQL, see below):
            # staged with its reading under each mark, and the text as written.
            grouped, decimal = error.readings
            mark = "," if "," in text else "."
            if_comma, if_dot = (decimal, grouped) if mark == "," else (grouped, decimal)
            error.staged = (plain(if_comma), plain(if_dot), text)
            return error
        except CellError as error:
            self.problem(number, "value", text, str(error))
            return None
        return read

    def _ambiguous(self, number: int, text: str, value: Ambiguous, known):
        """A number the file's decimal mark settles still has to suit its indicator."""
        if known is None:
            return value
        if known[1] in _CHECKED_MEASURES:
            reason = (
                _("a text indicator: report it in a campaign")
                if known[1] == Measure.TEXT
                else _("a yes or no: 1 or 0")
            )
            self.problem(number, "value", text, reason)
            return None
        if text.endswith("%"):
            try:
                number_for_unit(
                    Number(Decimal(0), percent=True),
                    unit=known[2],
                    percentage=known[1] == Measure.PERCENTAGE,
                )
            except CellError:
                self.problem(
                    number,
                    "value",
                    text,
                    _("%(text)s is a percentage, but this indicator is measured in %(unit)s")
                    % {"text": text, "unit": known[2] or _("units")},
                )
                return None
        return value

    def _resolved(self, number: int, read: Number, known) -> str | None:
        if known is not None:
            try:
                value = number_for_unit(
                    read,
                    unit=known[2],
                    percentage=known[1] == Measure.PERCENTAGE,
                )
            except CellError as error:
                self.problem(number, "value", read, str(error))
                return None
        else:
            value = read.value
        exponent = value.normalize().as_tuple().exponent
        if isinstance(exponent, int) and exponent < -4:
            self.problem(
                number, "value", read, _("more than 4 decimal places: it would be rounded")
            )
            return None
        if abs(value) >= Decimal(10) ** 16:
            self.problem(number, "value", read, _("too large a number"))
            return None
        return plain(value)


def _row_number(record: str) -> int:
    digits = re.sub(r"\D", "", record)
    return int(digits) if digits else 0


def _could_group(decimal: re.Match) -> bool:
    whole, fraction = decimal.group(1), decimal.group(3)
    return len(fraction) == 3 and len(whole) <= 3 and whole[0] != "0"


def _text(cell) -> str:
    return "" if cell is None else unquoted(str(cell).strip())


@transaction.atomic
def observations_import(
    *, actor, name: str, path, dry_run: bool = False, exclusive: bool = False
) -> ImportReport:
    """Import the values of a CSV or XLSX file as submitted, all or nothing.

    Returns the report: how many values are (or, in a dry run, would be) created, changed
    or left alone, with a sample of the changes (before and after). Raises DataFileError
    with every problem (up to 200), writing nothing.

    `exclusive` (PostgreSQL, for an initial load of history): the observation table's
    foreign keys are checked once for the whole table instead of once per row, which
    locks the observations, the indicators and the accounts until the import ends."""
    digest = hashlib.sha256()
    with open(path, "rb") as raw:
        for chunk in iter(lambda: raw.read(1 << 20), b""):
            digest.update(chunk)
    table = open_table(name, path, COLUMNS)
    report = ImportReport(name, dry_run=dry_run, notes=list(table.notes))
    try:
        checked = _Checked(table, _Reportable(actor))
        _stage(checked.rows())
    finally:
        table.close()
    errors = checked.errors
    if not errors and not checked.count:
        raise DataFileError([DataError(name, "", _("the file has no data row"))])
    # Every problem of the file, not only the first kind found.
    errors += _settle(name, table, checked.marks)
    # PostgreSQL's upsert refuses the same key twice: the duplicates are then looked for.
    if errors or dry_run or connection.vendor != "postgresql":
        errors += _duplicates(name, table)
    errors.sort(key=lambda error: _row_number(error.record))
    if not errors:
        report.totals, report.rows, errors = _plan(name, table, dry_run=dry_run)
    if not errors and not dry_run:
        try:
            with transaction.atomic():
                errors = _write(name, table, actor, report, exclusive=exclusive)
        except DatabaseError as error:
            state = getattr(error.__cause__, "sqlstate", None)
            if state == "21000":  # cardinality: the same key twice
                errors = _duplicates(name, table)
            elif state in _EXCLUSIVE_REFUSED:
                errors = [DataError(name, "", str(_EXCLUSIVE_REFUSED[state]))]
            else:
                raise
    if errors:
        raise DataFileError(errors[:MAX_ERRORS])
    if dry_run:
        transaction.set_rollback(True)
        return report
    with acting_as(actor):
        ObservationImport.objects.create(
            actor=actor, file_name=name, sha256=digest.hexdigest(), rows=checked.count
        )
    # Submitted values, and no published one replaced (locked): nothing public moved.
    return report


def observations_import_csv(*, actor, name: str, path) -> int:
    """The former entry point: import and return how many rows the file had."""
    report = observations_import(actor=actor, name=name, path=path)
    return sum(report.counts.values())


# --- the staging table ---------------------------------------------------------------

STAGING = "observation_staging"


def _stage(rows: Iterator[tuple]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
        if connection.vendor == "postgresql":
            cursor.execute(
                f"CREATE TEMP TABLE {STAGING} (row_number bigint, indicator_id bigint, "
                "period_start date, period_end date, value numeric(20, 4), "
                "if_comma numeric(20, 4), if_dot numeric(20, 4), written text, comment text) "
                "ON COMMIT DROP"
            )
            with cursor.copy(f"COPY {STAGING} FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(f"ANALYZE {STAGING}")
            return
        cursor.execute(
            f"CREATE TEMP TABLE {STAGING} (row_number integer, indicator_id integer, "
            "period_start date, period_end date, value decimal, if_comma decimal, "
            "if_dot decimal, written text, comment text)"
        )
        batch = []
        insert = f"INSERT INTO {STAGING} VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s)"  # noqa: S608
        for row in rows:
            batch.append(row)
            if len(batch) == STAGING_BATCH:
                cursor.executemany(insert, batch)
                batch = []
        if batch:
            cursor.executemany(insert, batch)


def _error(name: str, table: Table, number: int, column: str, value, reason: str) -> DataError:
    return DataError(
        name,
        _("row %(number)d") % {"number": number},
        reason,
        column,
        sheet=table.sheet,
        value="" if value is None else plain(Decimal(value)) if column == "value" else str(value),
    )


def _settle(name: str, table: Table, marks: set[str]) -> list[DataError]:
    """Numbers like "1.234": read with the file's decimal mark, or refused with both
    readings when the file shows none (or both)."""
    with connection.cursor() as cursor:
        if len(marks) == 1:
            reading = "if_comma" if marks == {","} else "if_dot"
            cursor.execute(
                f"UPDATE {STAGING} SET value = {reading} WHERE written IS NOT NULL"  # noqa: S608
            )
            return []
        cursor.execute(
            f"SELECT row_number, if_comma, if_dot, written FROM {STAGING} "  # noqa: S608
            f"WHERE written IS NOT NULL ORDER BY 1 LIMIT {MAX_ERRORS}"
        )
        errors = []
        for number, if_comma, if_dot, written in cursor.fetchall():
            readings = sorted({Decimal(if_comma), Decimal(if_dot)}, reverse=True)
            errors.append(
                DataError(
                    name,
                    _("row %(number)d") % {"number": number},
                    str(Ambiguous(written, tuple(readings))),
                    "value",
                    sheet=table.sheet,
                    value=written,
                )
            )
        return errors


def _duplicates(name: str, table: Table) -> list[DataError]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.row_number, first.row_number FROM {STAGING} s JOIN ("  # noqa: S608
            f"SELECT indicator_id, period_start, period_end, min(row_number) AS row_number "
            f"FROM {STAGING} GROUP BY 1, 2, 3 HAVING count(*) > 1) first "
            "ON first.indicator_id = s.indicator_id AND first.period_start = s.period_start "
            "AND first.period_end = s.period_end AND s.row_number > first.row_number "
            f"ORDER BY 1 LIMIT {MAX_ERRORS}"
        )
        return [
            DataError(
                name,
                _("row %(number)d") % {"number": number},
                _("the same indicator and period as row %(row)d") % {"row": first},
                "indicator",
                sheet=table.sheet,
            )
            for number, first in cursor.fetchall()
        ]


# The locked states as an SQL list (constants of the code, never input).
_LOCKED = ", ".join(f"'{state}'" for state in sorted(LOCKED_STATES))
# A staged row changes its stored value when the value or the comment differs.
_DIFFERS = (
    "(o.value IS NULL OR o.value <> s.value OR coalesce(o.comment, '') <> coalesce(s.comment, ''))"
)
_JOIN = (
    "LEFT JOIN {table} o ON o.indicator_id = s.indicator_id "
    "AND o.period_start = s.period_start AND o.period_end = s.period_end"
)


def _plan(name: str, table: Table, *, dry_run: bool):
    """What the import does: counts, a sample of the changes, and the locked periods
    it would change (refused). A real import on PostgreSQL counts as it writes."""
    locked = _LOCKED
    join = _JOIN.format(table=Observation._meta.db_table)
    if not dry_run and connection.vendor == "postgresql":
        return None, [], []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT "  # noqa: S608
            "sum(CASE WHEN o.id IS NULL THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN o.id IS NOT NULL AND {_DIFFERS} AND o.state NOT IN ({locked}) "
            "THEN 1 ELSE 0 END), "
            f"sum(CASE WHEN o.id IS NOT NULL AND NOT {_DIFFERS} THEN 1 ELSE 0 END) "
            f"FROM {STAGING} s {join}"
        )
        created, updated, unchanged = (count or 0 for count in cursor.fetchone())
        errors = _locked(name, table, cursor, join, locked)
        cursor.execute(
            "SELECT s.row_number, i.code, o.value, s.value, o.comment, s.comment "  # noqa: S608
            f"FROM {STAGING} s {join} JOIN {Indicator._meta.db_table} i ON i.id = s.indicator_id "
            f"WHERE o.id IS NOT NULL AND {_DIFFERS} ORDER BY 1 LIMIT {MAX_ERRORS}"
        )
        sample = []
        for number, code, before, after, comment_before, comment_after in cursor.fetchall():
            changes = {}
            if before is None or Decimal(before) != Decimal(after):
                changes["value"] = (
                    "" if before is None else plain(Decimal(before)),
                    plain(Decimal(after)),
                )
            if (comment_before or "") != (comment_after or ""):
                changes["comment"] = (comment_before or "", comment_after or "")
            sample.append(
                Planned(_("row %(number)d") % {"number": number}, code, "updated", changes)
            )
    totals = {"created": created, "updated": updated, "unchanged": unchanged}
    return totals, sample, errors


def _locked(name, table, cursor, join, locked) -> list[DataError]:
    cursor.execute(
        f"SELECT s.row_number, s.value FROM {STAGING} s {join} "  # noqa: S608
        f"WHERE o.state IN ({locked}) AND {_DIFFERS} ORDER BY 1 LIMIT {MAX_ERRORS}"
    )
    return [
        _error(name, table, number, "value", value, _("this period is validated and locked"))
        for number, value in cursor.fetchall()
    ]


# Why an exclusive import could not take the table (lock_not_available,
# insufficient_privilege); nothing was written.
_EXCLUSIVE_REFUSED = {
    "55P03": gettext_lazy("the observations are in use: try again, or import without --exclusive"),
    "42501": gettext_lazy(
        "the database account may not alter the observation table: import without --exclusive"
    ),
}


@contextmanager
def _foreign_keys_checked_once(cursor, table: str):
    """PostgreSQL's advice for a bulk load ("Populating a Database"): drop the table's
    foreign keys, write the rows, add the keys back and validate each in one join,
    instead of one lookup per row and key at commit. All in the import's transaction."""
    # Checks still pending from earlier writes of the transaction would forbid the ALTER.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET LOCAL lock_timeout = '5s'")
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    keys = cursor.fetchall()
    for key, _definition in keys:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{key}"')
    cursor.execute("SET LOCAL lock_timeout TO DEFAULT")
    yield
    for key, definition in keys:
        cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{key}" {definition} NOT VALID')
        cursor.execute(f'ALTER TABLE {table} VALIDATE CONSTRAINT "{key}"')
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def _write(
    name: str, table: Table, actor, report: ImportReport, *, exclusive: bool = False
) -> list[DataError]:
    """One INSERT … ON CONFLICT: new values inserted, changed ones replaced, equal or
    locked ones left alone; locked ones that differ are then refused."""
    now = timezone.now()
    table_name = Observation._meta.db_table
    locked = _LOCKED
    upsert = (
        f"INSERT INTO {table_name} AS o (indicator_id, period_start, period_end, value, "  # noqa: S608
        "numerator, denominator, text_value, qualifier, comment, comment_fr, evidence_url, "
        "evidence_file, reported_by_id, state, submitted_at, review_note, created_at, "
        "updated_at) "
        "SELECT s.indicator_id, s.period_start, s.period_end, s.value, NULL, NULL, '', "
        "'exact', s.comment, s.comment, '', '', %s, %s, %s, '', %s, %s "
        f"FROM {STAGING} s WHERE true ORDER BY s.indicator_id, s.period_start, s.period_end "
        "ON CONFLICT (indicator_id, period_start, period_end) DO UPDATE SET "
        "value = excluded.value, numerator = NULL, denominator = NULL, text_value = '', "
        "qualifier = 'exact', comment = excluded.comment, comment_fr = excluded.comment_fr, "
        "reported_by_id = excluded.reported_by_id, state = excluded.state, "
        "submitted_at = excluded.submitted_at, updated_at = excluded.updated_at "
        f"WHERE o.state NOT IN ({locked}) AND (o.value IS NULL OR o.value <> excluded.value "
        "OR coalesce(o.comment, '') <> coalesce(excluded.comment, ''))"
    )
    params = [actor.pk, ObservationState.SUBMITTED, now, now, now]
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(upsert, params)
            return []
        with _foreign_keys_checked_once(cursor, table_name) if exclusive else nullcontext():
            cursor.execute(
                f"WITH written AS ({upsert} RETURNING (xmax = 0) AS created) "  # noqa: S608
                "SELECT count(*) FILTER (WHERE created), count(*) FILTER (WHERE NOT created) "
                "FROM written",
                params,
            )
            created, updated = cursor.fetchone()
        cursor.execute(f"SELECT count(*) FROM {STAGING}")  # noqa: S608
        (staged,) = cursor.fetchone()
        # Rows not written were equal to what is stored, or locked: the locked ones that
        # differ are refused (the transaction rolls back).
        errors = []
        if staged > created + updated:
            join = _JOIN.format(table=table_name)
            errors = _locked(name, table, cursor, join, locked)
    report.totals = {
        "created": created,
        "updated": updated,
        "unchanged": staged - created - updated,
    }
    return errors
