"""The one spreadsheet reader: every upload and import reads its files through here.

Files come the way Belgian administrations save them: CSV from Excel in Windows-1252 with
semicolons, from LibreOffice in UTF-8 with commas, a title block above the header, blank
lines, trailing empty columns; XLSX whose active sheet is the instructions, with numbers
formatted as percentages and dates, and formulas. The reader finds the header by the
columns the importer asks for (in any of the four languages), reads every cell as the
person who typed it meant it, and names every problem by file, sheet, row, column and the
value read. It never guesses: a value two conventions read differently is refused with
both readings.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language
from django.utils.translation import gettext as _

from pilotage.core.datafiles import DataError, DataFileError

LANGUAGES = ("fr", "nl", "de", "en")
DELIMITERS = (";", ",", "\t")
# How far down a title block may push the header.
HEADER_SEARCH_ROWS = 30
# The first bytes of an Excel 97-2003 (.xls) file.
OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Excel keeps 15 significant digits: more are the binary float's noise, not the value.
EXCEL_DIGITS = 15


# --- numbers -------------------------------------------------------------------------

# Thousands are grouped with a space, a no-break or narrow no-break space, a thin space or
# an apostrophe; a dot or a comma groups them too when the other one is the decimal mark.
GROUPING = " \u00a0\u202f\u2009'\u2019"
_GROUPING_RUN = re.compile(f"[{GROUPING}]+")
_SHAPE = re.compile(r"^[+-]?[0-9][0-9.,]*$|^[+-]?[.,][0-9]+$")


@dataclass(frozen=True)
class Number:
    """A number as read, and whether it was written or shown as a percentage."""

    value: Decimal
    percent: bool = False

    def __str__(self) -> str:
        return f"{plain(self.value)} %" if self.percent else plain(self.value)


class CellError(ValueError):
    """A cell that cannot be read; the message is the reason, for the user."""


class Ambiguous(CellError):
    """A number two conventions read differently ("1.234": 1234 or 1.234)."""

    def __init__(self, text: str, readings: tuple[Decimal, Decimal]):
        self.readings = readings
        super().__init__(
            _(
                "%(text)s can be read as %(first)s or as %(second)s: write it without a "
                "thousands separator, or with a decimal comma"
            )
            % {"text": text, "first": plain(readings[0]), "second": plain(readings[1])}
        )


# A text a spreadsheet would take for a formula, written with a quote before it (see
# `quoted`): the quote is ours, not the person's.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def quoted(text: str) -> str:
    """A text to write into a CSV or XLSX file we hand out: one that starts like a formula
    gets a quote before it, so no spreadsheet runs it (formula injection, as OWASP's "CSV
    Injection" page says to neutralise it)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def unquoted(text: str) -> str:
    """A text as read back: the quote `quoted` put before a formula-like text removed."""
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


def quoted_row(values: Iterable) -> list:
    """A row for a CSV file we hand out: each text `quoted`; numbers, dates and empty
    cells as they are (a negative amount stays a number, never the text "'-5")."""
    return [quoted(value) if isinstance(value, str) else value for value in values]


def xlsx_row(sheet, values: Iterable) -> list:
    """A row to append to an XLSX sheet we hand out, every text a text cell: without the
    characters XML cannot hold, `quoted` (after, so a control character removed cannot
    uncover a "="), and typed as text where openpyxl would take it for a formula or an
    error value ("#N/A"). Numbers, dates and empty cells stay as they are."""
    from openpyxl.cell.cell import ERROR_CODES, ILLEGAL_CHARACTERS_RE, WriteOnlyCell

    row: list = []
    for value in values:
        if isinstance(value, str):
            value = quoted(ILLEGAL_CHARACTERS_RE.sub("", value))
            if value.startswith("=") or value in ERROR_CODES:
                cell = WriteOnlyCell(sheet, value)  # a cell of either mode of openpyxl
                cell.data_type = "s"
                value = cell
        row.append(value)
    return row


def plain(value: Decimal) -> str:
    """A decimal without exponent or trailing zeros: 5000000.5, 45, 0.125."""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def decimal_mark_of(text: str) -> str | None:
    """The decimal mark a written number shows without doubt, or None.

    "12,5" and "1.234,5" show a comma, "3.75" and "1,234,567" a dot; "1.234", "1 234"
    or "12" show none."""
    try:
        digits, _percent = _strip(text)
    except CellError:
        return None
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        return "," if digits.rfind(",") > digits.rfind(".") else "."
    for mark, other, count in ((",", ".", commas), (".", ",", dots)):
        if count > 1:
            return other
        if count == 1 and not _could_group(digits, mark):
            return mark
    return None


def read_number(text: str, *, decimal_mark: str | None = None) -> Number | None:
    """Read a number as people write it: "5 000 000", "1.234,5", "1,234.5", "12,5 %".

    `decimal_mark` is the mark the file (or the reader's language) settles; without it,
    a lone "1.234" or "1,234" is refused as ambiguous. Empty text is None."""
    if text is None or not str(text).strip():
        return None
    digits, percent = _strip(str(text))
    commas, dots = digits.count(","), digits.count(".")
    if commas and dots:
        mark = "," if digits.rfind(",") > digits.rfind(".") else "."
    elif commas > 1 or dots > 1:
        mark = "." if commas else ","  # the repeated one groups thousands
    elif commas or dots:
        mark = "," if commas else "."
        if _could_group(digits, mark):
            grouped = _decimal(digits.replace(mark, ""), text)
            decimal = _decimal(digits.replace(mark, "."), text)
            if decimal_mark is None:
                raise Ambiguous(str(text).strip(), (grouped, decimal))
            return Number(decimal if decimal_mark == mark else grouped, percent)
    else:
        return Number(_decimal(digits, text), percent)
    whole, _sep, fraction = digits.rpartition(mark) if mark in digits else (digits, "", "")
    grouping = "." if mark == "," else ","
    if grouping in fraction or mark in whole:
        raise CellError(_("%(text)s is not a number") % {"text": str(text).strip()})
    if grouping in whole and not _well_grouped(whole.split(grouping)):
        raise CellError(_("%(text)s: thousands are grouped by three") % {"text": str(text).strip()})
    whole = whole.replace(grouping, "")
    return Number(_decimal(f"{whole}.{fraction}" if fraction else whole, text), percent)


def _strip(text: str) -> tuple[str, bool]:
    """The digits, marks and sign of a written number (grouping spaces checked and
    removed), and whether it ends with a percent sign."""
    text = text.strip().replace("\u2212", "-")  # the minus sign of typeset numbers
    percent = text.endswith("%")
    if percent:
        text = text[:-1].strip()
    groups = _GROUPING_RUN.split(text)
    if len(groups) > 1:
        # "5 000 000" and "1 234,5": groups of three after the first.
        sign = groups[0][:1] if groups[0][:1] in "+-" else ""
        head = groups[0][len(sign) :]
        tail = groups[-1]
        last = re.match(r"^(\d{3})([.,]\d+)?$", tail)
        if not (
            head.isdigit()
            and len(head) <= 3
            and all(len(g) == 3 and g.isdigit() for g in groups[1:-1])
            and last
        ):
            raise CellError(_("%(text)s is not a number") % {"text": text})
        text = sign + head + "".join(groups[1:])
    if not _SHAPE.match(text):
        raise CellError(_("%(text)s is not a number") % {"text": text})
    return text, percent


def _could_group(digits: str, mark: str) -> bool:
    """Whether one mark could be a thousands separator: "1.234", "-12,500" (not "0.123",
    "12.5" or "1234.567")."""
    whole, _sep, fraction = digits.lstrip("+-").partition(mark)
    return len(fraction) == 3 and 1 <= len(whole) <= 3 and whole[0] != "0"


def _well_grouped(groups: list[str]) -> bool:
    head = groups[0].lstrip("+-")
    return 1 <= len(head) <= 3 and all(len(g) == 3 for g in groups[1:])


def _decimal(digits: str, text) -> Decimal:
    try:
        return Decimal(digits)
    except InvalidOperation as error:
        raise CellError(_("%(text)s is not a number") % {"text": str(text).strip()}) from error


def language_decimal_mark(language: str | None = None) -> str:
    """The decimal mark of a language: a comma in French, Dutch and German."""
    return "." if (language or get_language() or "fr")[:2] == "en" else ","


def written(value: Decimal | None, language: str | None = None) -> str:
    """A number written the way `read_number` reads it back in this language, whatever
    the file around it: no thousands separator, the language's decimal mark, no trailing
    zeros (5000000,5), except a fourth decimal where three after one to three digits
    would read as thousands too (1.234 is written "1,2340", never "1,234")."""
    if value is None:
        return ""
    text = plain(value)
    if "." in text and _could_group(text, "."):
        text += "0"
    return text.replace(".", ",") if language_decimal_mark(language) == "," else text


def excel_number(value: float | int) -> Decimal:
    """A number stored by Excel, to its 15 significant digits (0.1+0.2 shows 0.3)."""
    if isinstance(value, int):
        return Decimal(value)
    return Decimal(f"{value:.{EXCEL_DIGITS}g}")


def number_for_unit(number: Number, *, unit: str, percentage: bool) -> Decimal:
    """The value an indicator stores for what was read: "45 %" is 45 on an indicator
    measured in percent; a percentage given for any other unit is refused."""
    if not number.percent:
        return number.value
    if percentage or unit.strip() in ("%", "pct", "percent", "pourcent"):
        return number.value
    raise CellError(
        _("%(text)s is a percentage, but this indicator is measured in %(unit)s")
        % {"text": str(number), "unit": unit or _("units")}
    )


# --- dates ---------------------------------------------------------------------------

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T].*)?$")
_DAY_FIRST = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})(?: .*)?$")
_SERIAL = re.compile(r"^\d{1,7}(?:[.,]\d+)?$")
EPOCHS = {1900: datetime.date(1899, 12, 30), 1904: datetime.date(1904, 1, 1)}


def read_date(value, *, epoch: int = 1900) -> datetime.date | None:
    """A date as ISO (2026-07-01), day first (01/07/2026, 01.07.2026, 1-7-2026), or an
    Excel serial number (46204 in the 1900 system). Empty is None."""
    if value is None:
        return None
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, Number):
        return _serial(value.value, epoch, str(value))
    text = str(value).strip()
    if not text:
        return None
    try:
        if match := _ISO.match(text):
            year, month, day = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
        if match := _DAY_FIRST.match(text):
            day, month, year = (int(part) for part in match.groups())
            return datetime.date(year, month, day)
    except ValueError as error:
        raise CellError(_("%(text)s is not a day of the calendar") % {"text": text}) from error
    if _SERIAL.match(text):
        return _serial(Decimal(text.replace(",", ".")), epoch, text)
    raise CellError(_("%(text)s is not a date (write 2026-07-01 or 01/07/2026)") % {"text": text})


# Excel's serials from 1927 to 2173: a smaller number is a year or a count, not a date.
SERIALS = (10000, 100000)


def _serial(number: Decimal, epoch: int, text: str) -> datetime.date:
    # Excel's serials: days since its epoch (the time of day is a fraction, dropped).
    if number == int(number) and 1000 <= number <= 9999:
        raise CellError(
            _("%(text)s is a year, not a date (write 2026-07-01 or 01/07/2026)") % {"text": text}
        )
    if not SERIALS[0] <= number < SERIALS[1]:
        raise CellError(
            _("%(text)s is not a date (write 2026-07-01 or 01/07/2026)") % {"text": text}
        )
    return EPOCHS[epoch] + datetime.timedelta(days=int(number))


# --- columns and headers -------------------------------------------------------------


def _folded(text: str) -> str:
    """A header as compared: no accents, case, spaces or underscores ("Période début" ==
    "periode_debut")."""
    text = unicodedata.normalize("NFKD", str(text or "")).encode("ascii", "ignore").decode()
    return re.sub(r"[\s_\-]+", "_", text.strip().casefold()).strip("_")


@dataclass(frozen=True)
class Column:
    """A column an importer reads: its key, its header in each language, whether every
    file must have it."""

    key: str
    labels: dict[str, str] = field(default_factory=dict)
    required: bool = False

    def label(self, language: str | None = None) -> str:
        language = (language or get_language() or "fr")[:2]
        return self.labels.get(language) or self.labels.get("en") or self.key

    def names(self) -> set[str]:
        return {_folded(self.key), *(_folded(label) for label in self.labels.values())}


def columns(*specs: Column) -> dict[str, Column]:
    return {spec.key: spec for spec in specs}


# --- the table -----------------------------------------------------------------------


class Missing:
    """A formula cell with no saved value: refused by name, never read as empty."""

    def __init__(self, cell: str):
        self.cell = cell

    def __str__(self) -> str:
        return ""

    def reason(self) -> str:
        return _(
            "cell %(cell)s holds a formula with no saved value: open the file in Excel or "
            "LibreOffice and save it, or paste the values"
        ) % {"cell": self.cell}


@dataclass
class Table:
    """A sheet found by its header: each data row with its number as the spreadsheet
    shows it, and the cells by column key (other columns by their header as written)."""

    file: str
    sheet: str = ""
    header_row: int = 1
    keys: list[str] = field(default_factory=list)
    rows: Iterable[tuple[int, list]] = ()
    notes: list[str] = field(default_factory=list)
    epoch: int = 1900
    decimal_mark: str | None = None
    errors: list[DataError] = field(default_factory=list)
    _records: list[SheetRow] | None = field(default=None, init=False, repr=False)

    def close(self) -> None:
        """Release the file a streamed table reads (nothing to do for one in memory)."""

    def records(self) -> Iterator[SheetRow]:
        """The data rows to check. A table in memory builds them once, so asking again
        gives the same rows and reports each cell's problem once; a streamed table reads
        its file once."""
        if not isinstance(self.rows, list):
            return (SheetRow(self, number, cells) for number, cells in self.rows)
        if self._records is None:
            self._records = [SheetRow(self, number, cells) for number, cells in self.rows]
        return iter(self._records)

    def settle_decimal_mark(self, rows: list[SheetRow], keys: Iterable[str]) -> None:
        """The file's decimal mark, from the numbers written as text that show one
        without doubt (an XLSX's typed numbers have none to show, and need none); when
        they disagree or none shows one, ambiguous numbers are refused."""
        if self.decimal_mark is not None:
            return
        keys = tuple(keys)
        marks = {
            decimal_mark_of(cell)
            for row in rows
            for key in keys
            if isinstance(cell := row.raw(key), str) and cell.strip()
        } - {None}
        if len(marks) == 1:
            self.decimal_mark = marks.pop()


class SheetRow:
    """One data row being checked: its cells, read as numbers, dates or text, and every
    problem found, named by file, sheet, row, column and value."""

    def __init__(self, table: Table, number: int, cells: list):
        self.table, self.number = table, number
        self.cells = dict(zip(table.keys, cells, strict=False))
        self.errors = table.errors
        self.record = _("row %(number)d") % {"number": number}
        for key, cell in self.cells.items():
            if isinstance(cell, Missing):
                self.problem(key, cell.reason())

    def raw(self, key: str):
        return self.cells.get(key)

    def text(self, key: str) -> str:
        cell = self.cells.get(key)
        if cell is None or isinstance(cell, Missing):
            return ""
        if isinstance(cell, datetime.date):
            return cell.isoformat()[:10]
        return unquoted(str(cell).strip())

    def problem(self, key: str, reason: str, value=None) -> None:
        shown = self.text(key) if value is None else str(value)
        self.errors.append(
            DataError(
                self.table.file,
                self.record,
                str(reason),
                key,
                sheet=self.table.sheet,
                value=shown,
            )
        )

    def numeric(self, key: str) -> Number | None:
        cell = self.cells.get(key)
        if isinstance(cell, Number) or cell is None or isinstance(cell, Missing):
            return cell if isinstance(cell, Number) else None
        if isinstance(cell, datetime.date):
            self.problem(key, _("a date, where a number is expected"))
            return None
        try:
            return read_number(cell, decimal_mark=self.table.decimal_mark)
        except CellError as error:
            self.problem(key, str(error))
            return None

    def decimal(self, key: str) -> Decimal | None:
        """A plain number: a percentage is refused (the column is not in percent)."""
        number = self.numeric(key)
        if number is not None and number.percent:
            self.problem(key, _("a percentage, where a plain number is expected"))
            return None
        return number.value if number is not None else None

    def date(self, key: str) -> datetime.date | None:
        try:
            return read_date(self.cells.get(key) or None, epoch=self.table.epoch)
        except CellError as error:
            self.problem(key, str(error))
            return None


def read_table(
    name: str,
    content: bytes,
    wanted: dict[str, Column],
    *,
    sheet: str | None = None,
) -> Table:
    """The table of an uploaded CSV or XLSX file, found by its header.

    Every required column of `wanted` must be in the header (by key or by its label in any
    language); other columns keep their header as written (breakdowns, terms). Raises
    DataFileError when no header is found, naming the columns looked for."""
    if not content:
        raise DataFileError([DataError(name, "", _("the file is empty"))])
    if content[:8] == OLE2:
        raise DataFileError(
            [DataError(name, "", _("an Excel 97-2003 file (.xls): save it as .xlsx or CSV"))]
        )
    if name.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        table = _xlsx_table(name, content, wanted, sheet)
        try:
            table.rows = list(table.rows)
        finally:
            table.close()  # all read: closing again later does nothing
        return table
    try:
        text, encoding = decoded(content)
    except MixedEncoding as error:
        raise mixed_encoding_error(name, error) from error
    table = _csv_table(name, io.StringIO(text, newline=""), wanted)
    if note := encoding_note(encoding):
        table.notes.insert(0, note)
    table.rows = list(table.rows)
    return table


def open_table(name: str, path, wanted: dict[str, Column]) -> Table:
    """The table of a big file on disk, its rows read as they are used: memory stays flat
    whatever the file's length. Close it with `table.close()`."""
    with open(path, "rb") as raw:
        head = raw.read(4)
    if name.lower().endswith((".xlsx", ".xlsm")) or head == b"PK\x03\x04":
        return _xlsx_table(name, path, wanted, None)
    try:
        encoding = file_encoding(path)
    except MixedEncoding as error:
        raise mixed_encoding_error(name, error) from error
    source = open(path, encoding=encoding, newline="")  # noqa: SIM115 (closed by the table)
    try:
        table = _csv_table(name, source, wanted)
    except DataFileError:
        source.close()
        raise
    if note := encoding_note(encoding):
        table.notes.insert(0, note)
    table.close = source.close
    return table


def file_encoding(path) -> str:
    """The encoding of a CSV file on disk, read through once in chunks (see `decoded`)."""
    import codecs

    with open(path, "rb") as raw:
        if raw.read(2) in (b"\xff\xfe", b"\xfe\xff"):
            return "utf-16"
        raw.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        lines, beyond_ascii = 0, False
        try:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                decoder.decode(chunk)
                lines += chunk.count(b"\n")
                beyond_ascii = beyond_ascii or not chunk.isascii()
            decoder.decode(b"", final=True)
            return "utf-8-sig"
        except UnicodeDecodeError as error:
            if beyond_ascii:
                raise MixedEncoding(lines + 1) from error
            # The bytes of this chunk before the one that fails (a sequence is <= 4).
            _refuse_mixed(chunk[: max(0, error.start - 3)], lines)
        raw.seek(0)
        try:
            for chunk in iter(lambda: raw.read(1 << 20), b""):
                chunk.decode("cp1252")  # a single-byte code: chunks split safely
            return "cp1252"
        except UnicodeDecodeError:
            return "latin-1"


class MixedEncoding(Exception):
    """A file mostly in UTF-8 with a line that is not: read either way, some text would
    be garbled ("Ã©" for "é"), so it is refused, naming the line."""

    def __init__(self, line: int):
        self.line = line


def decoded(content: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read in: UTF-16 when it starts with
    its byte order mark (Excel's "Unicode text"), UTF-8 (with or without BOM), else
    Windows-1252 (Excel's "CSV (semicolon)" on Windows), else Latin-1. A file that mixes
    UTF-8 with another encoding raises MixedEncoding."""
    if content[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return content.decode("utf-16"), "utf-16"
    try:
        return content.decode("utf-8-sig"), "utf-8-sig"
    except UnicodeDecodeError as error:
        _refuse_mixed(content[: error.start], 0)
    for encoding in ("cp1252", "latin-1"):
        try:
            return content.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin-1 decodes every byte")


def _refuse_mixed(good: bytes, lines_before: int) -> None:
    """`good` decoded as UTF-8 up to the first byte that does not: if it holds letters
    beyond ASCII, they were UTF-8, and the file mixes encodings."""
    if not good.isascii():
        raise MixedEncoding(lines_before + good.count(b"\n") + 1)


def mixed_encoding_error(name: str, error: MixedEncoding) -> DataFileError:
    return DataFileError(
        [
            DataError(
                name,
                _("row %(number)d") % {"number": error.line},
                _(
                    "this line is not in UTF-8 while the lines above are: save the whole "
                    "file again as CSV UTF-8"
                ),
            )
        ]
    )


def encoding_note(encoding: str) -> str:
    if encoding == "utf-8-sig":
        return ""
    label = {"cp1252": "Windows-1252", "latin-1": "Latin-1", "utf-16": "UTF-16"}[encoding]
    return _("The file was read as %(encoding)s (not UTF-8).") % {"encoding": label}


def _header_match(
    name: str, sheet: str, number: int, cells: list[str], wanted: dict[str, Column]
) -> list[str] | None:
    """The header's keys when these cells are the header, else None. A row naming two or
    more of the wanted columns is the header: a required one missing is then refused by
    name, rather than the header searched further down."""
    names = {label: spec.key for spec in wanted.values() for label in spec.names()}
    keys = [names.get(_folded(cell), str(cell or "").strip()) for cell in cells]
    known = {key for key in keys if key in wanted}
    missing = [spec for spec in wanted.values() if spec.required and spec.key not in known]
    if not missing and known:
        while keys and not keys[-1]:
            keys.pop()  # trailing empty columns
        _refuse_twice(name, sheet, number, cells, keys, wanted)
        return keys
    if len(known) >= min(2, len(wanted)) and missing:
        raise DataFileError(
            DataError(
                name,
                _("row %(number)d") % {"number": number},
                _("missing column (%(labels)s)")
                % {"labels": ", ".join(sorted(set(spec.labels.values()) | {spec.key}))},
                spec.key,
                sheet=sheet,
            )
            for spec in missing
        )
    return None


def _refuse_twice(
    name: str, sheet: str, number: int, cells: list, keys: list[str], wanted: dict[str, Column]
) -> None:
    """A header naming a column twice is refused: which of the two to read is a guess."""
    first: dict[str, int] = {}
    errors = []
    for index, key in enumerate(keys):
        if not key:
            continue
        same = key if key in wanted else _folded(key)
        if same not in first:
            first[same] = index
            continue
        errors.append(
            DataError(
                name,
                _("row %(number)d") % {"number": number},
                _("the header names this column twice, in columns %(first)s and %(second)s")
                % {"first": column_letter(first[same]), "second": column_letter(index)},
                key,
                sheet=sheet,
                value=str(cells[index]).strip(),
            )
        )
    if errors:
        raise DataFileError(errors)


def column_letter(index: int) -> str:
    """The spreadsheet's letter of a column counted from 0: A, Z, AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _no_header(name: str, sheet: str, wanted: dict[str, Column], first: list) -> DataFileError:
    required = [spec for spec in wanted.values() if spec.required]
    return DataFileError(
        [
            DataError(
                name,
                "",
                _(
                    "no header row with the columns %(columns)s in the first %(count)d rows; "
                    "the first row reads: %(first)s"
                )
                % {
                    "columns": ", ".join(spec.label() for spec in required),
                    "count": HEADER_SEARCH_ROWS,
                    "first": " | ".join(str(cell) for cell in first if cell) or _("(empty)"),
                },
                sheet=sheet,
            )
        ]
    )


def _csv_table(name: str, lines: Iterator[str], wanted: dict[str, Column]) -> Table:
    """Find the header line and its delimiter among the first lines (never from a data
    row), then read the rest with that delimiter."""
    labels = {label for spec in wanted.values() for label in spec.names()}
    first: list[str] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        # The delimiter is the one that splits this line into the most known columns.
        try:
            split = [next(csv.reader([line], delimiter=d), []) for d in DELIMITERS]
        except csv.Error as error:
            raise DataFileError(
                [
                    DataError(
                        name,
                        _("row %(number)d") % {"number": number},
                        _("this line cannot be read: %(error)s") % {"error": error},
                    )
                ]
            ) from error
        first = first or split[0]
        best = max(split, key=lambda cells: sum(_folded(cell) in labels for cell in cells))
        keys = _header_match(name, "", number, best, wanted)
        if keys is not None:
            table = Table(name, header_row=number, keys=keys)
            if number > 1:
                table.notes.append(
                    _("The header is on row %(row)d; the rows above it are not read.")
                    % {"row": number}
                )
            table.rows = _csv_rows(table, lines, DELIMITERS[split.index(best)], number)
            return table
        if number >= HEADER_SEARCH_ROWS:
            break
    raise _no_header(name, "", wanted, first)


def _csv_rows(table: Table, lines: Iterator[str], delimiter: str, header_row: int):
    # Numbered by record, as a spreadsheet shows them: a quoted cell over two lines is
    # one row, a blank line is a row of its own.
    width = len(table.keys)
    join = "".join
    reader = _guarded(table, csv.reader(lines, delimiter=delimiter), header_row)
    for number, cells in enumerate(reader, header_row + 1):
        joined = join(cells)
        if not joined.strip():
            continue
        if len(joined) > EXCEL_CELL_LIMIT and any(len(cell) > EXCEL_CELL_LIMIT for cell in cells):
            # Whatever csv's own limit is (another library may have raised it).
            raise DataFileError(
                [
                    DataError(
                        table.file,
                        _("row %(number)d") % {"number": number},
                        _("a cell holds more than %(limit)d characters, Excel's own limit")
                        % {"limit": EXCEL_CELL_LIMIT},
                    )
                ]
            )
        if "\x00" in joined:  # Python's csv takes it; no database would
            raise DataFileError(
                [
                    DataError(
                        table.file,
                        _("row %(number)d") % {"number": number},
                        _("this line holds a NUL byte: is it a text file?"),
                    )
                ]
            )
        if len(cells) > width:
            if join(cells[width:]).strip():
                index = next(i for i in range(width, len(cells)) if cells[i].strip())
                table.errors.append(
                    DataError(
                        table.file,
                        _("row %(number)d") % {"number": number},
                        _("a value beyond the last column of the header (column %(column)s)")
                        % {"column": column_letter(index)},
                        sheet=table.sheet,
                        value=cells[index].strip(),
                    )
                )
            cells = cells[:width]
        yield number, cells


def _guarded(table: Table, reader, header_row: int):
    """The csv module's rows; a line it cannot read (a NUL byte, a cell over its size
    limit) refuses the file, naming the row."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise DataFileError(
                [
                    DataError(
                        table.file,
                        _("row %(number)d") % {"number": header_row + reader.line_num},
                        _("this line cannot be read: %(error)s") % {"error": error},
                    )
                ]
            ) from error


# The most characters an Excel cell holds: a longer one is no spreadsheet's.
EXCEL_CELL_LIMIT = 32767
# A workbook opening to more than this is refused before it is read (a zip bomb).
MAX_XLSX_BYTES = 1 << 30


def _xlsx_table(name: str, content, wanted: dict[str, Column], only: str | None) -> Table:
    """`content` is the file's bytes or its path. A broken workbook (bad XML, a damaged
    archive, one that opens to more than MAX_XLSX_BYTES) is refused, never a crash."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(content) if isinstance(content, bytes) else content) as z:
            size = sum(member.file_size for member in z.infolist())
    except (zipfile.BadZipFile, OSError) as error:
        raise _unreadable(name, error) from error
    if size > MAX_XLSX_BYTES:
        raise _unreadable(
            name, _("it opens to more than %(size)d MB") % {"size": MAX_XLSX_BYTES >> 20}
        )
    try:
        table = _xlsx_table_read(name, content, wanted, only)
    except DataFileError:
        raise
    except Exception as error:  # openpyxl and its XML parser raise many kinds
        raise _unreadable(name, error) from error
    table.rows = _xlsx_guarded(name, table.rows)
    return table


def _unreadable(name: str, error) -> DataFileError:
    return DataFileError(
        [DataError(name, "", _("not a readable XLSX file: %(error)s") % {"error": error})]
    )


def _xlsx_guarded(name: str, rows):
    try:
        yield from rows
    except DataFileError:
        raise
    except Exception as error:  # a damaged sheet found while reading it
        raise _unreadable(name, error) from error


def _xlsx_table_read(name: str, content, wanted: dict[str, Column], only: str | None) -> Table:
    from openpyxl import load_workbook

    try:
        source = (lambda: io.BytesIO(content)) if isinstance(content, bytes) else (lambda: content)
        values = load_workbook(source(), read_only=True, data_only=True)
        formulas = load_workbook(source(), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a broken file
        raise DataFileError(
            [DataError(name, "", _("not a readable XLSX file: %(error)s") % {"error": error})]
        ) from error
    epoch = 1904 if values.epoch.year == 1904 else 1900
    # The data sheet is the one with the header, whichever sheet is active.
    names = values.sheetnames
    active = values.active.title if values.active is not None else names[0]
    order = [active] + [n for n in names if n != active] if only is None else [only]
    first: list = []
    for title in order:
        if title not in names:
            break
        if not hasattr(values[title], "iter_rows"):
            continue  # a chart sheet
        head = list(values[title].iter_rows(max_row=HEADER_SEARCH_ROWS, values_only=True))
        for number, cells in enumerate(head, start=1):
            texts = ["" if c is None else str(c) for c in cells]
            if not first and any(texts):
                first = texts
            keys = _header_match(name, title, number, texts, wanted)
            if keys is None:
                continue
            table = Table(name, sheet=title, header_row=number, keys=keys, epoch=epoch)
            if title != active:
                table.notes.append(
                    _("The data were read from the sheet %(sheet)s.") % {"sheet": title}
                )
            if number > 1:
                table.notes.append(
                    _("The header is on row %(row)d; the rows above it are not read.")
                    % {"row": number}
                )
            width = len(keys)
            letters = [column_letter(index) for index in range(width)]
            # The formulas are read beside the values only where the sheet has any.
            written = formulas[title] if _has_formulas(values[title]) else None
            table.rows = _xlsx_rows(values[title], written, number, width, letters)
            # Typed numbers need no decimal mark; numbers stored as text are settled
            # like a CSV's (see `Table.settle_decimal_mark`).
            table.close = lambda: (values.close(), formulas.close())
            return table
    raise _no_header(name, order[0] if order else "", wanted, first)


def _has_formulas(sheet) -> bool:
    """Whether a sheet's XML holds a formula (<f>): read through once, without parsing.
    When openpyxl's internals are not as expected, assume it does."""
    try:
        stream = sheet.parent._archive.open(sheet._worksheet_path)
    except (AttributeError, KeyError):
        return True
    with stream:
        tail = b""
        for chunk in iter(lambda: stream.read(1 << 20), b""):
            if re.search(rb"<(?:\w+:)?f[ >/]", tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _xlsx_rows(values, formulas, header_row: int, width: int, letters: list[str]):
    if formulas is None:
        written_rows = iter(lambda: (), None)  # no formula anywhere: an endless "none"
    else:
        written_rows = formulas.iter_rows(min_row=header_row + 1, max_col=width, values_only=True)
    pairs = zip(
        values.iter_rows(min_row=header_row + 1, max_col=width),
        written_rows,
        strict=False,
    )
    for number, (cells, written) in enumerate(pairs, start=header_row + 1):
        row = []
        for index, cell in enumerate(cells):
            value = getattr(cell, "value", None)
            source = written[index] if index < len(written) else None
            if value is None and isinstance(source, str) and source.startswith("="):
                row.append(Missing(f"{letters[index]}{number}"))
            else:
                row.append(_xlsx_value(value, getattr(cell, "number_format", "General")))
        if any(cell not in (None, "") for cell in row):
            yield number, row


def _xlsx_value(value, number_format: str):
    """A cell as its reader sees it: numbers typed (a percent format shows 0.45 as 45 %),
    dates as dates, text as text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return Number(Decimal(int(value)))
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, int | float):
        number = excel_number(value)
        if "%" in (number_format or ""):
            return Number(excel_number(float(number * 100)), percent=True)
        return Number(number)
    if isinstance(value, datetime.time):
        return str(value)
    return str(value)


# --- the report before anything is written -------------------------------------------


@dataclass
class Planned:
    """What one row will do: create, change (with before and after) or leave alone."""

    record: str
    key: str
    action: str  # "created", "updated", "unchanged", "empty"
    changes: dict[str, tuple[str, str]] = field(default_factory=dict)


@dataclass
class ImportReport:
    """The outcome of an upload or import, dry run or not: per row, and counted."""

    file: str
    dry_run: bool = False
    rows: list[Planned] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # A bulk import counts in SQL and lists only a sample of its rows.
    totals: dict[str, int] | None = None

    def add(self, record: str, key: str, action: str, changes: dict | None = None) -> None:
        self.rows.append(Planned(record, key, action, changes or {}))

    def count(self, action: str) -> int:
        if self.totals is not None:
            return self.totals.get(action, 0)
        return sum(1 for row in self.rows if row.action == action)

    @property
    def counts(self) -> dict[str, int]:
        return {key: self.count(key) for key in ("created", "updated", "unchanged")}


def no_data(table: Table) -> DataFileError:
    """An upload without a data row is refused: "0 values" is never a success."""
    return DataFileError(
        [
            DataError(
                table.file,
                "",
                _("the file has a header on row %(row)d but no data row under it")
                % {"row": table.header_row},
                sheet=table.sheet,
            )
        ]
    )
