"""The public collections Pilotage exports, read through the same selectors as the pages
and the API: what each holds (fields with their Table Schema types, primary key) and its
rows, chunk by chunk, so memory stays flat whatever the size.

Only public data: strategies that are not drafts and what hangs from them, published
values of public indicators, organisations' public fields (never persons, e-mail
addresses, enterprise numbers or street addresses). Texts are in French, the reference
language every record has, so the web and the command line give the same bytes.

The formats that write these rows are in `opendata.formats`.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.translation import gettext_noop

from pilotage.budgets.selectors import (
    Decomposition,
    budget_lines,
    budget_table,
    node_budget_tables,
    published_totals,
    reconciliation,
)
from pilotage.indicators.explain import explanation
from pilotage.indicators.models import Indicator
from pilotage.indicators.readmodel import read_model
from pilotage.indicators.selectors import indicator_list_public, observation_list_public
from pilotage.registry.geo import province_features
from pilotage.registry.models import Organisation
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import Strategy, StrategyNode
from pilotage.strategies.selectors import action_list_public, strategy_list_public
from pilotage.taxonomies.models import Term

CHUNK = 2000


@dataclass(frozen=True)
class Field:
    """A column: its name, its Table Schema type (string, integer, number, date,
    boolean), its description (English, as the data package gives it; marked for
    translation, so the dataset pages show it in the reader's language) and, for exact
    decimals, their digits (Parquet keeps them exact)."""

    name: str
    type: str = "string"
    description: str = ""
    digits: tuple[int, int] | None = None


@dataclass(frozen=True)
class Collection:
    name: str
    title: dict[str, str]
    description: dict[str, str]
    fields: tuple[Field, ...]
    primary_key: tuple[str, ...]
    records: Callable[[], Iterator[tuple]]
    count: Callable[[], int]
    # The querysets of the records it is made of: when they were first and last written.
    sources: Callable[[], list[models.QuerySet]]
    # Located records: each row's geometry (GeoJSON), in the same order as the rows.
    geometries: Callable[[], Iterator[dict | None]] | None = None
    # On PostgreSQL, the CSV of a large collection of plain values comes from COPY of this
    # query (values_list of the collection's columns, in order): the same bytes, faster.
    copy_query: Callable[[], models.QuerySet] | None = None

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def located(self) -> bool:
        return self.geometries is not None

    def issued(self) -> datetime.datetime | None:
        return _bound(self.sources(), models.Min("created_at"), min)

    def modified(self) -> datetime.datetime | None:
        return _bound(self.sources(), models.Max("updated_at"), max)

    def rows(self) -> Iterator[tuple]:
        """The rows, in French whatever language the request or shell is in."""
        with translation.override(settings.LANGUAGE_CODE):
            yield from self.records()


def _bound(querysets, aggregate, pick) -> datetime.datetime | None:
    """The first creation or last change of the records behind a collection (None when
    there are none)."""
    dates = [queryset.aggregate(moment=aggregate)["moment"] for queryset in querysets]
    dates = [moment for moment in dates if moment is not None]
    return pick(dates) if dates else None


def _codes(records) -> str:
    return ";".join(records)


# -- strategies and nodes ------------------------------------------------------------------


def strategy_records() -> Iterator[tuple]:
    for strategy in strategy_list_public().order_by("code").iterator(chunk_size=CHUNK):
        levels = sorted(strategy.levels.all(), key=lambda level: level.depth)
        yield (
            strategy.code,
            strategy.title,
            strategy.description,
            strategy.version,
            strategy.status,
            strategy.period_start,
            strategy.period_end,
            strategy.owner.code if strategy.owner_id else None,
            strategy.public_predecessor.code if strategy.public_predecessor else None,
            strategy.node_count,
            _codes(level.code for level in levels),
        )


def _public_nodes():
    return StrategyNode.objects.with_relations().public()


def node_records() -> Iterator[tuple]:
    nodes = _public_nodes().order_by("strategy__code", "level__depth", "order", "code")
    for node in nodes.iterator(chunk_size=CHUNK):
        yield (
            node.strategy.code,
            node.code,
            node.title,
            node.description,
            node.level.code,
            node.level.depth,
            node.parent.code if node.parent_id else None,
            node.order,
        )


# -- actions and indicators ----------------------------------------------------------------


def _public_action_list():
    return action_list_public()


def action_records() -> Iterator[tuple]:
    for action in _public_action_list().iterator(chunk_size=CHUNK):
        yield (
            action.code,
            action.title,
            action.description,
            action.status,
            action.type.code if action.type_id else None,
            action.lead.code if action.lead_id else None,
            action.start_date,
            action.end_date,
            _codes(sorted(term.code for term in action.target_audiences.all())),
            _codes(sorted(f"{node.strategy.code}:{node.code}" for node in action.nodes.all())),
        )


def _exact(value: Decimal | None) -> Decimal | None:
    """A computed number without trailing zeros or exponent (45, not 45.0000 nor 4.5E+1),
    as the API gives it: the writers then format it once."""
    if value is None:
        return None
    value = value.normalize()
    return value.quantize(Decimal(1)) if value.as_tuple().exponent > 0 else value


def indicator_records(batch: int = 500) -> Iterator[tuple]:
    """One row per public indicator with its status and the numbers behind it, typed
    (None for what is missing), from the read model (the API's statuses); the indicators'
    own fields batch by batch, in code order, so memory stays flat."""
    model = read_model()
    ids = model.indicator_ids()
    for start in range(0, len(ids), batch):
        page = ids[start : start + batch]
        found = Indicator.objects.filter(pk__in=page).select_related("action", "node__strategy")
        indicators = {indicator.pk: indicator for indicator in found}
        for pk in page:
            indicator, assessment = indicators.get(pk), model.assessment(pk)
            if indicator is None or assessment is None:  # deleted while the file streams
                continue
            yield (
                indicator.code,
                indicator.title,
                indicator.kind,
                indicator.unit,
                indicator.action.code if indicator.action_id else None,
                f"{indicator.node.strategy.code}:{indicator.node.code}"
                if indicator.node_id
                else None,
                assessment.status,
                assessment.status_label,
                _exact(assessment.actual),
                assessment.as_of,
                _exact(assessment.baseline_value),
                assessment.baseline_date,
                _exact(assessment.target_value),
                assessment.target_date,
                _exact(assessment.progress),
                _exact(assessment.expected),
                _exact(assessment.ratio),
                assessment.method,
                explanation(assessment),
            )


def observation_queryset() -> models.QuerySet:
    """Published values of public indicators, as the rows the export writes (by
    indicator, then period). A plain QuerySet over the selector's query: none of the
    columns is translated, and modeltranslation's values_list would go through a dict per
    row and reorder the SQL's columns; here the SQL's columns are the export's, so the
    query also serves COPY."""
    public = observation_list_public()
    return (
        models.QuerySet(model=public.model, query=public.query.chain())
        .order_by("indicator__code", "period_start", "period_end")
        .values_list("indicator__code", "period_start", "period_end", "value", "qualifier")
    )


def observation_records() -> Iterator[tuple]:
    return observation_queryset().iterator(chunk_size=CHUNK * 5)


# -- budgets -----------------------------------------------------------------------------


def _public_budget_lines():
    return budget_lines(strategy__in=Strategy.objects.public()).order_by("code")


def budget_line_records() -> Iterator[tuple]:
    for line in _public_budget_lines().iterator(chunk_size=CHUNK):
        yield (
            line.code,
            line.strategy.code,
            line.node.code if line.node_id else None,
            line.action.code if line.action_id else None,
            line.label,
            line.year,
            line.source.code,
            line.flow,
            line.amount,
            line.is_declared_total,
            line.precision,
            line.revised_amount,
            line.document,
        )


def budget_execution_records() -> Iterator[tuple]:
    """Each public strategy's budget by year and source, every flow, then each node's (in
    code order), as the pages and `/api/v1/budgets/execution` compute them."""
    for strategy in Strategy.objects.public().order_by("code"):
        codes = dict(strategy.nodes.values_list("pk", "code"))
        totals = published_totals(strategy)
        by_node = sorted(
            (
                (codes[pk], table)
                for pk, table in node_budget_tables(strategy, totals=totals).items()
            ),
            key=lambda item: item[0],
        )
        tables = [(None, budget_table(strategy, totals=totals)), *by_node]
        for node, table in tables:
            for cell in table.cells:
                figure = cell.figure
                yield (
                    strategy.code,
                    node,
                    cell.year,
                    cell.source,
                    cell.planned,
                    cell.revised,
                    cell.committed,
                    cell.paid,
                    figure.total if figure else None,
                    figure.published if figure else None,
                    figure.sum_of_parts if figure else None,
                    figure.difference if figure else None,
                    cell.committed_rate,
                    cell.paid_rate,
                )


def budget_total_records() -> Iterator[tuple]:
    """Every declared total of every public strategy beside the sum of its parts, once per
    decomposition the source gives."""
    order = {value: index for index, value in enumerate(Decomposition.values)}
    for strategy in Strategy.objects.public().order_by("code"):
        rows = reconciliation(strategy)
        for item in sorted(rows, key=lambda item: (item.line.code, order[item.decomposition])):
            yield (
                item.line.code,
                item.decomposition,
                item.name,
                strategy.code,
                item.line.node.code if item.line.node_id else None,
                item.line.year,
                item.line.source.code,
                item.line.flow,
                item.total,
                item.declared,
                item.computed,
                item.difference,
                item.tolerance,
                item.within_tolerance,
                item.parts,
                " ".join(item.part_codes),
                item.line.document,
            )


# -- organisations, provinces, terms -------------------------------------------------------


def _organisations():
    return Organisation.objects.with_relations().order_by("code")


def organisation_records() -> Iterator[tuple]:
    """Public fields only: those the API gives, nothing more."""
    for organisation in _organisations().iterator(chunk_size=CHUNK):
        yield (
            organisation.code,
            organisation.name,
            organisation.type.code if organisation.type_id else None,
            organisation.province.code if organisation.province_id else None,
            organisation.website,
            organisation.description,
        )


def organisation_geometries() -> Iterator[dict | None]:
    located = _organisations().values_list("latitude", "longitude")
    for latitude, longitude in located.iterator(chunk_size=CHUNK * 5):
        if latitude is None or longitude is None:
            yield None
        else:
            yield {"type": "Point", "coordinates": [float(longitude), float(latitude)]}


def _provinces() -> list[dict]:
    return sorted(province_features(), key=lambda feature: feature["properties"]["code"])


def province_records() -> Iterator[tuple]:
    counts = dict(
        Organisation.objects.filter(province__isnull=False)
        .values_list("province__code")
        .annotate(count=models.Count("pk"))
        .values_list("province__code", "count")
    )
    for feature in _provinces():
        properties = feature["properties"]
        yield (
            properties["code"],
            properties.get("name_fr", ""),
            properties.get("name_nl", ""),
            properties.get("name_de", ""),
            properties.get("name_en", ""),
            properties.get("nis", ""),
            counts.get(properties["code"], 0),
        )


def province_geometries() -> Iterator[dict | None]:
    for feature in _provinces():
        yield feature["geometry"]


def term_records() -> Iterator[tuple]:
    terms = Term.objects.select_related("taxonomy", "parent").order_by("taxonomy__code", "code")
    for term in terms.iterator(chunk_size=CHUNK):
        yield (
            term.taxonomy.code,
            term.code,
            term.uri,
            term.notation,
            term.label,
            term.definition,
            term.parent.code if term.parent_id else None,
            term.status,
            term.order,
        )


# -- the collections -----------------------------------------------------------------------

S, INT, N, D, B = "string", "integer", "number", "date", "boolean"
AMOUNT = (20, 4)
EUROS = (18, 2)


def _fields(*specs) -> tuple[Field, ...]:
    return tuple(Field(*spec) if isinstance(spec, tuple) else Field(spec) for spec in specs)


COLLECTIONS: dict[str, Collection] = {
    collection.name: collection
    for collection in [
        Collection(
            name="strategies",
            title={"fr": "Stratégies", "en": "Strategies", "nl": "Strategieën", "de": "Strategien"},
            description={
                "fr": "Les stratégies publiques (adoptées ou archivées), leur période, leurs "
                "niveaux et leur nombre de nœuds.",
                "en": "Public strategies (adopted or archived), their period, levels and "
                "number of nodes.",
                "nl": "Publieke strategieën (aangenomen of gearchiveerd), hun periode, niveaus en"
                " aantal knopen.",
                "de": "Öffentliche Strategien (verabschiedet oder archiviert), ihr Zeitraum, ihre"
                " Ebenen und die Zahl ihrer Knoten.",
            },
            fields=_fields(
                "code",
                "title",
                "description",
                "version",
                "status",
                ("period_start", D),
                ("period_end", D),
                "owner",
                "predecessor",
                ("nodes", INT),
                ("levels", S, gettext_noop("level codes, top first, separated by ;")),
            ),
            primary_key=("code",),
            records=strategy_records,
            count=lambda: Strategy.objects.public().count(),
            sources=lambda: [Strategy.objects.public()],
        ),
        Collection(
            name="nodes",
            title={
                "fr": "Ambitions, programmes et axes",
                "en": "Ambitions, programmes and axes",
                "nl": "Ambities, programma's en assen",
                "de": "Ambitionen, Programme und Achsen",
            },
            description={
                "fr": "Les nœuds des stratégies publiques : niveau, parent et ordre.",
                "en": "The nodes of public strategies: level, parent and order.",
                "nl": "De knopen van publieke strategieën: niveau, bovenliggende knoop en "
                "volgorde.",
                "de": "Die Knoten öffentlicher Strategien: Ebene, übergeordneter Knoten und "
                "Reihenfolge.",
            },
            fields=_fields(
                "strategy",
                "code",
                "title",
                "description",
                "level",
                ("depth", INT),
                "parent",
                ("order", INT),
            ),
            primary_key=("strategy", "code"),
            records=node_records,
            count=lambda: _public_nodes().count(),
            sources=lambda: [_public_nodes()],
        ),
        Collection(
            name="actions",
            title={"fr": "Actions", "en": "Actions", "nl": "Acties", "de": "Maßnahmen"},
            description={
                "fr": "Les actions au service d'une stratégie publique : type, pilote, dates, "
                "publics cibles et nœuds servis.",
                "en": "Actions serving a public strategy: type, lead, dates, target "
                "audiences and the nodes they serve.",
                "nl": "Acties ten dienste van een publieke strategie: type, trekker, data, "
                "doelgroepen en de knopen die ze dienen.",
                "de": "Maßnahmen im Dienst einer öffentlichen Strategie: Art, Federführung, "
                "Daten, Zielgruppen und die Knoten, denen sie dienen.",
            },
            fields=_fields(
                "code",
                "title",
                "description",
                "status",
                "type",
                "lead",
                ("start_date", D),
                ("end_date", D),
                ("target_audiences", S, gettext_noop("term codes separated by ;")),
                ("nodes", S, gettext_noop("strategy:node codes separated by ;")),
            ),
            primary_key=("code",),
            records=action_records,
            count=lambda: public_actions().count(),
            sources=lambda: [public_actions()],
        ),
        Collection(
            name="indicators",
            title={
                "fr": "Indicateurs et leur statut",
                "en": "Indicators and their status",
                "nl": "Indicatoren en hun status",
                "de": "Indikatoren und ihr Status",
            },
            description={
                "fr": "Chaque indicateur public, son statut calculé à partir des valeurs "
                "publiées, les chiffres qui le fondent et la phrase qui l'explique.",
                "en": "Every public indicator, its status computed from the published "
                "values, the numbers behind it and the sentence explaining it.",
                "nl": "Elke publieke indicator, zijn status berekend uit de gepubliceerde "
                "waarden, de cijfers erachter en de zin die hem uitlegt.",
                "de": "Jeder öffentliche Indikator, sein aus den veröffentlichten Werten "
                "berechneter Status, die Zahlen dahinter und der Satz, der ihn erklärt.",
            },
            fields=_fields(
                "code",
                "title",
                "kind",
                "unit",
                "action",
                ("node", S, gettext_noop("strategy:node")),
                "status",
                "status_label",
                ("actual", N),
                ("as_of", D),
                ("baseline_value", N),
                ("baseline_date", D),
                ("target_value", N),
                ("target_date", D),
                ("progress", N),
                ("expected", N),
                ("ratio", N),
                "method",
                "explanation",
            ),
            primary_key=("code",),
            records=indicator_records,
            count=lambda: len(read_model().indicator_ids()),
            sources=lambda: [indicator_list_public(), observation_list_public()],
        ),
        Collection(
            name="observations",
            title={
                "fr": "Valeurs publiées",
                "en": "Published values",
                "nl": "Gepubliceerde waarden",
                "de": "Veröffentlichte Werte",
            },
            description={
                "fr": "Les valeurs publiées des indicateurs publics, par indicateur et période.",
                "en": "The published values of public indicators, by indicator and period.",
                "nl": "De gepubliceerde waarden van publieke indicatoren, per indicator en "
                "periode.",
                "de": "Die veröffentlichten Werte öffentlicher Indikatoren, nach Indikator und "
                "Zeitraum.",
            },
            fields=(
                Field("indicator"),
                Field("period_start", D),
                Field("period_end", D),
                Field("value", N, digits=AMOUNT),
                Field("qualifier", S, gettext_noop("exact, at-least or about")),
            ),
            primary_key=("indicator", "period_start", "period_end"),
            records=observation_records,
            copy_query=observation_queryset,
            count=lambda: observation_list_public().count(),
            sources=lambda: [observation_list_public()],
        ),
        Collection(
            name="budget-lines",
            title={
                "fr": "Lignes budgétaires",
                "en": "Budget lines",
                "nl": "Begrotingslijnen",
                "de": "Haushaltslinien",
            },
            description={
                "fr": "Les lignes budgétaires des stratégies publiques, par nœud ou action, "
                "année, source et flux, en euros, telles que publiées.",
                "en": "The budget lines of public strategies, by node or action, year, source "
                "and flow, in euros, as published.",
                "nl": "De begrotingslijnen van publieke strategieën, per knoop of actie, jaar, "
                "bron en stroom, in euro, zoals gepubliceerd.",
                "de": "Die Haushaltslinien öffentlicher Strategien, nach Knoten oder Maßnahme, "
                "Jahr, Quelle und Fluss, in Euro, wie veröffentlicht.",
            },
            fields=(
                Field("code"),
                Field("strategy"),
                Field("node"),
                Field("action"),
                Field("label"),
                Field("year", INT),
                Field("source"),
                Field("flow"),
                Field("amount", N, gettext_noop("euros"), digits=EUROS),
                Field("is_declared_total", B),
                Field(
                    "precision", N, gettext_noop("the published rounding, in euros"), digits=EUROS
                ),
                Field("revised_amount", N, gettext_noop("euros"), digits=EUROS),
                Field("document"),
            ),
            primary_key=("code",),
            records=budget_line_records,
            count=lambda: _public_budget_lines().count(),
            sources=lambda: [_public_budget_lines()],
        ),
        Collection(
            name="budget-execution",
            title={
                "fr": "Exécution budgétaire par nœud, année et source",
                "en": "Budget execution by node, year and source",
                "nl": "Begrotingsuitvoering per knoop, jaar en bron",
                "de": "Haushaltsvollzug nach Knoten, Jahr und Quelle",
            },
            description={
                "fr": "Pour chaque stratégie publique puis chacun de ses nœuds : les montants "
                "prévus, révisés, engagés et payés par année et source de financement, calculés "
                "depuis les lignes (chaque euro compté une fois, réallocations approuvées "
                "comprises), le budget de référence et les taux d'engagement et de paiement.",
                "en": "For each public strategy then each of its nodes: the planned, revised, "
                "committed and paid amounts by year and funding source, computed from the "
                "lines (each euro counted once, approved reallocations included), the "
                "reference budget and the shares committed and paid.",
                "nl": "Voor elke publieke strategie en daarna elk van haar knopen: de geplande, "
                "herziene, vastgelegde en betaalde bedragen per jaar en financieringsbron, "
                "berekend uit de lijnen (elke euro één keer geteld, goedgekeurde "
                "herverdelingen inbegrepen), het referentiebudget en de vastgelegde en "
                "betaalde aandelen.",
                "de": "Für jede öffentliche Strategie und dann jeden ihrer Knoten: die geplanten,"
                " revidierten, gebundenen und gezahlten Beträge nach Jahr und "
                "Finanzierungsquelle, aus den Linien berechnet (jeder Euro einmal gezählt, "
                "genehmigte Umschichtungen eingeschlossen), das Referenzbudget und die "
                "gebundenen und gezahlten Anteile.",
            },
            fields=(
                Field("strategy"),
                Field("node", description=gettext_noop("empty: the whole strategy")),
                Field("year", INT, gettext_noop("empty: the whole period")),
                Field("source"),
                Field("planned", N, gettext_noop("euros"), digits=EUROS),
                Field("revised", N, gettext_noop("euros"), digits=EUROS),
                Field("committed", N, gettext_noop("euros"), digits=EUROS),
                Field("paid", N, gettext_noop("euros"), digits=EUROS),
                Field(
                    "budget",
                    N,
                    gettext_noop(
                        "euros: the published total of these lines where the source gives "
                        "one, else revised where published, else planned"
                    ),
                    digits=EUROS,
                ),
                Field(
                    "budget_published",
                    N,
                    gettext_noop("euros: the published total, if any"),
                    digits=EUROS,
                ),
                Field(
                    "budget_sum_of_parts",
                    N,
                    gettext_noop("euros: the lines added up"),
                    digits=EUROS,
                ),
                Field(
                    "budget_difference",
                    N,
                    gettext_noop("euros: the published total less the sum of its parts"),
                    digits=EUROS,
                ),
                Field("committed_rate", N, gettext_noop("percent of the budget")),
                Field("paid_rate", N, gettext_noop("percent of the budget")),
            ),
            primary_key=(),
            records=budget_execution_records,
            count=lambda: sum(1 for _row in budget_execution_records()),
            sources=lambda: [_public_budget_lines()],
        ),
        Collection(
            name="budget-totals",
            title={
                "fr": "Totaux budgétaires déclarés et leur réconciliation",
                "en": "Declared budget totals and their reconciliation",
                "nl": "Opgegeven begrotingstotalen en hun aansluiting",
                "de": "Angegebene Haushaltssummen und ihr Abgleich",
            },
            description={
                "fr": "Chaque total publié à côté de la somme de ses parties et de l'écart, "
                "sans jamais changer un montant publié.",
                "en": "Every published total beside the sum of its parts and the difference, "
                "never changing a published amount.",
                "nl": "Elk gepubliceerd totaal naast de som van zijn delen en het verschil, "
                "zonder ooit een gepubliceerd bedrag te wijzigen.",
                "de": "Jede veröffentlichte Summe neben der Summe ihrer Teile und der Differenz, "
                "ohne je einen veröffentlichten Betrag zu ändern.",
            },
            fields=(
                Field("code"),
                Field(
                    "decomposition",
                    description="what the total is compared with: "
                    + ", ".join(Decomposition.values),
                ),
                Field(
                    "name", description=gettext_noop("the total, named uniquely in its strategy")
                ),
                Field("strategy"),
                Field("node"),
                Field("year", INT),
                Field("source"),
                Field("flow"),
                Field(
                    "total",
                    N,
                    gettext_noop("euros: the published total, the figure shown"),
                    digits=EUROS,
                ),
                Field("declared", N, gettext_noop("euros"), digits=EUROS),
                Field("computed", N, gettext_noop("euros"), digits=EUROS),
                Field("difference", N, gettext_noop("euros"), digits=EUROS),
                Field("tolerance", N, gettext_noop("euros")),
                Field("within_tolerance", B),
                Field("parts", INT),
                Field(
                    "part_codes", description=gettext_noop("the lines or published totals added up")
                ),
                Field("document"),
            ),
            primary_key=("code", "decomposition"),
            records=budget_total_records,
            count=lambda: sum(1 for _row in budget_total_records()),
            sources=lambda: [_public_budget_lines()],
        ),
        Collection(
            name="organisations",
            title={
                "fr": "Organisations",
                "en": "Organisations",
                "nl": "Organisaties",
                "de": "Organisationen",
            },
            description={
                "fr": "Les organisations de l'écosystème, champs publics seulement (jamais de "
                "personnes ni d'adresses) ; en GeoJSON, leur position.",
                "en": "The ecosystem's organisations, public fields only (never persons nor "
                "addresses); in GeoJSON, their location.",
                "nl": "De organisaties van het ecosysteem, alleen openbare velden (nooit personen"
                " of adressen); in GeoJSON hun ligging.",
                "de": "Die Organisationen des Ökosystems, nur öffentliche Felder (nie Personen "
                "oder Adressen); in GeoJSON ihre Lage.",
            },
            fields=_fields("code", "name", "type", "province", "website", "description"),
            primary_key=("code",),
            records=organisation_records,
            count=lambda: Organisation.objects.count(),
            sources=lambda: [Organisation.objects.all()],
            geometries=organisation_geometries,
        ),
        Collection(
            name="provinces",
            title={"fr": "Provinces", "en": "Provinces", "nl": "Provincies", "de": "Provinzen"},
            description={
                "fr": "Les provinces, leurs noms et leur nombre d'organisations ; en GeoJSON, "
                "leurs limites.",
                "en": "The provinces, their names and number of organisations; in GeoJSON, "
                "their boundaries.",
                "nl": "De provincies, hun namen en aantal organisaties; in GeoJSON hun grenzen.",
                "de": "Die Provinzen, ihre Namen und die Zahl ihrer Organisationen; in GeoJSON "
                "ihre Grenzen.",
            },
            fields=_fields(
                "code",
                "name_fr",
                "name_nl",
                "name_de",
                "name_en",
                ("nis", S, gettext_noop("the NIS code of Statbel")),
                ("organisations", INT),
            ),
            primary_key=("code",),
            records=province_records,
            count=lambda: len(province_features()),
            sources=lambda: [Organisation.objects.all()],
            geometries=province_geometries,
        ),
        Collection(
            name="terms",
            title={
                "fr": "Termes des taxonomies",
                "en": "Taxonomy terms",
                "nl": "Termen van de taxonomieën",
                "de": "Begriffe der Taxonomien",
            },
            description={
                "fr": "Les termes de chaque taxonomie : IRI, notation, libellé, définition, "
                "parent et statut.",
                "en": "The terms of every taxonomy: IRI, notation, label, definition, parent "
                "and status.",
                "nl": "De termen van elke taxonomie: IRI, notatie, label, definitie, "
                "bovenliggende term en status.",
                "de": "Die Begriffe jeder Taxonomie: IRI, Notation, Bezeichnung, Definition, "
                "Oberbegriff und Status.",
            },
            fields=_fields(
                "taxonomy",
                "code",
                "uri",
                "notation",
                "label",
                "definition",
                "parent",
                "status",
                ("order", INT),
            ),
            primary_key=("taxonomy", "code"),
            records=term_records,
            count=lambda: Term.objects.count(),
            sources=lambda: [Term.objects.all()],
        ),
    ]
}


def collection_get(name: str) -> Collection:
    """A collection by name (KeyError when there is none)."""
    return COLLECTIONS[name]
