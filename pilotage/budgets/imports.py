"""Budget lines from CSV or XLSX, all or nothing.

Every row is checked (strategy, node or action, year within the strategy's period,
funding source, flow, amount, a declared total's parts); every problem is reported with
its file, row, column and reason, and then nothing is written. A line is matched by its
code, so importing the same file twice changes nothing; a dry run makes every check and
writes nothing.

Columns (a header row, any order; empty cells are empty values): code, strategy, node,
action, label, year, source, flow (planned, revised, committed or paid; default
planned), amount, unit (€, k€ or M€; default €), total (yes/no: a declared total),
precision (in the row's unit; default 0.01), document, parts (a declared total's parts,
codes separated by `|`).
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from pilotage.accounts.permissions import is_steering
from pilotage.budgets.loaders import UNITS
from pilotage.budgets.models import BudgetLine, Flow
from pilotage.core.audit import acting_as
from pilotage.core.datafiles import DataError, DataFileError, upsert
from pilotage.core.permissions import require
from pilotage.core.spreadsheets import Column, SheetRow, columns, no_data, read_table
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
YES = {"yes", "oui", "ja", "true", "1"}
NO = {"no", "non", "nee", "nein", "false", "0", ""}
CENT = Decimal("0.01")


class _Lookups:
    """The records rows point at, read once."""

    def __init__(self):
        self.strategies = {s.code: s for s in Strategy.objects.all()}
        self.nodes = {
            (n.strategy_id, n.code): n for n in StrategyNode.objects.only("pk", "code", "strategy")
        }
        self.actions = {a.code: a for a in Action.objects.only("pk", "code")}
        self.sources = {t.code: t for t in Term.objects.filter(taxonomy__code="funding-sources")}


def _line_row(row: SheetRow, known: _Lookups, seen: dict, stats: Counter, parts: dict) -> None:
    problems_before = len(row.errors)
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
    flow = row.text("flow") or Flow.PLANNED
    if flow not in Flow.values:
        row.problem(
            "flow",
            _("%(text)r is not a flow (%(flows)s)")
            % {"text": flow, "flows": ", ".join(Flow.values)},
        )
    unit = row.text("unit") or "€"
    if unit not in UNITS:
        row.problem("unit", _("%(text)r is not a unit (€, k€ or M€)") % {"text": unit})
        unit = "€"
    amount = row.decimal("amount")
    if amount is None and row.text("amount") == "":
        row.problem("amount", _("a line needs an amount"))
    elif amount is not None and flow == Flow.PLANNED and amount < 0:
        row.problem("amount", _("a planned amount cannot be negative"))
    year = None
    if row.text("year"):
        if row.text("year").isdigit():
            year = int(row.text("year"))
        else:
            row.problem("year", _("%(text)r is not a year") % {"text": row.text("year")})
    total = row.text("total").lower()
    if total not in YES | NO:
        row.problem("total", _("%(text)r is not yes or no") % {"text": row.text("total")})
    precision = row.decimal("precision")
    listed = [part.strip() for part in row.text("parts").split("|") if part.strip()]
    if listed and total not in YES:
        row.problem("parts", _("only a declared total lists parts"))
    if len(row.errors) > problems_before or amount is None:
        return
    scale = UNITS[unit]
    values = {
        "strategy": strategy,
        "node": node,
        "action": action,
        "label": row.text("label"),
        "year": year,
        "source": source,
        "flow": flow,
        "amount": (amount * scale).quantize(CENT),
        "is_declared_total": total in YES,
        "precision": ((precision if precision is not None else CENT) * scale).quantize(CENT),
        "document": row.text("document"),
    }
    try:
        _line, status = upsert(BudgetLine, {"code": code}, values)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            column = {"__all__": "node", "is_declared_total": "total"}.get(field, field)
            row.problem(column, " ".join(messages))
        return
    stats[status] += 1
    if listed:
        parts[code] = (row, listed)


def budget_lines_import(
    *, actor, name: str, content: bytes, dry_run: bool = False
) -> dict[str, int]:
    """Import budget lines; returns how many were (or would be) created, updated or left
    unchanged. Raises DataFileError with every problem, writing nothing."""
    require(is_steering(actor), _("Only steering staff import budgets."))
    table = read_table(name, content, COLUMNS)
    rows = list(table.records())
    if not rows:
        raise no_data(table)
    table.settle_decimal_mark(rows, ("amount", "precision"))
    known = _Lookups()
    errors: list[DataError] = table.errors
    stats: Counter = Counter()
    seen: dict[str, int] = {}
    parts: dict[str, tuple[SheetRow, list[str]]] = {}
    with transaction.atomic(), acting_as(actor):
        for row in rows:
            _line_row(row, known, seen, stats, parts)
        # Once every line exists: the parts each declared total lists.
        for code, (row, listed) in parts.items():
            found = dict(BudgetLine.objects.filter(code__in=listed).values_list("code", "pk"))
            unknown = [part for part in listed if part not in found]
            if unknown:
                row.problem("parts", _("unknown line %(code)r") % {"code": unknown[0]})
                continue
            total = BudgetLine.objects.get(code=code)
            if set(total.components.values_list("pk", flat=True)) != set(found.values()):
                total.components.set(found.values())
        if errors or dry_run:
            transaction.set_rollback(True)  # the checks ran on real writes; none stays
    if errors:
        raise DataFileError(errors)
    return {key: stats[key] for key in ("created", "updated", "unchanged")}
