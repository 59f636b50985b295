"""SKOS import and export of taxonomies, following the D4WTA-AP profile.

Two export profiles:
- "d4wta": what D4WTA-AP accepts. Its rule R1 allows preferred labels in French and
  English only, so Dutch and German preferred labels are left out; and since its shapes
  require every euvoc:status value to be a described skos:Concept, the statuses are
  described too: as the imported file described them, or from `concept_status.yaml`.
- "full": every language Pilotage holds, nothing added.

A taxonomy imported from a file is given back as the file stated it: every property the
D4WTA-AP shapes allow is kept (those without a column of their own, such as a concept's
dct:title or skos:altLabel, in `extras` with their language or datatype), texts exactly
as published, and nothing the file left out (a default identifier or version, a top
concept link) is added. A taxonomy made in Pilotage gets those defaults.

What the file says of other things (the statuses' descriptions, a header) is kept with
its schemes and given back too. Import refuses what it could not keep (a property the
profile does not allow on a concept or scheme, a language Pilotage does not speak, two
broader terms) rather than dropping it silently, and names the line of a syntax error.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from rdflib import RDF, XSD, BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.util import guess_format

from pilotage.core.datafiles import LANGUAGES, DataError, DataFileError
from pilotage.core.i18n import translated_value_map
from pilotage.taxonomies.loaders import taxonomy_check
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.schemas import PublishedSchemeData, PublishedTermData

EUVOC = Namespace("http://publications.europa.eu/ontology/euvoc#")
STATUS = Namespace("http://publications.europa.eu/resource/authority/concept-status/")
D4WTA_LANGUAGES = ("fr", "en")
FORMATS = {"turtle": "turtle", "ttl": "turtle", "json-ld": "json-ld", "jsonld": "json-ld"}

# Properties the D4WTA-AP shapes allow that have no column: kept in `extras` as published.
SCHEME_MORE = {DCTERMS.issued, DCTERMS.replaces, DCTERMS.isReplacedBy}
CONCEPT_MORE = {DCTERMS.title, SKOS.altLabel, DCTERMS.replaces, DCTERMS.isReplacedBy}
SCHEME_PREDICATES = {
    RDF.type,
    DCTERMS.identifier,
    DCTERMS.title,
    SKOS.prefLabel,
    SKOS.definition,
    OWL.versionInfo,
    DCTERMS.created,
    DCTERMS.modified,
    SKOS.hasTopConcept,
} | SCHEME_MORE
CONCEPT_PREDICATES = {
    RDF.type,
    DCTERMS.identifier,
    SKOS.prefLabel,
    SKOS.definition,
    SKOS.broader,
    SKOS.narrower,
    SKOS.inScheme,
    SKOS.topConceptOf,
    EUVOC.status,
    OWL.versionInfo,
    SKOS.notation,
} | CONCEPT_MORE
# Labels whose surrounding spaces the import reports (and keeps).
LABEL_PREDICATES = {SKOS.prefLabel, SKOS.altLabel, DCTERMS.title}
# The datatype each kept literal has in an export when the file did not say otherwise.
DEFAULT_DATATYPES = {"created": str(XSD.date), "modified": str(XSD.date)}


def taxonomy_uri(taxonomy: Taxonomy) -> URIRef:
    return URIRef(taxonomy.uri or f"{settings.PILOTAGE_BASE_URI}taxonomies/{taxonomy.code}")


def term_uri(term: Term, taxonomy: Taxonomy) -> URIRef:
    return URIRef(term.uri or f"{taxonomy_uri(taxonomy)}/{term.code}")


def _labels(graph: Graph, subject, predicate, values: dict[str, str], languages) -> None:
    for language in languages:
        if values.get(language):
            graph.add((subject, predicate, Literal(values[language], lang=language)))


def _node_json(value) -> dict:
    """An RDF value as `extras` keeps it: an IRI, or a literal with its language or datatype."""
    if isinstance(value, URIRef):
        return {"iri": str(value)}
    item = {"value": str(value)}
    if value.language:
        item["lang"] = value.language
    elif value.datatype is not None:
        item["datatype"] = str(value.datatype)
    return item


def _node_rdf(item: dict):
    if "iri" in item:
        return URIRef(item["iri"])
    datatype = item.get("datatype")
    return Literal(
        item["value"], lang=item.get("lang"), datatype=URIRef(datatype) if datatype else None
    )


def _literal(value: str, extras: dict, name: str) -> Literal:
    """A kept value with the datatype the file gave it (none, or `DEFAULT_DATATYPES`)."""
    datatype = extras.get("datatypes", {}).get(name, DEFAULT_DATATYPES.get(name, ""))
    return Literal(value, datatype=URIRef(datatype) if datatype else None)


# --- export -------------------------------------------------------------------------


def taxonomy_graph(taxonomy: Taxonomy, *, profile: str = "d4wta") -> Graph:
    """The taxonomy as an RDF graph in the given profile ("d4wta" or "full")."""
    if profile not in ("d4wta", "full"):
        raise ValueError(f"unknown profile {profile!r}")
    label_languages = D4WTA_LANGUAGES if profile == "d4wta" else LANGUAGES
    graph = _bound(Graph())
    scheme = taxonomy_uri(taxonomy)
    extras = taxonomy.extras or {}
    # A taxonomy made in Pilotage states everything; an imported one what its file stated.
    stated = set(extras["stated"]) if "stated" in extras else None

    def says(name: str, differs_from_default: bool = False) -> bool:
        return stated is None or name in stated or differs_from_default

    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    identifier = taxonomy.identifier if stated is not None else taxonomy.identifier or taxonomy.code
    if says("identifier", bool(identifier)):
        graph.add((scheme, DCTERMS.identifier, _literal(identifier, extras, "identifier")))
    if says("version", taxonomy.version != "1.0.0"):
        graph.add((scheme, OWL.versionInfo, _literal(taxonomy.version, extras, "version")))
    graph.add((scheme, DCTERMS.created, _literal(taxonomy.created.isoformat(), extras, "created")))
    if taxonomy.modified:
        graph.add(
            (scheme, DCTERMS.modified, _literal(taxonomy.modified.isoformat(), extras, "modified"))
        )
    title = translated_value_map(taxonomy, "title")
    label = translated_value_map(taxonomy, "label")
    if says("title"):
        _labels(graph, scheme, DCTERMS.title, title, LANGUAGES)
    if says("label", bool(label)):
        _labels(graph, scheme, SKOS.prefLabel, label or title, label_languages)
    _labels(graph, scheme, SKOS.definition, translated_value_map(taxonomy, "definition"), LANGUAGES)
    _add_more(graph, scheme, extras)

    terms = list(taxonomy.terms.select_related("parent"))
    statuses = set()
    for term in terms:
        concept = term_uri(term, taxonomy)
        term_extras = term.extras or {}
        term_stated = set(term_extras["stated"]) if "stated" in term_extras else None

        def term_says(name: str, differs_from_default: bool = False, stated=term_stated) -> bool:
            return stated is None or name in stated or differs_from_default

        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.inScheme, scheme))
        identifier = term.identifier if term_stated is not None else term.identifier or term.code
        if term_says("identifier", bool(identifier)):
            graph.add(
                (concept, DCTERMS.identifier, _literal(identifier, term_extras, "identifier"))
            )
        if term_says("version", term.version != "1.0.0"):
            graph.add((concept, OWL.versionInfo, _literal(term.version, term_extras, "version")))
        if term_says("status", term.status != "CURRENT"):
            graph.add((concept, EUVOC.status, STATUS[term.status]))
            statuses.add(term.status)
        if term.notation:
            graph.add((concept, SKOS.notation, _literal(term.notation, term_extras, "notation")))
        _labels(
            graph, concept, SKOS.prefLabel, translated_value_map(term, "label"), label_languages
        )
        _labels(
            graph, concept, SKOS.definition, translated_value_map(term, "definition"), LANGUAGES
        )
        if term.parent_id:
            parent = term_uri(term.parent, taxonomy)
            # Broader, unless the file gave this link from above only (narrower).
            if term_says("broader", "narrower" not in (term_stated or ())):
                graph.add((concept, SKOS.broader, parent))
            if term_stated is not None and "narrower" in term_stated:
                graph.add((parent, SKOS.narrower, concept))
        if term_stated is None:
            if not term.parent_id:
                graph.add((concept, SKOS.topConceptOf, scheme))
                graph.add((scheme, SKOS.hasTopConcept, concept))
        else:
            if "top_concept_of" in term_stated:
                graph.add((concept, SKOS.topConceptOf, scheme))
            if "has_top_concept" in term_stated:
                graph.add((scheme, SKOS.hasTopConcept, concept))
        _add_more(graph, concept, term_extras)
    statements = extras.get("statements", ())
    if statements:
        # What the imported file said beyond its schemes, given back in both profiles.
        graph.parse(data="\n".join(statements), format="nt")
    if profile == "d4wta" and not any(line.startswith(f"<{STATUS}") for line in statements):
        _describe_statuses(graph, statuses)
    return graph


def _bound(graph: Graph) -> Graph:
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    graph.bind("owl", OWL)
    graph.bind("euvoc", EUVOC)
    graph.bind("status", STATUS)
    return graph


def _add_more(graph: Graph, subject, extras: dict) -> None:
    for predicate, item in extras.get("more", ()):
        graph.add((subject, URIRef(predicate), _node_rdf(item)))


@cache
def _status_list() -> dict:
    return yaml.safe_load((Path(__file__).parent / "concept_status.yaml").read_text("utf-8"))


def _describe_statuses(graph: Graph, statuses: set[str]) -> None:
    data = _status_list()
    scheme_data = data["scheme"]
    scheme = URIRef(f"{settings.PILOTAGE_BASE_URI}taxonomies/{scheme_data['code']}")
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.identifier, Literal(scheme_data["code"])))
    graph.add((scheme, OWL.versionInfo, Literal(scheme_data["version"])))
    graph.add((scheme, DCTERMS.created, Literal(scheme_data["created"], datatype=XSD.date)))
    graph.add((scheme, DCTERMS.source, URIRef(scheme_data["source"])))
    _labels(graph, scheme, DCTERMS.title, scheme_data["title"], D4WTA_LANGUAGES)
    _labels(graph, scheme, SKOS.prefLabel, scheme_data["title"], D4WTA_LANGUAGES)
    # Every status description is itself CURRENT, so CURRENT is always described.
    for code in sorted(statuses | {"CURRENT"}):
        concept = STATUS[code]
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((concept, DCTERMS.identifier, Literal(code)))
        graph.add((concept, OWL.versionInfo, Literal(scheme_data["version"])))
        graph.add((concept, EUVOC.status, STATUS.CURRENT))
        for language, (label, definition) in data["statuses"][code].items():
            graph.add((concept, SKOS.prefLabel, Literal(label, lang=language)))
            graph.add((concept, SKOS.definition, Literal(definition, lang=language)))


def taxonomies_graph(taxonomies, *, profile: str = "d4wta") -> Graph:
    """Several taxonomies in one graph, as a file holding several schemes carries them."""
    graph = _bound(Graph())
    for taxonomy in taxonomies:
        graph += taxonomy_graph(taxonomy, profile=profile)
    return graph


def taxonomy_export(taxonomy: Taxonomy, *, format: str = "turtle", profile: str = "d4wta") -> str:
    """Serialise a taxonomy as Turtle or JSON-LD."""
    return graph_serialise(taxonomy_graph(taxonomy, profile=profile), format=format)


def graph_serialise(graph: Graph, *, format: str = "turtle") -> str:
    rdf_format = FORMATS.get(format)
    if rdf_format is None:
        raise ValueError(f"unknown format {format!r} (use turtle or json-ld)")
    if rdf_format == "json-ld":
        return _json_ld(graph)
    return graph.serialize(format="turtle")


def _json_ld(graph: Graph) -> str:
    """JSON-LD compacted with the graph's prefixes. rdflib turns typed strings, numbers and
    booleans into bare JSON values whenever there is a context, so "0.1.0"^^xsd:string
    would come back as "0.1.0": its converter is run with that turned off."""
    from rdflib.plugins.serializers.jsonld import Converter
    from rdflib.plugins.shared.jsonld.context import Context

    context_data = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
    converter = Converter(Context(context_data), False, False)
    converter.use_native_types = False
    result = converter.convert(graph)
    if isinstance(result, list):
        result = {"@graph": result}
    result["@context"] = context_data
    return json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True)


# --- import -------------------------------------------------------------------------


@dataclass
class SkosImportReport:
    """What an import wrote: counts by record kind and outcome, and the warnings."""

    taxonomies: list[Taxonomy] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[DataError] = field(default_factory=list)
    audit_entries: int = 0

    @property
    def written(self) -> int:
        return sum(n for key, n in self.counts.items() if not key.endswith("unchanged"))

    def lines(self) -> list[str]:
        from django.utils.translation import gettext as _

        lines = [_("Warning: %(problem)s") % {"problem": warning} for warning in self.warnings]
        for taxonomy in self.taxonomies:
            lines.append(
                _("%(code)s: %(count)d terms")
                % {"code": taxonomy.code, "count": taxonomy.terms.count()}
            )
        counts = ", ".join(f"{what} {count}" for what, count in self.counts.items())
        lines.append(_("Records: %(counts)s.") % {"counts": counts})
        return lines


@dataclass
class ParsedScheme:
    scheme: PublishedSchemeData
    terms: list[PublishedTermData]


def _local_code(uri: URIRef) -> str:
    text = str(uri).rstrip("/#")
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


class _Reader:
    """One SKOS document being read: its graph, and every problem and warning found."""

    def __init__(self, graph: Graph, file: str, text: str | bytes):
        self.graph, self.file = graph, file
        self.text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        self.errors: list[DataError] = []
        self.warnings: list[DataError] = []

    @cache  # noqa: B019 (one reader per import)
    def located(self, record: str) -> str:
        """A record as reports name it: "line 12, concept <iri>", the line where its
        description starts, when the file's text shows it."""
        if not record.endswith(">") or "<" not in record:
            return record
        offset = self._subject_offset(record[record.index("<") + 1 : -1])
        if offset is None:
            return record
        return f"line {self.text.count(chr(10), 0, offset) + 1}, {record}"

    def _subject_offset(self, iri: str) -> int | None:
        forms = [f"<{iri}>"] + [
            f"{prefix}:{iri[len(str(namespace)) :]}"
            for prefix, namespace in self.graph.namespaces()
            if prefix and iri.startswith(str(namespace)) and len(iri) > len(str(namespace))
        ]
        found = []
        for form in forms:
            # A Turtle statement starting with it, or a JSON-LD node with it as "@id".
            pattern = rf'(?m)^[ \t]*{re.escape(form)}(?=[\s;,.])|"@id"\s*:\s*"{re.escape(form)}"'
            if form.startswith("<"):
                pattern += rf'|"@id"\s*:\s*"{re.escape(iri)}"'
            match = re.search(pattern, self.text)
            if match:
                found.append(match.start())
        return min(found) if found else None

    def _value_located(self, record: str, value: str) -> str:
        """A record named by the line its value is on, when the text shows it."""
        if not record.endswith(">") or "<" not in record:
            return record
        offset = self._subject_offset(record[record.index("<") + 1 : -1])
        at = self.text.find(json.dumps(value, ensure_ascii=False), offset or 0)
        if offset is None or at < 0:
            return self.located(record)
        return f"line {self.text.count(chr(10), 0, at) + 1}, {record}"

    def n3(self, node) -> str:
        return node.n3(self.graph.namespace_manager)

    def error(self, record: str, reason: str, predicate=None, value=None) -> None:
        self.errors.append(
            DataError(
                self.file,
                self.located(record),
                reason,
                column=self.n3(predicate) if predicate is not None else "",
                value=str(value) if value is not None else "",
            )
        )

    def texts(self, subject, predicate, record: str) -> dict[str, str]:
        values: dict[str, str] = {}
        for value in self.graph.objects(subject, predicate):
            language = getattr(value, "language", None)
            if not isinstance(value, Literal) or language not in LANGUAGES:
                self.error(
                    record,
                    f"in language {language!r}: Pilotage keeps {', '.join(LANGUAGES)}",
                    predicate,
                    value,
                )
            elif language in values:
                self.error(record, f"two values in {language!r}", predicate, value)
            elif value == "":
                self.error(record, "an empty text", predicate, value)
            else:
                values[language] = str(value)
                self.check_spaces(record, predicate, value)
        return values

    def check_spaces(self, record: str, predicate, value) -> None:
        if predicate in LABEL_PREDICATES and isinstance(value, Literal):
            text = str(value)
            if text != text.strip():
                where = [
                    reason
                    for reason, found in (
                        ("leading", text[:1].isspace()),
                        ("trailing", text[-1:].isspace()),
                    )
                    if found
                ]
                self.warnings.append(
                    DataError(
                        self.file,
                        self._value_located(record, text),
                        f"{' and '.join(where)} spaces, kept as published",
                        column=self.n3(predicate),
                        value=text,
                    )
                )

    def one(self, subject, predicate, record: str):
        values = list(self.graph.objects(subject, predicate))
        if len(values) > 1:
            self.error(
                record,
                "more than one value",
                predicate,
                ", ".join(sorted(str(v) for v in values)),
            )
        return values[0] if values else None

    def literal(self, subject, predicate, record: str, name: str, extras: dict) -> str | None:
        """A single literal kept in a column; its datatype goes to `extras` if not the usual."""
        value = self.one(subject, predicate, record)
        if value is None:
            return None
        if not isinstance(value, Literal) or value.language:
            self.error(record, "a literal without language is expected", predicate, value)
            return None
        datatype = str(value.datatype) if value.datatype is not None else ""
        if datatype != DEFAULT_DATATYPES.get(name, ""):
            extras.setdefault("datatypes", {})[name] = datatype
        extras["stated"].add(name)
        return str(value)

    def unsupported(self, subject, allowed: set, record: str) -> None:
        for predicate in sorted(set(self.graph.predicates(subject)) - allowed):
            self.error(
                record,
                "not a property D4WTA-AP allows here; refused rather than lost",
                predicate,
                ", ".join(sorted(str(value) for value in self.graph.objects(subject, predicate))),
            )

    def more(self, subject, predicates: set, record: str, extras: dict, types=()) -> None:
        """Properties without a column, and further rdf:types, kept as published."""
        kept = []
        for predicate, value in self.graph.predicate_objects(subject):
            if predicate == RDF.type and value in types:
                continue
            if predicate not in predicates and predicate != RDF.type:
                continue
            if isinstance(value, BNode):
                self.error(record, "a blank node is not kept; name it with an IRI", predicate)
                continue
            self.check_spaces(record, predicate, value)
            kept.append([str(predicate), _node_json(value)])
        if kept:
            extras["more"] = sorted(kept, key=json.dumps)


def _is_status_description(uri) -> bool:
    return str(uri).startswith(str(STATUS)) or str(uri).endswith("/concept-status")


def _parse_graph(text: str | bytes, rdf_format: str, file: str) -> Graph:
    graph = Graph()
    try:
        graph.parse(data=text, format=rdf_format)
    except Exception as error:  # rdflib raises many parser-specific exceptions
        raise DataFileError([_syntax_error(error, text, rdf_format, file)]) from error
    return graph


def _syntax_error(error: Exception, text: str | bytes, rdf_format: str, file: str) -> DataError:
    """The parser's complaint with the line it is on. rdflib's Turtle parser miscounts
    lines in a text with Windows line ends (CRLF) holding a long, triple-quoted, string, and
    names the end of the file for a string never closed: the line is counted again from
    the offset it stopped at (for an unclosed string, where the string opens)."""
    reason = getattr(error, "_why", None) or str(error).split("\n", 1)[0]
    source, offset = getattr(error, "_str", None), getattr(error, "_i", None)
    line = None
    if isinstance(source, bytes | str) and isinstance(offset, int):
        newline = b"\n" if isinstance(source, bytes) else "\n"
        if reason.startswith("unterminated string"):
            # The parser stops at the end of the file: the fault is where the string opens.
            quotes = [b'"""', b"'''"] if isinstance(source, bytes) else ['"""', "'''"]
            offset = max(source.rfind(quote, 0, offset) for quote in quotes)
        line = source[:offset].count(newline) + 1
        start = source.rfind(newline, 0, offset) + 1
        end = source.find(newline, offset)
        value = source[start : end if end >= 0 else len(source)]
        value = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    else:
        line = getattr(error, "lineno", None)  # JSON
        value = ""
        if line is not None:
            lines = (text.decode("utf-8", "replace") if isinstance(text, bytes) else text).split(
                "\n"
            )
            value = lines[line - 1] if 0 < line <= len(lines) else ""
    record = f"line {line}" if line else ""
    return DataError(file, record, f"not valid {rdf_format}: {reason}", value=value.strip()[:200])


def skos_parse(
    text: str | bytes, *, format: str | None = None, file: str = "<upload>"
) -> tuple[list[ParsedScheme], list[DataError]]:
    """Read the concept schemes of a SKOS document and the warnings on it, or raise
    DataFileError listing every problem."""
    rdf_format = FORMATS.get(format or "") or guess_format(file) or "turtle"
    graph = _parse_graph(text, rdf_format, file)
    reader = _Reader(graph, file, text)
    schemes = sorted(
        s for s in graph.subjects(RDF.type, SKOS.ConceptScheme) if not _is_status_description(s)
    )
    if not schemes:
        raise DataFileError([DataError(file, "", "no skos:ConceptScheme in the file")])
    known = set(schemes)
    for scheme in schemes:
        known.update(graph.subjects(SKOS.inScheme, scheme))
    # What the file says of anything else (the statuses' descriptions, a header) is kept
    # with each of its schemes, as published.
    others = Graph()
    for subject in set(graph.subjects()) - known:
        if (subject, RDF.type, SKOS.Concept) in graph and not _is_status_description(subject):
            reader.error(
                f"concept <{subject}>", "is in no concept scheme of the file", SKOS.inScheme
            )
            continue
        for triple in graph.triples((subject, None, None)):
            others.add(triple)
    statements = sorted(line for line in others.serialize(format="nt").splitlines() if line)
    result = [_read_scheme(reader, scheme, statements) for scheme in schemes]
    if reader.errors:
        raise DataFileError(reader.errors)
    return result, reader.warnings


def _read_scheme(reader: _Reader, scheme: URIRef, statements: list[str]) -> ParsedScheme:
    graph = reader.graph
    record = f"scheme <{scheme}>"
    reader.unsupported(scheme, SCHEME_PREDICATES, record)
    extras: dict = {"stated": set()}
    created = reader.literal(scheme, DCTERMS.created, record, "created", extras)
    modified = reader.literal(scheme, DCTERMS.modified, record, "modified", extras)
    title = reader.texts(scheme, DCTERMS.title, record)
    label = reader.texts(scheme, SKOS.prefLabel, record)
    if title:
        extras["stated"].add("title")
    if label:
        extras["stated"].add("label")
    identifier = reader.literal(scheme, DCTERMS.identifier, record, "identifier", extras)
    version = reader.literal(scheme, OWL.versionInfo, record, "version", extras)
    reader.more(scheme, SCHEME_MORE, record, extras, types={SKOS.ConceptScheme})
    if statements:
        extras["statements"] = statements
    concepts = sorted(graph.subjects(SKOS.inScheme, scheme))
    codes = {concept: _local_code(concept) for concept in concepts}
    top = set(graph.objects(scheme, SKOS.hasTopConcept))
    for concept in sorted(top - set(codes)):
        reader.error(
            record,
            f"top concept <{concept}> is not a concept of the scheme",
            SKOS.hasTopConcept,
            concept,
        )
    # The hierarchy may be given from below (broader), from above (narrower), or both.
    listed_by: dict = defaultdict(list)
    for concept in concepts:
        for narrower in graph.objects(concept, SKOS.narrower):
            if narrower not in codes:
                reader.error(
                    f"concept <{concept}>",
                    f"narrower concept <{narrower}> is not in the scheme",
                    SKOS.narrower,
                    narrower,
                )
            else:
                listed_by[narrower].append(concept)
    terms = []
    for concept in concepts:
        terms.append(_read_concept(reader, scheme, concept, codes, top, listed_by))
    scheme_fields = {
        "code": _local_code(scheme),
        "uri": str(scheme),
        "identifier": identifier or "",
        "title": title or label,
        "label": label if label != (title or label) else {},
        "definition": reader.texts(scheme, SKOS.definition, record),
        "version": version if version is not None else "1.0.0",
        "created": created,
        "modified": modified,
        "extras": _frozen(extras),
    }
    scheme_data = _validated(PublishedSchemeData, scheme_fields, reader, record)
    if scheme_data is not None and all(terms):
        reader.errors.extend(taxonomy_check(reader.file, scheme_data, terms))
    return ParsedScheme(scheme_data, terms)


def _read_concept(reader: _Reader, scheme, concept, codes: dict, top: set, listed_by: dict):
    graph = reader.graph
    record = f"concept <{concept}>"
    if isinstance(concept, BNode):
        reader.error(record, "a concept needs an IRI")
    if (concept, RDF.type, SKOS.Concept) not in graph:
        reader.error(record, "is not typed skos:Concept")
    reader.unsupported(concept, CONCEPT_PREDICATES, record)
    if len(set(graph.objects(concept, SKOS.inScheme))) > 1:
        reader.error(record, "belongs to more than one scheme", SKOS.inScheme)
    extras: dict = {"stated": set()}
    broader = reader.one(concept, SKOS.broader, record)
    if broader is not None:
        extras["stated"].add("broader")
        if broader not in codes:
            reader.error(
                record, f"broader concept <{broader}> is not in the scheme", SKOS.broader, broader
            )
            broader = None
    above = listed_by.get(concept, [])
    if above:
        extras["stated"].add("narrower")
        if len(above) > 1 or (broader is not None and above[0] != broader):
            reader.error(
                record,
                "has more than one broader concept (Pilotage keeps one)",
                SKOS.narrower,
                ", ".join(sorted({str(c) for c in [*above, *([broader] if broader else [])]})),
            )
        elif broader is None:
            broader = above[0]
    status = reader.one(concept, EUVOC.status, record)
    status_code = "CURRENT"
    if status is not None:
        extras["stated"].add("status")
        status_code = _local_code(status)
        if not str(status).startswith(str(STATUS)):
            reader.error(
                record,
                f"status <{status}> is not in the EU concept-status list",
                EUVOC.status,
                status,
            )
    top_of = set(graph.objects(concept, SKOS.topConceptOf))
    if top_of - {scheme}:
        reader.error(
            record, "is top concept of another scheme", SKOS.topConceptOf, sorted(top_of)[0]
        )
    if scheme in top_of:
        extras["stated"].add("top_concept_of")
    if concept in top:
        extras["stated"].add("has_top_concept")
    identifier = reader.literal(concept, DCTERMS.identifier, record, "identifier", extras)
    version = reader.literal(concept, OWL.versionInfo, record, "version", extras)
    notation = reader.literal(concept, SKOS.notation, record, "notation", extras)
    label = reader.texts(concept, SKOS.prefLabel, record)
    definition = reader.texts(concept, SKOS.definition, record)
    reader.more(concept, CONCEPT_MORE, record, extras, types={SKOS.Concept})
    fields = {
        "code": codes[concept],
        "parent": codes[broader] if broader is not None else None,
        "uri": str(concept),
        "identifier": identifier or "",
        "notation": notation or "",
        "label": label,
        "definition": definition,
        "status": status_code,
        "version": version if version is not None else "1.0.0",
        "extras": _frozen(extras),
    }
    return _validated(PublishedTermData, fields, reader, record)


def _frozen(extras: dict) -> dict:
    """`extras` as stored: sorted lists, so that an unchanged file compares equal."""
    result = dict(extras)
    result["stated"] = sorted(extras["stated"])
    return result


def _validated(schema, fields: dict, reader: _Reader, record: str):
    from pydantic import ValidationError

    try:
        return schema.model_validate(fields)
    except ValidationError as error:
        for item in error.errors():
            where = ".".join(str(step) for step in item["loc"])
            reason = (
                "required value missing"
                if item["type"] == "missing"
                else item["msg"].removeprefix("Value error, ")
            )
            value = item.get("input")
            reader.errors.append(
                DataError(
                    reader.file,
                    reader.located(record),
                    f"{where}: {reason}",
                    value=str(value) if isinstance(value, str | int) else "",
                )
            )
        return None
