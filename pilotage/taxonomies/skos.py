"""SKOS import and export of taxonomies, following the D4WTA-AP profile.

Two export profiles:
- "d4wta": what D4WTA-AP accepts. Its rule R1 allows preferred labels in French and
  English only, so Dutch and German labels are left out; and since its shapes require
  every euvoc:status value to be a described skos:Concept, the statuses used are
  described too (from `concept_status.yaml`).
- "full": every language Pilotage holds, nothing added.

Import refuses what it could not keep (an unknown property, a language Pilotage does not
speak, two broader terms) rather than dropping it silently.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from django.conf import settings
from rdflib import RDF, XSD, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, OWL, SKOS
from rdflib.util import guess_format

from pilotage.core.datafiles import LANGUAGES, DataError, DataFileError
from pilotage.core.i18n import translated_value_map
from pilotage.taxonomies.loaders import taxonomy_apply, taxonomy_check
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.schemas import SchemeData, TermData

EUVOC = Namespace("http://publications.europa.eu/ontology/euvoc#")
STATUS = Namespace("http://publications.europa.eu/resource/authority/concept-status/")
D4WTA_LANGUAGES = ("fr", "en")
FORMATS = {"turtle": "turtle", "ttl": "turtle", "json-ld": "json-ld", "jsonld": "json-ld"}

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
}
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
}


def taxonomy_uri(taxonomy: Taxonomy) -> URIRef:
    return URIRef(taxonomy.uri or f"{settings.PILOTAGE_BASE_URI}taxonomies/{taxonomy.code}")


def term_uri(term: Term, taxonomy: Taxonomy) -> URIRef:
    return URIRef(term.uri or f"{taxonomy_uri(taxonomy)}/{term.code}")


def _labels(graph: Graph, subject, predicate, values: dict[str, str], languages) -> None:
    for language in languages:
        if values.get(language):
            graph.add((subject, predicate, Literal(values[language], lang=language)))


# --- export -------------------------------------------------------------------------


def taxonomy_graph(taxonomy: Taxonomy, *, profile: str = "d4wta") -> Graph:
    """The taxonomy as an RDF graph in the given profile ("d4wta" or "full")."""
    if profile not in ("d4wta", "full"):
        raise ValueError(f"unknown profile {profile!r}")
    languages = D4WTA_LANGUAGES if profile == "d4wta" else LANGUAGES
    graph = Graph()
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    graph.bind("owl", OWL)
    graph.bind("euvoc", EUVOC)
    graph.bind("status", STATUS)
    scheme = taxonomy_uri(taxonomy)
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    graph.add((scheme, DCTERMS.identifier, Literal(taxonomy.identifier or taxonomy.code)))
    graph.add((scheme, OWL.versionInfo, Literal(taxonomy.version)))
    graph.add((scheme, DCTERMS.created, Literal(taxonomy.created, datatype=XSD.date)))
    if taxonomy.modified:
        graph.add((scheme, DCTERMS.modified, Literal(taxonomy.modified, datatype=XSD.date)))
    title = translated_value_map(taxonomy, "title")
    _labels(graph, scheme, DCTERMS.title, title, languages)
    _labels(
        graph, scheme, SKOS.prefLabel, translated_value_map(taxonomy, "label") or title, languages
    )
    _labels(graph, scheme, SKOS.definition, translated_value_map(taxonomy, "definition"), languages)

    terms = list(taxonomy.terms.select_related("parent"))
    statuses = set()
    for term in terms:
        concept = term_uri(term, taxonomy)
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((concept, DCTERMS.identifier, Literal(term.identifier or term.code)))
        graph.add((concept, OWL.versionInfo, Literal(term.version)))
        graph.add((concept, EUVOC.status, STATUS[term.status]))
        statuses.add(term.status)
        if term.notation:
            graph.add((concept, SKOS.notation, Literal(term.notation)))
        _labels(graph, concept, SKOS.prefLabel, translated_value_map(term, "label"), languages)
        _labels(
            graph, concept, SKOS.definition, translated_value_map(term, "definition"), languages
        )
        if term.parent_id:
            graph.add((concept, SKOS.broader, term_uri(term.parent, taxonomy)))
        else:
            graph.add((concept, SKOS.topConceptOf, scheme))
            graph.add((scheme, SKOS.hasTopConcept, concept))
    if profile == "d4wta":
        _describe_statuses(graph, statuses)
    return graph


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


def taxonomy_export(taxonomy: Taxonomy, *, format: str = "turtle", profile: str = "d4wta") -> str:
    """Serialise a taxonomy as Turtle or JSON-LD."""
    rdf_format = FORMATS.get(format)
    if rdf_format is None:
        raise ValueError(f"unknown format {format!r} (use turtle or json-ld)")
    graph = taxonomy_graph(taxonomy, profile=profile)
    if rdf_format == "json-ld":
        context = {prefix: str(namespace) for prefix, namespace in graph.namespaces() if prefix}
        return graph.serialize(format="json-ld", context=context, indent=2)
    return graph.serialize(format="turtle")


# --- import -------------------------------------------------------------------------


def _local_code(uri: URIRef) -> str:
    text = str(uri).rstrip("/#")
    return text.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def _texts(
    graph: Graph, subject, predicate, file: str, record: str, errors: list
) -> dict[str, str]:
    values: dict[str, str] = {}
    for value in graph.objects(subject, predicate):
        language = getattr(value, "language", None)
        if language not in LANGUAGES:
            errors.append(
                DataError(
                    file,
                    record,
                    f"{predicate.n3(graph.namespace_manager)} in language "
                    f"{language!r}: Pilotage keeps {', '.join(LANGUAGES)}",
                )
            )
        elif language in values:
            errors.append(
                DataError(
                    file, record, f"two {predicate.n3(graph.namespace_manager)} in {language!r}"
                )
            )
        else:
            values[language] = str(value)
    return values


def _one(graph: Graph, subject, predicate, file: str, record: str, errors: list):
    values = list(graph.objects(subject, predicate))
    if len(values) > 1:
        errors.append(
            DataError(file, record, f"more than one {predicate.n3(graph.namespace_manager)}")
        )
    return values[0] if values else None


def _unsupported(graph: Graph, subject, allowed: set, file: str, record: str, errors: list) -> None:
    for predicate in sorted(set(graph.predicates(subject)) - allowed):
        errors.append(
            DataError(
                file,
                record,
                f"property {predicate.n3(graph.namespace_manager)} "
                "is not one Pilotage keeps; refused rather than lost",
            )
        )


def _is_status_description(graph: Graph, uri) -> bool:
    return str(uri).startswith(str(STATUS)) or str(uri).endswith("/concept-status")


def skos_parse(
    text: str | bytes, *, format: str | None = None, file: str = "<upload>"
) -> list[tuple[SchemeData, list[TermData]]]:
    """Read the concept schemes of a SKOS document, or raise DataFileError listing every problem."""
    rdf_format = FORMATS.get(format or "") or guess_format(file) or "turtle"
    graph = Graph()
    try:
        graph.parse(data=text, format=rdf_format)
    except Exception as error:  # rdflib raises many parser-specific exceptions
        raise DataFileError([DataError(file, "", f"not valid {rdf_format}: {error}")]) from error
    errors: list[DataError] = []
    schemes = [
        s
        for s in graph.subjects(RDF.type, SKOS.ConceptScheme)
        if not _is_status_description(graph, s)
    ]
    if not schemes:
        raise DataFileError([DataError(file, "", "no skos:ConceptScheme in the file")])
    result = []
    for scheme in sorted(schemes):
        record = f"scheme <{scheme}>"
        _unsupported(graph, scheme, SCHEME_PREDICATES, file, record, errors)
        created = _one(graph, scheme, DCTERMS.created, file, record, errors)
        modified = _one(graph, scheme, DCTERMS.modified, file, record, errors)
        title = _texts(graph, scheme, DCTERMS.title, file, record, errors)
        label = _texts(graph, scheme, SKOS.prefLabel, file, record, errors)
        scheme_fields = {
            "code": _local_code(scheme),
            "uri": str(scheme),
            "identifier": str(_one(graph, scheme, DCTERMS.identifier, file, record, errors) or ""),
            "title": title or label,
            "label": label if label != (title or label) else {},
            "definition": _texts(graph, scheme, SKOS.definition, file, record, errors),
            "version": str(_one(graph, scheme, OWL.versionInfo, file, record, errors) or "1.0.0"),
            "created": created.toPython() if created is not None else None,
            "modified": modified.toPython() if modified is not None else None,
        }
        terms = []
        concepts = sorted(graph.subjects(SKOS.inScheme, scheme))
        codes = {concept: _local_code(concept) for concept in concepts}
        for concept in concepts:
            crecord = f"concept <{concept}>"
            if (concept, RDF.type, SKOS.Concept) not in graph:
                errors.append(DataError(file, crecord, "is not typed skos:Concept"))
            _unsupported(graph, concept, CONCEPT_PREDICATES, file, crecord, errors)
            if len(set(graph.objects(concept, SKOS.inScheme))) > 1:
                errors.append(DataError(file, crecord, "belongs to more than one scheme"))
            broader = _one(graph, concept, SKOS.broader, file, crecord, errors)
            if broader is not None and broader not in codes:
                errors.append(
                    DataError(file, crecord, f"broader concept <{broader}> is not in the scheme")
                )
                broader = None
            status = _one(graph, concept, EUVOC.status, file, crecord, errors)
            status_code = _local_code(status) if status is not None else "CURRENT"
            if status is not None and not str(status).startswith(str(STATUS)):
                errors.append(
                    DataError(
                        file, crecord, f"status <{status}> is not in the EU concept-status list"
                    )
                )
            fields = {
                "code": codes[concept],
                "parent": codes[broader] if broader is not None else None,
                "uri": str(concept),
                "identifier": str(
                    _one(graph, concept, DCTERMS.identifier, file, crecord, errors) or ""
                ),
                "notation": str(_one(graph, concept, SKOS.notation, file, crecord, errors) or ""),
                "label": _texts(graph, concept, SKOS.prefLabel, file, crecord, errors),
                "definition": _texts(graph, concept, SKOS.definition, file, crecord, errors),
                "status": status_code,
                "version": str(
                    _one(graph, concept, OWL.versionInfo, file, crecord, errors) or "1.0.0"
                ),
            }
            terms.append(_validated(TermData, fields, file, crecord, errors))
        scheme_data = _validated(SchemeData, scheme_fields, file, record, errors)
        if scheme_data is not None and all(terms):
            errors.extend(taxonomy_check(file, scheme_data, terms))
        result.append((scheme_data, terms))
    orphans = [
        c
        for c in graph.subjects(RDF.type, SKOS.Concept)
        if not _is_status_description(graph, c) and (c, SKOS.inScheme, None) not in graph
    ]
    for concept in orphans:
        errors.append(DataError(file, f"concept <{concept}>", "has no skos:inScheme"))
    if errors:
        raise DataFileError(errors)
    return result


def _validated(schema, fields: dict, file: str, record: str, errors: list):
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
            errors.append(DataError(file, record, f"{where}: {reason}"))
        return None


def taxonomy_import_rows(parsed: list[tuple[SchemeData, list[TermData]]]) -> list[Taxonomy]:
    """Write parsed schemes (the caller holds the transaction and the permission check)."""
    codes = []
    for scheme, terms in parsed:
        taxonomy_apply(scheme, terms)
        codes.append(scheme.code)
    return list(Taxonomy.objects.filter(code__in=codes))
