"""Data4Wallonia interoperability: Pilotage's public records in the D4WMO-AP model
(Digital Wallonia's data model, standards/d4wmo-ap-asis-1.0.0/), and back.

Exported: the top nodes of public strategies as d4w:Ambition, the nodes below as
d4w:Program, public actions as d4w:ActionPlan with their organisations' roles
(d4w:ActionPlanProfile) and annual budgets (d4w:AnnualBudget), organisations as
d4w:Profile, events as d4w:Event, and persons as d4w:Person only when they agreed to be
shown. Never an e-mail address of a person: where the profile asks for a contact
(d4w:plateformContactPerson), it is the platform's own desk (PILOTAGE_CONTACT_EMAIL).

Imported: profiles, persons, their qualified links to profiles, and events (Digital
Wallonia's own example file imports, and its records export again with the same facts).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils.text import slugify
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef

from pilotage.budgets.models import BudgetLine
from pilotage.core.audit import acting_as
from pilotage.core.permissions import require
from pilotage.registry.models import (
    Affiliation,
    AffiliationKind,
    Event,
    Organisation,
    Person,
)
from pilotage.registry.permissions import can_create_organisation
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
from pilotage.taxonomies.models import Term
from pilotage.taxonomies.selectors import record_terms
from pilotage.taxonomies.skos import term_uri

D4W = Namespace("http://data4wallonia.com/resource/model/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
CLIENT_SITE = "Pilotage"


def _base() -> str:
    return f"{settings.PILOTAGE_BASE_URI}d4w/"


def _iri(kind: str, code: str) -> URIRef:
    return URIRef(f"{_base()}{kind}/{slugify(code) or 'x'}")


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
    desk = _iri("qualified-person", "pilotage-desk")
    person = _iri("person", "pilotage-desk")
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
    platform = _iri("profile", "pilotage-platform")
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
    graph.add((subject, RDF.type, D4W.Profile))
    _one_text(graph, subject, D4W.title, organisation.name)
    _slug(graph, subject, organisation.code)
    _texts(graph, subject, D4W.shortDescription, organisation, "description", organisation.name)
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


def _ambition(graph: Graph, node: StrategyNode) -> URIRef:
    subject = _iri("ambition", f"{node.strategy.code}-{node.code}")
    graph.add((subject, RDF.type, D4W.Ambition))
    _texts(graph, subject, D4W.title, node, "title")
    _slug(graph, subject, node.strategy.code, node.code)
    _texts(graph, subject, D4W.shortDescription, node, "description", node.title)
    graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
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
    desk = _contact_desk(graph)
    nodes = list(
        StrategyNode.objects.filter(strategy__in=Strategy.objects.public())
        .select_related("strategy", "level")
        .order_by("strategy__code", "level__depth", "order")
    )
    by_pk = {node.pk: node for node in nodes}
    ambitions, programmes = {}, {}
    for node in nodes:
        if node.parent_id is None:
            ambitions[node.pk] = _ambition(graph, node)
    for node in nodes:
        if node.parent_id is None:
            continue
        top = node
        while top.parent_id is not None:
            top = by_pk[top.parent_id]
        subject = _iri("program", f"{node.strategy.code}-{node.code}")
        programmes[node.pk] = subject
        graph.add((subject, RDF.type, D4W.Program))
        _texts(graph, subject, D4W.title, node, "title")
        _slug(graph, subject, node.strategy.code, node.code)
        _texts(graph, subject, D4W.shortDescription, node, "description", node.title)
        graph.add((subject, D4W.masterAmbition, ambitions[top.pk]))
        graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
    _action_plans(graph, desk, by_pk, ambitions, programmes)
    for organisation in Organisation.objects.all().order_by("code"):
        _profile(graph, organisation, desk)
    for event in Event.objects.select_related("type").prefetch_related("organisers"):
        _event(graph, event, desk)
    for person in Person.objects.filter(display_refusal=False).order_by("code"):
        subject = _iri("person", person.code)
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
        Action.objects.filter(pk__in=public_actions().values("pk"))
        .select_related("type", "lead")
        .prefetch_related("nodes__strategy", "partnerships__organisation")
        .order_by("code")
    )
    budgets: dict[int, dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for action_id, year, amount in (
        BudgetLine.objects.parts()
        .filter(action__isnull=False, year__isnull=False, flow="planned")
        .values_list("action_id", "year", "amount")
    ):
        budgets[action_id][year] += amount
    lead_role = _iri("action-role", "lead")
    partner_role = _iri("action-role", "partner")
    for role, code, label, definition in (
        (lead_role, "lead", "Pilote", "L'organisation qui pilote l'action."),
        (partner_role, "partner", "Partenaire", "Une organisation partenaire de l'action."),
    ):
        _concept_describe(graph, role, code, label, definition)
    for action in actions:
        subject = _iri("action-plan", action.code)
        graph.add((subject, RDF.type, D4W.ActionPlan))
        _texts(graph, subject, D4W.title, action, "title")
        _slug(graph, subject, action.code)
        _texts(graph, subject, D4W.shortDescription, action, "description", action.title)
        _texts(graph, subject, D4W.marketingShortDescription, action, "description", action.title)
        nodes = list(action.nodes.all())
        # Without a start of its own, an action starts with the strategy it serves.
        start = action.start_date or min(node.strategy.period_start for node in nodes)
        graph.add((subject, D4W.startDate, _datetime(start)))
        if action.end_date:
            graph.add((subject, D4W.endDate, _datetime(action.end_date)))
        graph.add((subject, D4W.inOperation, Literal(action.status == ActionStatus.RUNNING)))
        graph.add((subject, D4W.progressStatus, Literal(action.get_status_display())))
        graph.add((subject, D4W.type, Literal(action.type.label if action.type else "Action")))
        graph.add((subject, D4W.clientSite, Literal(CLIENT_SITE)))
        for node in nodes:
            if node.pk in programmes:
                graph.add((subject, D4W.program, programmes[node.pk]))
            top = node
            while top.parent_id is not None:
                top = by_pk[top.parent_id]
            graph.add((subject, D4W.ambition, ambitions[top.pk]))
        involved = [(action.lead, lead_role)] if action.lead else []
        involved += [(p.organisation, partner_role) for p in action.partnerships.all()]
        for organisation, role in involved:
            link = _iri("action-plan-profile", f"{action.code}-{organisation.code}")
            graph.add((link, RDF.type, D4W.ActionPlanProfile))
            graph.add((link, D4W.actionPlan, subject))
            graph.add((link, D4W.profile, _profile(graph, organisation, desk)))
            graph.add((link, D4W.role, role))
            graph.add((link, D4W.internalName, Literal(f"{action.code} – {organisation.name}")))
            graph.add((subject, D4W.actionPlanProfile, link))
        for year, amount in sorted(budgets[action.pk].items()):
            budget = _iri("annual-budget", f"{action.code}-{year}")
            graph.add((budget, RDF.type, D4W.AnnualBudget))
            graph.add((budget, D4W.budget, Literal(int(amount), datatype=XSD.integer)))
            graph.add((budget, D4W.year, Literal(str(year), datatype=XSD.gYear)))
            graph.add((budget, D4W.internalName, Literal(f"{action.code} {year}")))
            graph.add((subject, D4W.annualBudgetAllocation, budget))


def _event(graph: Graph, event: Event, desk: URIRef) -> None:
    subject = _iri("event", event.code)
    graph.add((subject, RDF.type, D4W.Event))
    _texts(graph, subject, D4W.title, event, "title")
    _slug(graph, subject, event.code)
    _texts(graph, subject, D4W.shortDescription, event, "description", event.title)
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


class D4wmoError(ValueError):
    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def _text(graph: Graph, subject, predicate) -> str:
    values = list(graph.objects(subject, predicate))
    french = [v for v in values if getattr(v, "language", None) in ("fr", None)]
    return str((french or values or [""])[0]).strip()


def _code(graph: Graph, subject) -> str:
    return slugify(_text(graph, subject, D4W.slug) or str(subject).rsplit("/", 1)[-1])[:100]


def _event_type(graph: Graph, subject, event_types: list[Term]) -> Term | None:
    """The event type its title or type names (a "Conférence …" is a conference), else
    a conference, the most common kind."""
    said = f"{_text(graph, subject, D4W.title)} {_text(graph, subject, D4W.type)}".lower()
    for term in event_types:
        labels = {getattr(term, f"label_{language}", "") for language in ("fr", "en")}
        if any(label and label.lower() in said for label in labels):
            return term
    return next((term for term in event_types if term.code == "conference"), None)


@transaction.atomic
def d4wmo_import(*, actor, content: bytes, format: str = "turtle", name: str = "") -> dict:
    """Import profiles, persons, their qualified links and events; all or nothing."""
    require(can_create_organisation(actor), "Only steering staff import D4WMO-AP files.")
    graph = Graph()
    try:
        graph.parse(data=content, format="json-ld" if format == "json-ld" else "turtle")
    except Exception as error:  # rdflib raises many kinds of parse errors
        raise D4wmoError([f"{name}: not readable as {format}: {error}"]) from error
    problems: list[str] = []
    counts: dict[str, int] = defaultdict(int)
    profiles: dict[URIRef, Organisation] = {}
    persons: dict[URIRef, Person] = {}
    with acting_as(actor):
        for subject in sorted(graph.subjects(RDF.type, D4W.Profile)):
            title = _text(graph, subject, D4W.title)
            if not title:
                problems.append(f"{name}: profile {subject}: no d4w:title")
                continue
            organisation, created = Organisation.objects.update_or_create(
                code=_code(graph, subject),
                defaults={
                    "name": title,
                    "description_fr": _text(graph, subject, D4W.shortDescription),
                    "website": _text(graph, subject, D4W.website),
                    "nace_code": _text(graph, subject, D4W.mainNACECode)[:8],
                    "sources": name or "D4WMO-AP import",
                },
            )
            profiles[subject] = organisation
            counts["organisations created" if created else "organisations updated"] += 1
        for subject in sorted(graph.subjects(RDF.type, D4W.Person)):
            first, last = _text(graph, subject, D4W.firstName), _text(graph, subject, D4W.lastName)
            if not (first and last):
                problems.append(f"{name}: person {subject}: d4w:firstName and d4w:lastName needed")
                continue
            refusal = _text(graph, subject, D4W.displayRefusal).lower() in ("1", "true")
            person, created = Person.objects.update_or_create(
                code=_code(graph, subject),
                defaults={
                    "given_name": first,
                    "family_name": last,
                    "email": _text(graph, subject, D4W.featuredEmail),
                    "display_refusal": refusal,
                },
            )
            persons[subject] = person
            counts["persons created" if created else "persons updated"] += 1
        for subject in graph.subjects(RDF.type, D4W.QualifiedPerson):
            person = persons.get(graph.value(subject, D4W.person))
            organisation = profiles.get(graph.value(subject, D4W.profile))
            if person and organisation:
                Affiliation.objects.get_or_create(
                    person=person, organisation=organisation, kind=AffiliationKind.CONTACT
                )
                counts["affiliations"] += 1
        event_types = list(Term.objects.filter(taxonomy__code="event-types"))
        for subject in sorted(graph.subjects(RDF.type, D4W.Event)):
            start = graph.value(subject, D4W.startDate)
            kind = _event_type(graph, subject, event_types)
            if start is None or kind is None:
                problems.append(f"{name}: event {subject}: no d4w:startDate or no event types")
                continue
            end = graph.value(subject, D4W.endDate)
            event, created = Event.objects.update_or_create(
                code=_code(graph, subject),
                defaults={
                    "title_fr": _text(graph, subject, D4W.title),
                    "description_fr": _text(graph, subject, D4W.shortDescription),
                    "start_date": start.toPython().date(),
                    "start_time": start.toPython().time() or None,
                    "end_date": end.toPython().date() if end is not None else None,
                    "end_time": end.toPython().time() if end is not None else None,
                    "location": _text(graph, subject, D4W.location)[:300],
                    "type": kind,
                },
            )
            event.organisers.set(
                [profiles[o] for o in graph.objects(subject, D4W.organizer) if o in profiles]
            )
            counts["events created" if created else "events updated"] += 1
    if problems:
        raise D4wmoError(problems)
    return dict(counts)
