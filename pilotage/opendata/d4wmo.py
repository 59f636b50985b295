"""Data4Wallonia interoperability: Pilotage's public records in the D4WMO-AP model
(Digital Wallonia's data model, standards/d4wmo-ap-asis-1.0.0/), and back.

Exported: the top nodes of public strategies as d4w:Ambition, the nodes below as
d4w:Program, public actions as d4w:ActionPlan with their organisations' roles
(d4w:ActionPlanProfile) and annual budgets (d4w:AnnualBudget), organisations as
d4w:Profile, events as d4w:Event, and persons as d4w:Person only when they agreed to be
shown. Never an e-mail address of a person: where the profile asks for a contact
(d4w:plateformContactPerson), it is the platform's own desk (PILOTAGE_CONTACT_EMAIL).

Imported: profiles, persons, their qualified links to profiles, and events, matched by
their identifiers and written through the registry's services (Digital Wallonia's own
example file imports, and its records export again with the same facts; Pilotage's own
export imports again changing nothing).
"""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext
from rdflib import DCTERMS, RDF, XSD, Graph, Literal, Namespace, URIRef

from pilotage.budgets.selectors import budget_lines
from pilotage.core.datafiles import record_assign
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
from pilotage.strategies.models import Action, ActionStatus, Strategy, StrategyNode
from pilotage.strategies.services import action_partners_set, action_save
from pilotage.taxonomies.models import Term
from pilotage.taxonomies.selectors import record_terms
from pilotage.taxonomies.skos import term_uri

D4W = Namespace("http://data4wallonia.com/resource/model/")
SKOS = Namespace("http://www.w3.org/2004/02/skos/core#")
CLIENT_SITE = "Pilotage"


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


def _ambition(graph: Graph, node: StrategyNode) -> URIRef:
    subject = _identified(graph, "ambition", f"{node.strategy.code}-{node.code}")
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
        subject = _identified(graph, "program", f"{node.strategy.code}-{node.code}")
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
        .prefetch_related("nodes__strategy", "partnerships__organisation")
        .order_by("code")
    )
    budgets = _annual_budgets()
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
# Records are matched by the key the registry uses (dcterms:identifier, the record's code;
# a profile also by its enterprise number), else, in files not written by Pilotage, by
# their slug. A record is written, through the registry's services, only when a value
# differs: a second import of the same file writes nothing, logs nothing, moves no
# revision. Still to read (issue 14): ambitions, programmes, action plans with their roles
# and annual budgets; service places (d4w:ServicesPlace) once the registry has them.


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
}


class _Importer:
    def __init__(self, actor, graph: Graph, name: str):
        self.actor, self.graph, self.name = actor, graph, name
        self.problems: list[str] = []
        self.counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))

    def problem(self, subject, prop: str, reason: str) -> None:
        self.problems.append(f"{self.name}: {subject}: {prop}: {reason}")

    def write(self, kind: str, subject, record, values: dict, save) -> str:
        """Give `record` the values that differ and save it through `save`, or leave it."""
        adding = record._state.adding
        changes = record_assign(record, values)
        if not adding and not changes:
            self.counts[kind]["unchanged"] += 1
            return "unchanged"
        try:
            save(actor=self.actor, record=record)
        except ValidationError as error:
            for field, messages in getattr(error, "message_dict", {"": error.messages}).items():
                prop = _PROPERTIES.get(field, field or "-")
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
        return found

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
            if status == "unchanged" and before != {o.pk for o in organisers}:
                self.counts["events"]["unchanged"] -= 1
                self.counts["events"]["updated"] += 1

    def action_plans(self, profiles: dict) -> None:
        """Action plans Pilotage already holds, matched by identifier: their texts, lead
        and partners. Their annual budgets are checked against the budget lines, never
        written (a budget is kept by line, source and flow). Creating an action, with
        the strategies, levels and nodes it serves, is still to come (issue 14)."""
        graph = self.graph
        lead, partner = _iri("action-role", "lead"), _iri("action-role", "partner")
        budgets = _annual_budgets()
        for subject in self.subjects(D4W.ActionPlan):
            action = Action.objects.filter(code=_code(graph, subject)).first()
            if action is None:
                self.counts["action plans"]["skipped"] += 1
                continue
            roles: dict = {lead: [], partner: []}
            for link in graph.objects(subject, D4W.actionPlanProfile):
                organisation = profiles.get(graph.value(link, D4W.profile))
                role = graph.value(link, D4W.role)
                if organisation is None or role not in roles:
                    self.problem(
                        link, "d4w:profile, d4w:role", gettext("not a known profile and role")
                    )
                    continue
                roles[role].append(organisation)
            if len(roles[lead]) > 1:
                self.problem(subject, "d4w:actionPlanProfile", gettext("more than one lead"))
                continue
            values = {
                "title_fr": _text(graph, subject, D4W.title),
                "description_fr": _text(graph, subject, DCTERMS.description),
                "lead": roles[lead][0] if roles[lead] else None,
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
            kept = {p.organisation_id: p.role for p in action.partnerships.all()}
            if set(kept) != {o.pk for o in roles[partner]}:
                action_partners_set(
                    actor=self.actor,
                    action=action,
                    partners=[(o, kept.get(o.pk, "")) for o in roles[partner]],
                )
                if status == "unchanged":
                    self.counts["action plans"]["unchanged"] -= 1
                    self.counts["action plans"]["updated"] += 1
            self.counts["roles"]["unchanged"] += len(roles[lead]) + len(roles[partner])
            self.annual_budgets(subject, budgets.get(action.pk, {}))

    def annual_budgets(self, plan, stored: dict[int, Decimal]) -> None:
        said = {}
        for budget in self.graph.objects(plan, D4W.annualBudgetAllocation):
            year, amount = self.graph.value(budget, D4W.year), self.graph.value(budget, D4W.budget)
            try:
                said[int(str(year)[:4])] = int(str(amount))
            except (TypeError, ValueError):
                self.problem(budget, "d4w:year, d4w:budget", gettext("a year and an amount needed"))
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
    """Import profiles, persons, their qualified links and events, matched by their
    identifiers, through the registry's services; all or nothing. Returns, per kind, how
    many were created, updated and left unchanged (what would be, in a dry run)."""
    require(can_create_organisation(actor), gettext("Only steering staff import D4WMO-AP files."))
    graph = Graph()
    try:
        graph.parse(data=content, format="json-ld" if format == "json-ld" else "turtle")
    except Exception as error:  # rdflib raises many kinds of parse errors
        raise D4wmoError([f"{name}: not readable as {format}: {error}"]) from error
    importer = _Importer(actor, graph, name)
    try:
        with transaction.atomic():
            profiles = importer.profiles()
            persons = importer.persons()
            importer.affiliations(profiles, persons)
            importer.events(profiles)
            importer.action_plans(profiles)
            # Service places (d4w:ServicesPlace) are read here once the registry has them.
            if importer.problems:
                raise D4wmoError(importer.problems)
            if dry_run:
                raise _DryRun
    except _DryRun:
        pass
    return {kind: dict(counts) for kind, counts in importer.counts.items()}
