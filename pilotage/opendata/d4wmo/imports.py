"""A D4WMO-AP file read into Pilotage through the apps' services (see the package's docstring)."""

from __future__ import annotations

import contextlib
import datetime
from collections import defaultdict
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.text import slugify
from django.utils.translation import gettext
from rdflib import DCTERMS, RDF, Graph
from rdflib.namespace import DCAT, OWL, PROV

from pilotage.core.datafiles import LANGUAGES, record_assign
from pilotage.core.permissions import require
from pilotage.opendata.d4wmo.vocabulary import (
    ADMS,
    AUDIENCES,
    D4W,
    SCHEMA,
    SKOS,
    _annual_budgets,
    _iri,
    _platform,
)
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
