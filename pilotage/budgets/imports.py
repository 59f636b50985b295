"""Budget lines from CSV or XLSX, all or nothing.

Every row is checked (strategy, node or action, year within the strategy's period,
funding source, flow, amount, a declared total's parts); every problem is reported with
its file, row, column and reason, and then nothing is written. A line is matched by its
code, so importing the same file twice changes nothing; a dry run makes every check and
writes nothing.

Columns (a header row, any order; empty cells are empty values): code, strategy, node,
action, label, year, source, flow (planned, revised, committed or paid; default
planned), amount (as people write it: "1 234,5", "1.234,5", "1,5 M€"), unit (€, k€ or
M€; default €, or the one written after the amount), total (yes/no: a declared total),
precision (in the row's unit; default 0.01), document, parts (a declared total's parts,
codes separated by `|`). A column the file does not have is left as stored (a new line
takes its default); a header that is no column is named in the report. An amount is
never rounded: one with more than cents, once in euros, is refused.
"""

from __future__ import annotations

import re
from decimal import Decimal, localcontext

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_steering
from pilotage.budgets.loaders import UNITS
from pilotage.budgets.models import BudgetLine, Flow
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import (
    NO,
    YES,
    DataError,
    DataFileError,
    ProblemRows,
    decimal_problem,
    plain_decimal,
    record_assign,
    shown,
    unknown_columns_note,
)
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.core.spreadsheets import (
    Column,
    ImportReport,
    SheetRow,
    columns,
    no_data,
    read_table,
)
from pilotage.strategies.models import Action, Strategy, StrategyNode
from pilotage.taxonomies.models import Term

COLUMNS = columns(
    Column("code", {"fr": "code", "nl": "code", "de": "Code", "en": "code"}, required=True),
    Column(
        "strategy",
        {"fr": "stratégie", "nl": "strategie", "de": "Strategie", "en": "strategy"},
        required=True,
    ),
    Column("node", {"fr": "nœud", "nl": "knooppunt", "de": "Knoten", "en": "node"}),
    Column("action", {"fr": "action", "nl": "actie", "de": "Maßnahme", "en": "action"}),
    Column("label", {"fr": "libellé", "nl": "omschrijving", "de": "Bezeichnung", "en": "label"}),
    Column("year", {"fr": "année", "nl": "jaar", "de": "Jahr", "en": "year"}),
    Column(
        "source",
        {"fr": "source", "nl": "bron", "de": "Quelle", "en": "source"},
        required=True,
    ),
    Column("flow", {"fr": "flux", "nl": "stroom", "de": "Fluss", "en": "flow"}),
    Column(
        "amount",
        {"fr": "montant", "nl": "bedrag", "de": "Betrag", "en": "amount"},
        required=True,
    ),
    Column("unit", {"fr": "unité", "nl": "eenheid", "de": "Einheit", "en": "unit"}),
    Column("total", {"fr": "total", "nl": "totaal", "de": "Summe", "en": "total"}),
    Column("precision", {"fr": "précision", "nl": "precisie", "de": "Genauigkeit"}),
    Column("document", {"fr": "document", "nl": "document", "de": "Dokument"}),
    Column("parts", {"fr": "parties", "nl": "delen", "de": "Teile", "en": "parts"}),
)
CENT = Decimal("0.01")
# A unit written after the amount: "1 234,50 €", "1,5 M€", "250 k€", "12 EUR".
_UNIT_AFTER = re.compile(r"^(?P<number>.*?)\s*(?P<unit>[kKM]?\s?(?:€|EUR))$")
# The file's columns by the fields they fill, for the report and the model's errors.
FIELD_COLUMNS = {"label_fr": "label", "is_declared_total": "total", "__all__": "node"}


def _unit(text: str) -> str | None:
    """ "€", "k€", "M€" as written ("K€", "k €", "MEUR" too); None for anything else."""
    compact = text.replace(" ", "").replace("EUR", "€")
    compact = "k€" if compact == "K€" else compact
    return compact if compact in UNITS else None


def _units_after_amounts(rows: list[SheetRow]) -> dict[int, str]:
    """Take the unit written after an amount off the cell ("1,5 M€" reads 1,5), so that
    the number is read like any other; returns the units found by row number."""
    found = {}
    for row in rows:
        cell = row.raw("amount")
        if isinstance(cell, str) and (match := _UNIT_AFTER.match(cell.strip())):
            unit = _unit(match["unit"])
            if unit is not None and match["number"].strip():
                row.cells["amount"] = match["number"].strip()
                found[row.number] = unit
    return found


def _euros(row: SheetRow, column: str, value: Decimal, unit: str) -> Decimal | None:
    """`value` written in `unit`, in euros as the field keeps them; None, with the problem
    named, when the field cannot keep it exactly (1,234567 k€ is 1234.567 €: refused,
    never rounded)."""
    with localcontext() as context:
        context.prec = len(value.as_tuple().digits) + 10  # exact: scaling never rounds
        euros = value * UNITS[unit]
    problem = decimal_problem(BudgetLine._meta.get_field(column), euros)
    if problem is None:
        return euros
    if unit != "€":
        problem = _("%(written)s %(unit)s is %(euros)s €: %(problem)s") % {
            "written": row.text(column),
            "unit": unit,
            "euros": plain_decimal(euros) if len(euros.as_tuple().digits) <= 40 else "…",
            "problem": problem,
        }
    row.problem(column, problem)
    return None


class _Lookups:
    """The records rows point at, read once."""

    def __init__(self, errors: list[DataError], codes: list[str]):
        self.problems = ProblemRows(errors)
        self.lines = {line.code: line for line in BudgetLine.objects.filter(code__in=codes)}
        self.strategies = {s.code: s for s in Strategy.objects.all()}
        self.nodes = {
            (n.strategy_id, n.code): n for n in StrategyNode.objects.only("pk", "code", "strategy")
        }
        self.actions = {a.code: a for a in Action.objects.only("pk", "code")}
        self.sources = {t.code: t for t in Term.objects.filter(taxonomy__code="funding-sources")}


def _line_values(
    row: SheetRow, known: _Lookups, seen: dict, units: dict, line: BudgetLine | None
) -> dict | None:
    """The fields of the line a row describes, or None when it has a problem (named).

    Only the columns the file has are written: a file of codes and amounts changes the
    amounts and leaves each line's label, year, flow or document as they are (a new line
    takes the defaults). A node and an action are one place: either column moves the line.
    """
    given = row.table.keys.__contains__
    code = row.text("code")
    if not code:
        row.problem("code", _("a line needs a code"))
    elif code in seen:
        row.problem(
            "code", _("%(code)s is already on row %(row)d") % {"code": code, "row": seen[code]}
        )
    else:
        seen[code] = row.number
    strategy = known.strategies.get(row.text("strategy"))
    if strategy is None:
        row.problem("strategy", _("unknown strategy %(code)r") % {"code": row.text("strategy")})
    node = action = None
    if row.text("node") and row.text("action"):
        row.problem("action", _("a line is on a node or on an action, not both"))
    elif row.text("node") and strategy is not None:
        node = known.nodes.get((strategy.pk, row.text("node")))
        if node is None:
            row.problem("node", _("unknown node %(code)r") % {"code": row.text("node")})
    elif row.text("action"):
        action = known.actions.get(row.text("action"))
        if action is None:
            row.problem("action", _("unknown action %(code)r") % {"code": row.text("action")})
    source = known.sources.get(row.text("source"))
    if source is None:
        row.problem("source", _("unknown funding source %(code)r") % {"code": row.text("source")})
    # A new line, or a flow column, takes the row's flow (planned when empty).
    new_flow = given("flow") or line is None
    flow = (row.text("flow") or Flow.PLANNED) if new_flow else line.flow
    if flow not in Flow.values:
        row.problem(
            "flow",
            _("%(text)r is not a flow (%(flows)s)")
            % {"text": flow, "flows": ", ".join(Flow.values)},
        )
    unit = _unit(row.text("unit")) if row.text("unit") else units.get(row.number, "€")
    if unit is None:
        row.problem("unit", _("%(text)r is not a unit (€, k€ or M€)") % {"text": row.text("unit")})
        unit = "€"
    elif row.number in units and units[row.number] != unit:
        row.problem(
            "amount",
            _("the amount is in %(written)s, the unit column says %(unit)s")
            % {"written": units[row.number], "unit": unit},
        )
    amount = row.decimal("amount")
    if amount is None and row.text("amount") == "":
        row.problem("amount", _("a line needs an amount"))
    elif amount is not None:
        amount = _euros(row, "amount", amount, unit)
        if amount is not None and flow == Flow.PLANNED and amount < 0:
            row.problem("amount", _("a planned amount cannot be negative"))
    year = None
    if row.text("year"):
        # [0-9], not isdigit(): "²" and other digits int() cannot read are no year.
        if re.fullmatch(r"[0-9]{4}", row.text("year")):
            year = int(row.text("year"))
        else:
            row.problem("year", _("%(text)r is not a year") % {"text": row.text("year")})
    total = row.text("total").lower()
    if total and total not in YES | NO:
        row.problem("total", _("%(text)r is not yes or no") % {"text": row.text("total")})
    if given("total"):
        declared = total in YES
    else:
        declared = line.is_declared_total if line is not None else False
    precision = row.decimal("precision")
    if precision is not None:
        precision = _euros(row, "precision", precision, unit)
    elif not row.text("precision") and (given("precision") or line is None):
        precision = CENT * UNITS[unit]  # the row's unit's cent
    if row.text("parts") and not declared:
        row.problem("parts", _("only a declared total lists parts"))
    if row.record in known.problems or amount is None:
        return None
    values = {
        "strategy": strategy,
        "source": source,
        "amount": amount,
    }
    if given("node") or given("action"):
        values |= {"node": node, "action": action}
    if given("label"):
        # The file's label is the French one, as the data files' first language.
        values["label_fr"] = row.text("label")
    if given("year"):
        values["year"] = year
    if given("flow"):
        values["flow"] = flow
    if given("total"):
        values["is_declared_total"] = declared
    if precision is not None:
        values["precision"] = precision
    if given("document"):
        values["document"] = row.text("document")
    return values


def _line_write(
    row: SheetRow, code: str, values: dict, line: BudgetLine | None
) -> tuple[BudgetLine, str, dict] | None:
    """Create or change the line; saved only when a value really differs."""
    status = "created" if line is None else "updated"
    line = line or BudgetLine(code=code)
    published = line.amount if line.pk else None
    changes = record_assign(line, values)
    if line.pk and not changes:
        return line, "unchanged", {}
    if published is not None and line.revised_amount is not None and "amount" in changes:
        # A corrected published amount keeps the reallocations approved on it.
        line.revised_amount += line.amount - published
    try:
        line.full_clean()
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            row.problem(FIELD_COLUMNS.get(field, field), " ".join(messages))
        return None
    line.save()
    shown_changes = {
        FIELD_COLUMNS.get(field, field): (shown(before), shown(after))
        for field, (before, after) in changes.items()
    }
    return line, status, shown_changes if status == "updated" else {}


def budget_lines_import(*, actor, name: str, content: bytes, dry_run: bool = False) -> ImportReport:
    """Import budget lines; the report says, row by row, what was (or would be) created,
    changed (before and after) or left alone. Raises DataFileError with every problem,
    writing nothing."""
    require(is_steering(actor), _("Only steering staff import budgets."))
    table = read_table(name, content, COLUMNS)
    rows = list(table.records())
    if not rows:
        raise no_data(table)
    units = _units_after_amounts(rows)
    table.settle_decimal_mark(rows, ("amount", "precision"))
    errors: list[DataError] = table.errors
    known = _Lookups(errors, [row.text("code") for row in rows])
    report = ImportReport(name, dry_run=dry_run, notes=list(table.notes))
    if note := unknown_columns_note(table.keys, COLUMNS):
        report.notes.append(note)
    seen: dict[str, int] = {}
    planned: dict[str, list] = {}  # code: [row, line, status, changes]
    with transaction.atomic(), acting_as(actor):
        for row in rows:
            code = row.text("code")
            line = known.lines.get(code) if code not in seen else None
            values = _line_values(row, known, seen, units, line)
            if values is None:
                continue
            written = _line_write(row, code, values, line)
            if written is not None:
                planned[code] = [row, *written]
        # Once every line exists: the parts each declared total lists.
        for code, (row, line, status, changes) in planned.items():
            listed = [part.strip() for part in row.text("parts").split("|") if part.strip()]
            if not listed:
                continue
            found = dict(BudgetLine.objects.filter(code__in=listed).values_list("code", "pk"))
            unknown = [part for part in listed if part not in found]
            if unknown:
                row.problem("parts", _("unknown line %(code)r") % {"code": unknown[0]})
                continue
            current = dict(line.components.values_list("code", "pk"))
            if set(current.values()) != set(found.values()):
                line.components.set(found.values())
                if status == "unchanged":
                    planned[code][2] = "updated"
                if status != "created":
                    changes["parts"] = ("|".join(sorted(current)), "|".join(listed))
        for row, line, status, changes in planned.values():
            report.add(row.record, line.code, status, changes)
        if errors or dry_run:
            transaction.set_rollback(True)  # the checks ran on real writes; none stays
        elif report.count("created") or report.count("updated"):
            changed(ChangeKind.LABEL)  # the public pages show them
    if errors:
        raise DataFileError(errors)
    return report
