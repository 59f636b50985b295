"""Pilotage's public records as one D4WMO-AP graph (see the package's docstring)."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.utils import translation
from django.utils.text import slugify
from rdflib import DCTERMS, RDF, XSD, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, OWL, PROV

from pilotage.opendata.d4wmo.vocabulary import (
    ADMS,
    CLIENT_SITE,
    D4W,
    SCHEMA,
    SKOS,
    _annual_budgets,
    _iri,
    _platform,
)
from pilotage.registry.models import (
    Event,
    Organisation,
    Person,
)
from pilotage.strategies.models import (
    Action,
    ActionStatus,
    Strategy,
    StrategyNode,
    StrategyStatus,
)
from pilotage.strategies.selectors import public_nodes_prefetch
from pilotage.taxonomies.models import Term
from pilotage.taxonomies.selectors import record_terms
from pilotage.taxonomies.skos import term_uri


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
        StrategyNode.objects.public()
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


def _action_plans(graph, desk, by_pk, ambitions, programmes) -> None:
    actions = (
        Action.objects.public()
        .select_related("type", "lead")
        .prefetch_related(
            public_nodes_prefetch(), "partnerships__organisation", "target_audiences__taxonomy"
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
