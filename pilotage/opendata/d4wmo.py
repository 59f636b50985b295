"""Data4Wallonia interoperability: Pilotage's public records in the D4WMO-AP model
(Digital Wallonia's data model, standards/d4wmo-ap-asis-1.0.0/), and back.

Exported: the top nodes of public strategies as d4w:Ambition, the nodes below as
d4w:Program, public actions as d4w:ActionPlan with their organisations' roles
(d4w:ActionPlanProfile) and annual budgets (d4w:AnnualBudget), organisations as
d4w:Profile, events as d4w:Event, and persons as d4w:Person only when they agreed to be
shown. Never an e-mail address of a person: where the profile asks for a contact
(d4w:plateformContactPerson), it is the platform's own desk (PILOTAGE_CONTACT_EMAIL).
What D4WMO-AP has no words for, and an import needs to recreate the records, is said in
standard vocabularies (the profile's shapes are open): a strategy as a prov:Plan (its
period as dcterms:temporal, its owner as dcterms:publisher, its status as adms:status,
its predecessor as dcterms:replaces), its levels as SKOS concepts, where a node sits
(dcterms:isPartOf, dcterms:type for its level, schema:position for its rank), an action's
status and own dates, a partner's role (dcterms:description on the link).

Imported: all of that, matched by identifiers and written through the apps' services
(the back-office's validation, permissions and audit), all or nothing. Pilotage's own
export imports into an empty database as the records it came from, and again changing
nothing; Digital Wallonia's own example file imports, and its records export again with
the same facts. Not carried: texts in other languages than French, a node's values, the
weights; nor budget lines, which annual budgets are only
checked against (a line needs a source and a flow).
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext
from rdflib import DCTERMS, RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, OWL, PROV

from pilotage.budgets.selectors import budget_lines
from pilotage.core.datafiles import LANGUAGES, record_assign
from pilotage.core.permissions import require
from pilotage.registry.models import (
    Affiliation,
    AffiliationKind,
    Event,
    Organisation,
    Person,
)
from pilotage.registry.permissions import can_create_organisation
from pilotage.registry.services import (
    event_organisers_set,
    organisation_save,
    person_save,
    record_save,
)
from pilotage.registry.validators import enterprise_number_normalise
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import (
    Action,
    ActionStatus,
    Strategy,
    StrategyLevel,
    StrategyNode,
    StrategyStatus,
)
from pilotage.strategies.services import (
    action_nodes_set,
    action_partners_set,
    action_save,
    action_target_audiences_set,
    level_save,
    node_save,
    strategy_save,
)
from pilotage.taxonomies.models import Term
from pilotage.taxonomies.selectors import record_terms
from pilotage.taxonomies.services import record_terms_set
from pilotage.taxonomies.skos import term_uri

D4W = Namespace("http://data4wallonia.com/resource/model/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
SCHEMA = Namespace("https://schema.org/")
CLIENT_SITE = "Pilotage"
AUDIENCES = "target-audiences"


def _base() -> str:
    return f"{settings.PILOTAGE_BASE_URI}d4w/"


def _iri(kind: str, code: str) -> URIRef:
    # The record's own key, never a slug of it: "AdN" and "adn" are two IRIs, as they are
    # two codes (codes hold only IRI-safe characters: letters, digits, . _ -).
    return URIRef(f"{_base()}{kind}/{code}")


def _platform() -> str:
    """The platform's own resources (its profile, its desk): outside the registry's keys,
    so an import never takes them for an organisation or a person."""
    return f"{_base()}platform"


def _identified(graph: Graph, kind: str, code: str) -> URIRef:
    """The resource of a record, carrying the key the import matches it by."""
    subject = _iri(kind, code)
    graph.add((subject, DCTERMS.identifier, Literal(code)))
    return subject


def _texts(graph: Graph, subject, predicate, record, field: str, fallback: str = "") -> None:
    """A translated field in French, the profile's language (its text properties take
    one value each, whatever the language)."""
    value = getattr(record, f"{field}_fr", None) or getattr(record, field, None) or fallback
    if value:
        graph.add((subject, predicate, Literal(value, lang="fr")))


def _one_text(graph: Graph, subject, predicate, value: str) -> None:
    graph.add((subject, predicate, Literal(value, lang="fr")))


def _datetime(day: datetime.date, time: datetime.time | None = None) -> Literal:
    moment = datetime.datetime.combine(day, time or datetime.time())
    return Literal(moment.isoformat(), datatype=XSD.dateTime)


def _slug(graph: Graph, subject, *parts: str) -> None:
    graph.add((subject, D4W.slug, Literal(slugify("-".join(parts))[:200] or "x", lang="fr")))


def _concept(graph: Graph, term: Term) -> URIRef:
    """A term as the SKOS concept the profile's categories point at."""
    subject = term_uri(term, term.taxonomy)
    _concept_describe(
        graph, subject, term.code, term.label_fr or term.label, term.definition_fr or term.label
    )
    return subject


def _concept_describe(graph: Graph, subject, code: str, label: str, definition: str) -> None:
    graph.add((subject, RDF.type, SKOS.Concept))
    graph.add((subject, SKOS.prefLabel, Literal(label, lang="fr")))
    graph.add((subject, SKOS.definition, Literal(definition, lang="fr")))
    graph.add((subject, D4W.slug, Literal(code, lang="fr")))
    graph.add((subject, D4W.enabledBack, Literal(True)))


def _relay_email(code: str) -> str:
    """An address at the platform's desk that reaches a person without giving theirs."""
    desk = getattr(settings, "PILOTAGE_CONTACT_EMAIL", "contact@pilotage.example.org")
    user, _, domain = desk.partition("@")
    return f"{user}+{slugify(code)}@{domain}"


def _contact_desk(graph: Graph) -> URIRef:
    """The platform's contact desk: the profile's contact on the platform side."""
    desk = URIRef(f"{_platform()}/desk")
    person = URIRef(f"{_platform()}/desk-person")
    email = getattr(settings, "PILOTAGE_CONTACT_EMAIL", "contact@pilotage.example.org")
    graph.add((person, RDF.type, D4W.Person))
    graph.add((person, D4W.firstName, Literal("Pilotage")))
    graph.add((person, D4W.lastName, Literal("Contact")))
    graph.add((person, D4W.internalName, Literal("Pilotage contact desk")))
    graph.add((person, D4W.displayRefusal, Literal(False)))
    graph.add((person, D4W.language, Literal("French")))
    graph.add((person, D4W.featuredEmail, Literal(email)))
    _slug(graph, person, "pilotage-contact")
    # The desk answers for the platform itself, a profile of its own.
    platform = URIRef(_platform())
    graph.add((platform, RDF.type, D4W.Profile))
    _one_text(graph, platform, D4W.title, "Pilotage")
    _one_text(graph, platform, D4W.shortDescription, "The platform publishing these records.")
    _slug(graph, platform, "pilotage-platform")
    graph.add((platform, D4W.plateformContactPerson, desk))
    graph.add((desk, RDF.type, D4W.QualifiedPerson))
    graph.add((desk, D4W.person, person))
    graph.add((desk, D4W.profile, platform))
    graph.add((desk, D4W.emailAddress, Literal(email)))
    graph.add((desk, D4W.internalName, Literal("Pilotage contact desk")))
    return desk


def _profile(graph: Graph, organisation: Organisation, desk: URIRef) -> URIRef:
    subject = _iri("profile", organisation.code)
    if (subject, RDF.type, D4W.Profile) in graph:
        return subject
    _identified(graph, "profile", organisation.code)
    graph.add((subject, RDF.type, D4W.Profile))
    _one_text(graph, subject, D4W.title, organisation.name)
    _slug(graph, subject, organisation.code)
    _texts(graph, subject, D4W.shortDescription, organisation, "description", organisation.name)
    # The profile's short description stands in for a missing one; the import reads this.
    _texts(graph, subject, DCTERMS.description, organisation, "description")
    graph.add((subject, D4W.plateformContactPerson, desk))
    graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
    if organisation.enterprise_number:
        graph.add((subject, D4W.belgianEntreprise, Literal(organisation.enterprise_number)))
    if organisation.nace_code:
        graph.add((subject, D4W.mainNACECode, Literal(organisation.nace_code)))
    if organisation.website:
        graph.add((subject, D4W.website, Literal(organisation.website)))
    for term in record_terms(organisation):
        graph.add((subject, D4W.category, _concept(graph, term)))
    return subject


def _period(graph: Graph, subject, start, end) -> None:
    """A period in DCAT's words (dcterms:temporal), exactly as the record holds it."""
    if not (start or end):
        return
    period = BNode()
    graph.add((subject, DCTERMS.temporal, period))
    graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
    if start:
        graph.add((period, DCAT.startDate, Literal(start, datatype=XSD.date)))
    if end:
        graph.add((period, DCAT.endDate, Literal(end, datatype=XSD.date)))


def _statuses(graph: Graph, kind: str, choices) -> None:
    """A record's status as a SKOS concept (adms:status points at it)."""
    with translation.override("fr"):
        for value, label in choices.choices:
            _concept_describe(graph, _iri(kind, value), value, str(label), str(label))


def _strategies(graph: Graph, desk: URIRef) -> dict[int, URIRef]:
    """Public strategies as plans (prov:Plan), with their levels as concepts: what
    D4WMO-AP has no class for, in standard vocabularies, so an import recreates them."""
    strategies = list(
        Strategy.objects.public()
        .select_related("owner")
        .prefetch_related("levels")
        .order_by("code")
    )
    _statuses(graph, "strategy-status", StrategyStatus)
    found = {}
    for strategy in strategies:
        subject = found[strategy.pk] = _identified(graph, "strategy", strategy.code)
        graph.add((subject, RDF.type, PROV.Plan))
        _texts(graph, subject, DCTERMS.title, strategy, "title")
        _texts(graph, subject, DCTERMS.description, strategy, "description")
        graph.add((subject, OWL.versionInfo, Literal(strategy.version)))
        _period(graph, subject, strategy.period_start, strategy.period_end)
        graph.add((subject, DCTERMS.publisher, _profile(graph, strategy.owner, desk)))
        graph.add((subject, ADMS.status, _iri("strategy-status", strategy.status)))
        if strategy.sources:
            graph.add((subject, DCTERMS.source, Literal(strategy.sources)))
        for level in strategy.levels.all():
            concept = _identified(graph, "level", f"{strategy.code}-{level.code}")
            name = level.name_fr or level.name
            _concept_describe(graph, concept, level.code, name, name)
            graph.add((concept, DCTERMS.isPartOf, subject))
            graph.add((concept, SCHEMA.position, Literal(level.depth)))
    for strategy in strategies:
        if strategy.predecessor_id in found:  # a draft one is never published
            graph.add((found[strategy.pk], DCTERMS.replaces, found[strategy.predecessor_id]))
    return found


def _node_place(graph: Graph, subject, node: StrategyNode, within: URIRef) -> None:
    """Where a node sits, which D4WMO-AP does not say: what it is part of, its level, its
    rank, and its own description (d4w:shortDescription falls back on the title)."""
    graph.add((subject, DCTERMS.isPartOf, within))
    graph.add((subject, DCTERMS.type, _iri("level", f"{node.strategy.code}-{node.level.code}")))
    graph.add((subject, SCHEMA.position, Literal(node.order)))
    _texts(graph, subject, DCTERMS.description, node, "description")


def _ambition(graph: Graph, node: StrategyNode, within: URIRef) -> URIRef:
    subject = _identified(graph, "ambition", f"{node.strategy.code}-{node.code}")
    graph.add((subject, RDF.type, D4W.Ambition))
    _texts(graph, subject, D4W.title, node, "title")
    _slug(graph, subject, node.strategy.code, node.code)
    _texts(graph, subject, D4W.shortDescription, node, "description", node.title)
    graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
    _node_place(graph, subject, node, within)
    # The profile asks every ambition for a logo and a reference post: Pilotage's own
    # pictogram, and a post made of the ambition's own text.
    logo = _iri("asset", f"{node.strategy.code}-{node.code}-logo")
    picture = URIRef(f"{settings.PILOTAGE_BASE_URI}static/dashboard/favicon.svg")
    graph.add((logo, RDF.type, D4W.Asset))
    graph.add((logo, D4W.file, picture))
    graph.add((picture, RDF.type, D4W.File))
    graph.add((subject, D4W.logo, logo))
    post = _iri("post", f"{node.strategy.code}-{node.code}")
    graph.add((post, RDF.type, D4W.Post))
    _texts(graph, post, D4W.title, node, "title")
    _slug(graph, post, "ambition", node.strategy.code, node.code)
    _texts(graph, post, D4W.introduction, node, "title")
    _texts(graph, post, D4W.content, node, "description", node.title)
    graph.add((post, D4W.publishedDate, _datetime(node.strategy.period_start)))
    graph.add((post, D4W.type, Literal("Feature article")))
    graph.add((subject, D4W.referencePost, post))
    return subject


def d4wmo_graph() -> Graph:
    """Every public record Pilotage can say in D4WMO-AP, as one graph."""
    graph = Graph()
    graph.bind("d4w", D4W)
    graph.bind("skos", SKOS)
    for prefix, namespace in (("adms", ADMS), ("schema", SCHEMA), ("prov", PROV)):
        graph.bind(prefix, namespace)
    desk = _contact_desk(graph)
    strategies = _strategies(graph, desk)
    nodes = list(
        StrategyNode.objects.filter(strategy__in=Strategy.objects.public())
        .select_related("strategy", "level")
        .order_by("strategy__code", "level__depth", "order")
    )
    by_pk = {node.pk: node for node in nodes}
    ambitions, programmes = {}, {}
    for node in nodes:
        if node.parent_id is None:
            ambitions[node.pk] = _ambition(graph, node, strategies[node.strategy_id])
    for node in nodes:
        if node.parent_id is None:
            continue
        top = node
        while top.parent_id is not None:
            top = by_pk[top.parent_id]
        subject = _identified(graph, "program", f"{node.strategy.code}-{node.code}")
        programmes[node.pk] = subject
        graph.add((subject, RDF.type, D4W.Program))
        _texts(graph, subject, D4W.title, node, "title")
        _slug(graph, subject, node.strategy.code, node.code)
        _texts(graph, subject, D4W.shortDescription, node, "description", node.title)
        graph.add((subject, D4W.masterAmbition, ambitions[top.pk]))
        graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
        # Nodes come parents first (by level): the parent's resource is there.
        _node_place(
            graph, subject, node, ambitions.get(node.parent_id) or programmes[node.parent_id]
        )
    _action_plans(graph, desk, by_pk, ambitions, programmes)
    for organisation in Organisation.objects.all().order_by("code"):
        _profile(graph, organisation, desk)
    for event in Event.objects.select_related("type").prefetch_related("organisers"):
        _event(graph, event, desk)
    for person in Person.objects.filter(display_refusal=False).order_by("code"):
        subject = _identified(graph, "person", person.code)
        graph.add((subject, RDF.type, D4W.Person))
        graph.add((subject, D4W.firstName, Literal(person.given_name)))
        graph.add((subject, D4W.lastName, Literal(person.family_name)))
        graph.add((subject, D4W.internalName, Literal(str(person))))
        graph.add((subject, D4W.displayRefusal, Literal(False)))
        graph.add((subject, D4W.language, Literal("French")))
        # Reachable through the platform's desk; their own address is never published.
        graph.add((subject, D4W.nonFeaturedEmail, Literal(_relay_email(person.code))))
        _slug(graph, subject, person.code)
    return graph


def _annual_budgets() -> dict[int, dict[int, Decimal]]:
    """Each action's planned amount by year: the sum of its lines that add up."""
    budgets: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for line in budget_lines(
        action__isnull=False, year__isnull=False, flow="planned", is_declared_total=False
    ):
        budgets[line.action_id][line.year] += line.amount
    return budgets


def _action_plans(graph, desk, by_pk, ambitions, programmes) -> None:
    actions = (
        Action.objects.filter(pk__in=public_actions().values("pk"))
        .select_related("type", "lead")
        .prefetch_related(
            "nodes__strategy", "partnerships__organisation", "target_audiences__taxonomy"
        )
        .order_by("code")
    )
    budgets = _annual_budgets()
    _statuses(graph, "action-status", ActionStatus)
    lead_role = _iri("action-role", "lead")
    partner_role = _iri("action-role", "partner")
    for role, code, label, definition in (
        (lead_role, "lead", "Pilote", "L'organisation qui pilote l'action."),
        (partner_role, "partner", "Partenaire", "Une organisation partenaire de l'action."),
    ):
        _concept_describe(graph, role, code, label, definition)
    for action in actions:
        subject = _identified(graph, "action-plan", action.code)
        graph.add((subject, RDF.type, D4W.ActionPlan))
        _texts(graph, subject, D4W.title, action, "title")
        _slug(graph, subject, action.code)
        _texts(graph, subject, D4W.shortDescription, action, "description", action.title)
        _texts(graph, subject, D4W.marketingShortDescription, action, "description", action.title)
        _texts(graph, subject, DCTERMS.description, action, "description")
        nodes = [node for node in action.nodes.all() if node.pk in by_pk]  # public ones
        # Without a start of its own, an action starts with the strategy it serves; its
        # own dates are said apart (dcterms:temporal), for the import.
        start = action.start_date or min(node.strategy.period_start for node in nodes)
        graph.add((subject, D4W.startDate, _datetime(start)))
        if action.end_date:
            graph.add((subject, D4W.endDate, _datetime(action.end_date)))
        _period(graph, subject, action.start_date, action.end_date)
        graph.add((subject, ADMS.status, _iri("action-status", action.status)))
        graph.add((subject, D4W.inOperation, Literal(action.status == ActionStatus.RUNNING)))
        graph.add((subject, D4W.progressStatus, Literal(action.get_status_display())))
        graph.add((subject, D4W.type, Literal(action.type.label if action.type else "Action")))
        graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
        for term in [*action.target_audiences.all(), *record_terms(action)]:
            graph.add((subject, D4W.category, _concept(graph, term)))
        for node in nodes:
            if node.pk in programmes:
                graph.add((subject, D4W.program, programmes[node.pk]))
            top = node
            while top.parent_id is not None:
                top = by_pk[top.parent_id]
            graph.add((subject, D4W.ambition, ambitions[top.pk]))
        involved = [(action.lead, lead_role, "")] if action.lead else []
        involved += [
            (p.organisation, partner_role, p.role_fr or p.role) for p in action.partnerships.all()
        ]
        for organisation, role, text in involved:
            link = _iri("action-plan-profile", f"{action.code}-{organisation.code}")
            graph.add((link, RDF.type, D4W.ActionPlanProfile))
            graph.add((link, D4W.actionPlan, subject))
            graph.add((link, D4W.profile, _profile(graph, organisation, desk)))
            graph.add((link, D4W.role, role))
            graph.add((link, D4W.internalName, Literal(f"{action.code} – {organisation.name}")))
            if text:
                _one_text(graph, link, DCTERMS.description, text)
            graph.add((subject, D4W.actionPlanProfile, link))
        for year, amount in sorted(budgets[action.pk].items()):
            budget = _identified(graph, "annual-budget", f"{action.code}-{year}")
            graph.add((budget, RDF.type, D4W.AnnualBudget))
            graph.add((budget, D4W.budget, Literal(int(amount), datatype=XSD.integer)))
            graph.add((budget, D4W.year, Literal(str(year), datatype=XSD.gYear)))
            graph.add((budget, D4W.internalName, Literal(f"{action.code} {year}")))
            graph.add((subject, D4W.annualBudgetAllocation, budget))


def _event(graph: Graph, event: Event, desk: URIRef) -> None:
    subject = _identified(graph, "event", event.code)
    graph.add((subject, RDF.type, D4W.Event))
    _texts(graph, subject, D4W.title, event, "title")
    _slug(graph, subject, event.code)
    _texts(graph, subject, D4W.shortDescription, event, "description", event.title)
    _texts(graph, subject, DCTERMS.description, event, "description")
    graph.add((subject, D4W.startDate, _datetime(event.start_date, event.start_time)))
    end = _datetime(event.end_date or event.start_date, event.end_time)
    graph.add((subject, D4W.endDate, end))
    graph.add((subject, D4W.endPublicationDate, end))
    graph.add((subject, D4W.location, Literal(event.location or event.country or "—")))
    graph.add((subject, D4W.type, Literal(event.type.label)))
    graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
    graph.add((subject, D4W.category, _concept(graph, event.type)))
    for organiser in event.organisers.all():
        graph.add((subject, D4W.organizer, _profile(graph, organiser, desk)))


def d4wmo_export(*, format: str = "turtle") -> str:
    """The graph as Turtle or JSON-LD."""
    return d4wmo_graph().serialize(format="json-ld" if format == "json-ld" else "turtle")


# -- import ------------------------------------------------------------------------------
#
# Records are matched by their key (dcterms:identifier, the record's code, a level's or a
# node's after its strategy's code and a dash; a profile also by its enterprise number),
# else, in files not written by Pilotage, by their slug. A record is written, through its
# app's services, only when a value differs: a second import of the same file writes
# nothing, logs nothing, moves no revision. A value the file does not say is not known,
# never a removed one. Read in this order, each step finding the records of the earlier
# ones: profiles, persons, their qualified links, events, strategies (predecessors
# first), levels, ambitions and programmes (parents first), action plans with their
# roles, and their annual budgets (checked against the budget lines, never written).
# Ambitions and programmes placed in no strategy (other platforms' files) are skipped, as
# are action plans serving none of the nodes read. Still to read: service places
# (d4w:ServicesPlace), once the registry has them.


class D4wmoError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


class _DryRun(Exception):
    pass


def _text(graph: Graph, subject, predicate) -> str:
    values = list(graph.objects(subject, predicate))
    french = [v for v in values if getattr(v, "language", None) in ("fr", None)]
    return str((french or values or [""])[0]).strip()


def _code(graph: Graph, subject) -> str:
    identifier = _text(graph, subject, DCTERMS.identifier)
    if identifier:
        return identifier
    return slugify(_text(graph, subject, D4W.slug) or str(subject).rsplit("/", 1)[-1])[:100]


def _is_platform(subject) -> bool:
    return str(subject).startswith(_platform())


def _event_type(graph: Graph, subject, event_types: list[Term]) -> Term | None:
    """The event type its category is, else the one its title or type names (a
    "Conférence …" is a conference), else a conference, the most common kind."""
    categories = set(graph.objects(subject, D4W.category))
    for term in event_types:
        if term_uri(term, term.taxonomy) in categories:
            return term
    said = f"{_text(graph, subject, D4W.title)} {_text(graph, subject, D4W.type)}".lower()
    for term in event_types:
        labels = {getattr(term, f"label_{language}", "") for language in ("fr", "en")}
        if any(label and label.lower() in said for label in labels):
            return term
    return next((term for term in event_types if term.code == "conference"), None)


def _labels(term: Term) -> set[str]:
    """A term's labels in every language, to match a label the file gives."""
    return {(getattr(term, f"label_{lang}") or "").casefold() for lang in LANGUAGES} - {""}


def _day(value) -> datetime.date:
    """The day of a date or a moment, as the file writes it (ValueError if none)."""
    return datetime.date.fromisoformat(str(value)[:10])


def _integer(value) -> int | None:
    """A whole number, or None (which the record's validation then refuses)."""
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _time(moment: datetime.datetime) -> datetime.time | None:
    """The time of a moment; midnight is how the export says a day without a time."""
    return moment.time() if moment.time() != datetime.time() else None


# What each field is called in the file, to name it in an error.
_PROPERTIES = {
    "name": "d4w:title",
    "title_fr": "d4w:title",
    "enterprise_number": "d4w:belgianEntreprise",
    "website": "d4w:website",
    "nace_code": "d4w:mainNACECode",
    "description_fr": "dcterms:description",
    "given_name": "d4w:firstName",
    "family_name": "d4w:lastName",
    "email": "d4w:featuredEmail",
    "start_date": "d4w:startDate",
    "end_date": "d4w:endDate",
    "location": "d4w:location",
    "code": "dcterms:identifier",
    "type": "d4w:type",
    "status": "adms:status",
    "lead": "d4w:actionPlanProfile",
}
_STRATEGY_PROPERTIES = {
    "title_fr": "dcterms:title",
    "period_start": "dcterms:temporal",
    "period_end": "dcterms:temporal",
    "owner": "dcterms:publisher",
    "version": "owl:versionInfo",
    "predecessor": "dcterms:replaces",
    "sources": "dcterms:source",
}
_LEVEL_PROPERTIES = {"name_fr": "skos:prefLabel", "depth": "schema:position"}
_NODE_PROPERTIES = {
    "parent": "dcterms:isPartOf",
    "level": "dcterms:type",
    "order": "schema:position",
}


class _Importer:
    def __init__(self, actor, graph: Graph, name: str):
        self.actor, self.graph, self.name = actor, graph, name
        self.problems: list[str] = []
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self._terms: dict | None = None

    def problem(self, subject, prop: str, reason: str) -> None:
        self.problems.append(f"{self.name}: {subject}: {prop}: {reason}")

    def write(self, kind: str, subject, record, values: dict, save, names=None) -> str:
        """Give `record` the values that differ and save it through `save`, or leave it.
        `names` says which property of the file a field comes from, where it differs."""
        adding = record._state.adding
        changes = record_assign(record, values)
        if not adding and not changes:
            self.counts[kind]["unchanged"] += 1
            return "unchanged"
        try:
            save(actor=self.actor, record=record)
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
                prop = {**_PROPERTIES, **(names or {})}.get(field, field or "-")
                self.problem(subject, prop, " ".join(messages))
            return "refused"
        status = "created" if adding else "updated"
        self.counts[kind][status] += 1
        return status

    def subjects(self, kind):
        return sorted(s for s in self.graph.subjects(RDF.type, kind) if not _is_platform(s))

    def profiles(self) -> dict:
        graph, found = self.graph, {}
        for subject in self.subjects(D4W.Profile):
            title = _text(graph, subject, D4W.title)
            if not title:
                self.problem(subject, "d4w:title", gettext("a profile needs a title"))
                continue
            code = _code(graph, subject)
            number = _text(graph, subject, D4W.belgianEntreprise)
            if not any(c.isdigit() for c in number):
                # Digital Wallonia's own files give the legal entity's name here at times:
                # no number to check, nor to keep.
                number = ""
            organisation = Organisation.objects.filter(code=code).first()
            if organisation is None and number:
                with contextlib.suppress(ValidationError):
                    organisation = Organisation.objects.filter(
                        enterprise_number=enterprise_number_normalise(number)
                    ).first()
            described = (subject, DCTERMS.identifier, None) in graph
            values = {
                "name": title,
                # Pilotage's own profiles say their description apart from the stand-in.
                "description_fr": _text(
                    graph, subject, DCTERMS.description if described else D4W.shortDescription
                ),
                "website": _text(graph, subject, D4W.website),
                "nace_code": _text(graph, subject, D4W.mainNACECode),
            }
            if number:  # an absent number is not known, never a removed one
                values["enterprise_number"] = number
            if organisation is None:
                organisation = Organisation(code=code, sources=self.name or "D4WMO-AP import")
            status = self.write(
                "organisations",
                subject,
                organisation,
                values,
                lambda actor, record: organisation_save(actor=actor, organisation=record),
            )
            if status != "refused":
                found[subject] = organisation
                if self.categories(subject, organisation):
                    self.touched("organisations", status)
        return found

    def touched(self, kind: str, status: str) -> None:
        """A record left as it was, but for its links: an update."""
        if status == "unchanged":
            self.counts[kind]["unchanged"] -= 1
            self.counts[kind]["updated"] += 1

    def categories(self, subject, record) -> bool:
        """Give a record the terms its categories are (d4w:category), per taxonomy, through
        the services; concepts that are no term of Pilotage's are not read, a taxonomy the
        file does not name is left. Says whether anything was written."""
        if self._terms is None:
            self._terms = {
                term_uri(term, term.taxonomy): term
                for term in Term.objects.select_related("taxonomy")
            }
        said: dict = defaultdict(set)
        for concept in self.graph.objects(subject, D4W.category):
            if concept in self._terms:
                said[self._terms[concept].taxonomy].add(self._terms[concept])
        if not said:
            return False
        held = defaultdict(set)
        for term in record_terms(record):
            held[term.taxonomy_id].add(term.pk)
        # An action's target audiences are a field of their own, not applied terms.
        audiences = isinstance(record, Action)
        if audiences:
            held[AUDIENCES] = {term.pk for term in record.target_audiences.all()}
        touched = False
        for taxonomy, terms in sorted(said.items(), key=lambda item: item[0].code):
            key = AUDIENCES if audiences and taxonomy.code == AUDIENCES else taxonomy.pk
            if held[key] == {term.pk for term in terms}:
                continue
            if key == AUDIENCES:
                action_target_audiences_set(actor=self.actor, action=record, audiences=terms)
            else:
                record_terms_set(actor=self.actor, record=record, taxonomy=taxonomy, terms=terms)
            touched = True
        return touched

    def persons(self) -> dict:
        graph, found = self.graph, {}
        for subject in self.subjects(D4W.Person):
            first, last = _text(graph, subject, D4W.firstName), _text(graph, subject, D4W.lastName)
            if not (first and last):
                self.problem(
                    subject,
                    "d4w:firstName, d4w:lastName",
                    gettext("a person needs a first and a last name"),
                )
                continue
            code = _code(graph, subject)
            person = Person.objects.filter(code=code).first() or Person(code=code)
            values = {
                "given_name": first,
                "family_name": last,
                "display_refusal": _text(graph, subject, D4W.displayRefusal).lower()
                in ("1", "true"),
            }
            email = _text(graph, subject, D4W.featuredEmail)
            if email:  # Pilotage never publishes one: its absence clears nothing
                values["email"] = email
            status = self.write(
                "persons",
                subject,
                person,
                values,
                lambda actor, record: person_save(actor=actor, person=record),
            )
            if status != "refused":
                found[subject] = person
        return found

    def affiliations(self, profiles: dict, persons: dict) -> None:
        for subject in self.subjects(D4W.QualifiedPerson):
            person = persons.get(self.graph.value(subject, D4W.person))
            organisation = profiles.get(self.graph.value(subject, D4W.profile))
            if not (person and organisation and person.pk and organisation.pk):
                continue
            affiliation = Affiliation.objects.filter(
                person=person, organisation=organisation, kind=AffiliationKind.CONTACT
            ).first() or Affiliation(
                person=person, organisation=organisation, kind=AffiliationKind.CONTACT
            )
            self.write("affiliations", subject, affiliation, {}, record_save)

    def events(self, profiles: dict) -> None:
        graph = self.graph
        event_types = list(
            Term.objects.filter(taxonomy__code="event-types").select_related("taxonomy")
        )
        for subject in self.subjects(D4W.Event):
            start = graph.value(subject, D4W.startDate)
            kind = _event_type(graph, subject, event_types)
            if start is None or kind is None:
                self.problem(
                    subject, "d4w:startDate", gettext("an event needs a start (and event types)")
                )
                continue
            code = _code(graph, subject)
            event = Event.objects.filter(code=code).first() or Event(code=code)
            begins, end = start.toPython(), graph.value(subject, D4W.endDate)
            ends = end.toPython() if end is not None else None
            described = (subject, DCTERMS.identifier, None) in graph
            location = _text(graph, subject, D4W.location)
            values = {
                "title_fr": _text(graph, subject, D4W.title),
                "description_fr": _text(
                    graph, subject, DCTERMS.description if described else D4W.shortDescription
                ),
                "start_date": begins.date(),
                "start_time": _time(begins),
                "end_time": _time(ends) if ends else None,
                "location": "" if location == "—" else location,
                "type": kind,
            }
            # The export says a missing end as the start's day: the same end either way.
            if ends is None or ends.date() != (event.end_date or event.start_date):
                values["end_date"] = ends.date() if ends else None
            status = self.write("events", subject, event, values, record_save)
            if status == "refused":
                continue
            organisers = [
                profiles[o] for o in graph.objects(subject, D4W.organizer) if o in profiles
            ]
            before = {o.pk for o in event.organisers.all()}
            event_organisers_set(actor=self.actor, event=event, organisers=organisers)
            if before != {o.pk for o in organisers}:
                self.touched("events", status)

    def choice(self, subject, predicate, prop: str, kind: str, choices) -> str | None:
        """The status a concept of ours stands for; None when the file says none."""
        concept = self.graph.value(subject, predicate)
        if concept is None:
            return None
        for value in choices.values:
            if concept == _iri(kind, value):
                return value
        self.problem(subject, prop, gettext("not one of the statuses Pilotage knows"))
        return None

    def period(self, subject) -> tuple | None:
        """(start, end) of its dcterms:temporal, or None when it has none."""
        period = self.graph.value(subject, DCTERMS.temporal)
        if period is None:
            return None
        days = []
        for predicate in (DCAT.startDate, DCAT.endDate):
            value = self.graph.value(period, predicate)
            try:
                days.append(_day(value) if value is not None else None)
            except ValueError:
                self.problem(subject, "dcterms:temporal", gettext("not a date: %s") % value)
                return None
        return tuple(days)

    def strategies(self, profiles: dict) -> dict:
        """Strategies (prov:Plan), predecessors first, so each can point at its own."""
        graph, found = self.graph, {}
        plans = self.subjects(PROV.Plan)
        ordered: list = []

        def place(subject, seen) -> None:
            replaced = graph.value(subject, DCTERMS.replaces)
            if replaced in plans and replaced not in seen and replaced not in ordered:
                place(replaced, seen | {subject})
            if subject not in ordered:
                ordered.append(subject)

        for subject in plans:
            place(subject, {subject})
        for subject in ordered:
            owner = profiles.get(graph.value(subject, DCTERMS.publisher))
            period = self.period(subject)
            if owner is None or not (period and period[0]):
                self.problem(
                    subject,
                    "dcterms:publisher, dcterms:temporal",
                    gettext("a strategy needs its owner's profile and a start"),
                )
                continue
            code = _code(graph, subject)
            strategy = Strategy.objects.filter(code=code).first() or Strategy(
                code=code, sources=self.name or "D4WMO-AP import"
            )
            values = {
                "title_fr": _text(graph, subject, DCTERMS.title),
                "description_fr": _text(graph, subject, DCTERMS.description),
                "period_start": period[0],
                "period_end": period[1],
                "owner": owner,
            }
            # Absent, a version, status or source is not known, never a removed one.
            for field, predicate in (("version", OWL.versionInfo), ("sources", DCTERMS.source)):
                if _text(graph, subject, predicate):
                    values[field] = _text(graph, subject, predicate)
            status = self.choice(
                subject, ADMS.status, "adms:status", "strategy-status", StrategyStatus
            )
            if status:
                values["status"] = status
            replaced = graph.value(subject, DCTERMS.replaces)
            if replaced in found:
                values["predecessor"] = found[replaced]
            elif replaced is not None:
                if replaced not in plans:  # else refused, and said so already
                    self.problem(
                        subject, "dcterms:replaces", gettext("not a strategy of this file")
                    )
                continue
            elif (
                strategy.predecessor is None or strategy.predecessor.status != StrategyStatus.DRAFT
            ):
                # A draft predecessor is never published: its absence removes nothing.
                values["predecessor"] = None
            status = self.write(
                "strategies",
                subject,
                strategy,
                values,
                lambda actor, record: strategy_save(actor=actor, strategy=record),
                names=_STRATEGY_PROPERTIES,
            )
            if status != "refused":
                found[subject] = strategy
        return found

    def levels(self, strategies: dict) -> dict:
        """Levels of the strategies read: concepts part of one, ranked by depth."""
        graph, found = self.graph, {}
        for subject in self.subjects(SKOS.Concept):
            strategy = strategies.get(graph.value(subject, DCTERMS.isPartOf))
            if strategy is None:  # a category, or a level of a strategy refused already
                continue
            code = _code(graph, subject).removeprefix(f"{strategy.code}-")
            level = StrategyLevel.objects.filter(
                strategy=strategy, code=code
            ).first() or StrategyLevel(strategy=strategy, code=code)
            values = {
                "name_fr": _text(graph, subject, SKOS.prefLabel),
                "depth": _integer(graph.value(subject, SCHEMA.position)),
            }
            status = self.write(
                "levels",
                subject,
                level,
                values,
                lambda actor, record: level_save(actor=actor, level=record),
                names=_LEVEL_PROPERTIES,
            )
            if status != "refused":
                found[subject] = level
        return found

    def nodes(self, strategies: dict, levels: dict) -> dict:
        """Ambitions and programmes placed in a strategy read (dcterms:isPartOf), parents
        first; those of files that place them in none are not Pilotage's to hold."""
        graph, found = self.graph, {}
        placed = []
        for kind, type_ in (("ambitions", D4W.Ambition), ("programmes", D4W.Program)):
            for subject in self.subjects(type_):
                depth, within = 0, graph.value(subject, DCTERMS.isPartOf)
                if within is None:
                    self.counts[kind]["skipped"] += 1
                    continue
                seen = {subject}
                while within is not None and within not in seen and within not in strategies:
                    depth, within = depth + 1, graph.value(within, DCTERMS.isPartOf)
                    seen.add(within)
                placed.append((depth, subject, kind))
        for _depth, subject, kind in sorted(placed):
            within = graph.value(subject, DCTERMS.isPartOf)
            parent = found.get(within)
            strategy = parent.strategy if parent else strategies.get(within)
            level = levels.get(graph.value(subject, DCTERMS.type))
            if strategy is None or level is None:
                self.problem(
                    subject,
                    "dcterms:isPartOf, dcterms:type",
                    gettext("not part of a strategy, ambition or programme read, at a level"),
                )
                continue
            code = _code(graph, subject).removeprefix(f"{strategy.code}-")
            node = StrategyNode.objects.filter(
                strategy=strategy, code=code
            ).first() or StrategyNode(strategy=strategy, code=code)
            values = {
                "title_fr": _text(graph, subject, D4W.title),
                "description_fr": _text(graph, subject, DCTERMS.description),
                "parent": parent,
                "level": level,
            }
            if (subject, SCHEMA.position, None) in graph:
                values["order"] = _integer(graph.value(subject, SCHEMA.position))
            status = self.write(
                kind,
                subject,
                node,
                values,
                lambda actor, record: node_save(actor=actor, node=record),
                names=_NODE_PROPERTIES,
            )
            if status != "refused":
                found[subject] = node
        return found

    def served(self, plan, nodes: dict) -> list[StrategyNode]:
        """The nodes an action plan serves: its programmes, and its ambitions but those it
        serves through one of its programmes (the export names both)."""
        graph = self.graph
        programmes = sorted(graph.objects(plan, D4W.program))
        masters = {graph.value(programme, D4W.masterAmbition) for programme in programmes}
        ambitions = sorted(a for a in graph.objects(plan, D4W.ambition) if a not in masters)
        return [nodes[s] for s in programmes + ambitions if s in nodes]

    def action_plans(self, profiles: dict, strategies: dict, nodes: dict) -> None:
        """Action plans matched by identifier: texts, type, status, dates, nodes, lead and
        partners. Their annual budgets are checked against the budget lines, never
        written (a budget is kept by line, source and flow)."""
        graph = self.graph
        lead, partner = _iri("action-role", "lead"), _iri("action-role", "partner")
        budgets = _annual_budgets()
        types = list(Term.objects.filter(taxonomy__code="action-types"))
        read = {strategy.pk for strategy in strategies.values()}
        for subject in self.subjects(D4W.ActionPlan):
            code = _code(graph, subject)
            action = Action.objects.filter(code=code).first()
            served = self.served(subject, nodes)
            if action is None and not served:
                self.counts["action plans"]["skipped"] += 1  # it would serve no strategy
                continue
            action = action or Action(code=code)
            roles: dict = {lead: [], partner: []}
            for link in sorted(graph.objects(subject, D4W.actionPlanProfile)):
                organisation = profiles.get(graph.value(link, D4W.profile))
                role = graph.value(link, D4W.role)
                if organisation is None or role not in roles:
                    self.problem(
                        link, "d4w:profile, d4w:role", gettext("not a known profile and role")
                    )
                    continue
                roles[role].append((organisation, _text(graph, link, DCTERMS.description)))
            if len(roles[lead]) > 1:
                self.problem(subject, "d4w:actionPlanProfile", gettext("more than one lead"))
                continue
            values = {
                "title_fr": _text(graph, subject, D4W.title),
                "description_fr": _text(graph, subject, DCTERMS.description),
                "lead": roles[lead][0][0] if roles[lead] else None,
                **self.action_values(subject, served, types),
            }
            status = self.write(
                "action plans",
                subject,
                action,
                values,
                lambda actor, record: action_save(actor=actor, action=record),
            )
            if status == "refused":
                continue
            # Nodes of strategies the file does not hold (drafts, or files of others) stay.
            kept = [node for node in action.nodes.all() if node.strategy_id not in read]
            wanted = {node.pk: node for node in served + kept}
            placed = {node.pk for node in action.nodes.all()} != set(wanted)
            if placed:
                action_nodes_set(actor=self.actor, action=action, nodes=wanted.values())
            held = {p.organisation_id: p.role for p in action.partnerships.all()}
            # A role the file does not say is not known, never a removed one.
            partners = [(o, text or held.get(o.pk, "")) for o, text in roles[partner]]
            partnered = held != {o.pk: text for o, text in partners}
            if partnered:
                action_partners_set(actor=self.actor, action=action, partners=partners)
            if self.categories(subject, action) or placed or partnered:
                self.touched("action plans", status)
            links = len(roles[lead]) + len(roles[partner])
            if links:
                said = "created" if status == "created" else "updated" if partnered else "unchanged"
                self.counts["roles"][said] += links
            self.annual_budgets(subject, budgets.get(action.pk, {}))

    def action_values(self, plan, served: list[StrategyNode], types: list[Term]) -> dict:
        """An action plan's type, status and dates, as far as the file says them."""
        graph, values = self.graph, {}
        said = _text(graph, plan, D4W.type).casefold()
        term = next((term for term in types if said in _labels(term)), None)
        if term is not None or said == "action":  # "Action": what the export says of none
            values["type"] = term
        status = self.choice(plan, ADMS.status, "adms:status", "action-status", ActionStatus)
        if status:
            values["status"] = status
        period = self.period(plan)
        if period is not None:
            values["start_date"], values["end_date"] = period
            return values
        # A file without Pilotage's own dates: a start equal to the earliest one of its
        # strategies is the export's stand-in for none.
        try:
            start, end = (
                _day(value) if value is not None else None
                for value in (graph.value(plan, D4W.startDate), graph.value(plan, D4W.endDate))
            )
        except ValueError:
            self.problem(plan, "d4w:startDate, d4w:endDate", gettext("not a date"))
            return values
        earliest = min((node.strategy.period_start for node in served), default=None)
        values["start_date"] = None if start == earliest else start
        values["end_date"] = end
        return values

    def annual_budgets(self, plan, stored: dict[int, Decimal]) -> None:
        said = {}
        for budget in self.graph.objects(plan, D4W.annualBudgetAllocation):
            year, amount = self.graph.value(budget, D4W.year), self.graph.value(budget, D4W.budget)
            try:
                said[int(str(year)[:4])] = int(str(amount))
            except (TypeError, ValueError):
                self.problem(budget, "d4w:year, d4w:budget", gettext("a year and an amount needed"))
        if not stored:
            # A budget line needs its source and flow, which the file does not carry:
            # an action without lines gets none from its annual budgets.
            if said:
                self.counts["annual budgets"]["skipped"] += len(said)
            return
        if said != {year: int(amount) for year, amount in stored.items()}:
            self.problem(
                plan,
                "d4w:annualBudgetAllocation",
                gettext(
                    "differs from the action's budget lines: budgets are changed by line, "
                    "source and flow, not through this import"
                ),
            )
            return
        self.counts["annual budgets"]["unchanged"] += len(said)


def d4wmo_import(
    *, actor, content: bytes, format: str = "turtle", name: str = "", dry_run: bool = False
) -> dict[str, dict[str, int]]:
    """Import a D4WMO-AP file (see the comment above `D4wmoError`), matched by
    identifiers, through the apps' services; all or nothing. Returns, per kind, how many
    were created, updated, left unchanged or skipped (what would be, in a dry run)."""
    require(can_create_organisation(actor), gettext("Only steering staff import D4WMO-AP files."))
    graph = Graph()
    try:
        graph.parse(data=content, format="json-ld" if format == "json-ld" else "turtle")
    except Exception as error:  # rdflib raises many kinds of parse errors
        raise D4wmoError([f"{name}: not readable as {format}: {error}"]) from error
    importer = _Importer(actor, graph, name)
    try:
        # The file's texts are French: a text the services set without a language (a
        # partner's role) is French too, whatever language the caller runs in.
        with transaction.atomic(), translation.override("fr"):
            profiles = importer.profiles()
            persons = importer.persons()
            importer.affiliations(profiles, persons)
            importer.events(profiles)
            strategies = importer.strategies(profiles)
            nodes = importer.nodes(strategies, importer.levels(strategies))
            importer.action_plans(profiles, strategies, nodes)
            # Service places (d4w:ServicesPlace) are read here once the registry has them.
            if importer.problems:
                raise D4wmoError(importer.problems)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return {kind: dict(counts) for kind, counts in importer.counts.items()}
