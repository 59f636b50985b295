"""Search across strategies, nodes, actions, indicators and organisations.

Accent- and stemming-aware in French (and in the reader's language): on PostgreSQL with
its full-text search over `unaccent`, on SQLite with a portable fallback that folds
accents and stems words with the same Snowball stemmers, in an SQL function registered
on each connection. Both behave alike for what visitors type: "numerique" finds
"numériques", "entreprise" finds "entreprises".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import snowballstemmer
from django.db import connection, models
from django.db.backends.signals import connection_created
from django.dispatch import receiver
from django.utils.translation import get_language

from pilotage.indicators.readmodel import public_indicators, read_model
from pilotage.registry.models import Organisation
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import Strategy, StrategyNode

# Snowball and PostgreSQL name their languages alike.
LANGUAGES = {"fr": "french", "nl": "dutch", "de": "german", "en": "english"}
MAX_QUERY_LENGTH = 200
WORD = re.compile(r"\w+")


@lru_cache(maxsize=8)
def _stemmer(language: str):
    return snowballstemmer.stemmer(LANGUAGES.get(language, "french"))


def unaccented(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def folded(text: str, language: str = "fr") -> str:
    """Lowercase, without accents, each word as written and stemmed; padded with spaces
    so that a word is found by its start with `LIKE '% word%'`."""
    words = WORD.findall(unaccented(text))
    stems = _stemmer(language).stemWords(words)
    return " " + " ".join(dict.fromkeys(words + stems)) + " "


@receiver(connection_created)
def _register_fold(sender, connection, **kwargs):
    """SQLite: `pilotage_fold(language, text, ...)` folds and joins its texts."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "pilotage_fold",
            -1,
            lambda language, *texts: folded(" ".join(t for t in texts if t), language),
            deterministic=True,
        )


@dataclass(frozen=True)
class SearchHit:
    kind: str  # strategy, node, action, indicator, organisation
    record: models.Model
    assessment: object = None  # an indicator's status, from the read model


@dataclass
class SearchGroup:
    """One kind of record found: a page of its hits, best first, and how many there are."""

    kind: str
    hits: list[SearchHit]
    count: int
    page: int
    pages: int

    @property
    def group(self) -> str:
        """Its name in the address (`?group=actions`)."""
        return GROUPS[self.kind]

    @property
    def more(self) -> bool:
        return self.page < self.pages


# Each kind and its name in the address, in the order the page lists them.
GROUPS = {
    "strategy": "strategies",
    "node": "nodes",
    "action": "actions",
    "indicator": "indicators",
    "organisation": "organisations",
}
KINDS = {group: kind for kind, group in GROUPS.items()}


class InvalidGroup(ValueError):
    pass


def _translated(language: str, *bases: str) -> list[tuple[str, str]]:
    """(column, language) pairs of translated fields: French always, and the reader's."""
    pairs = [(f"{base}_fr", "fr") for base in bases]
    if language != "fr":
        pairs += [(f"{base}_{language}", language) for base in bases]
    return pairs


def _matching(queryset: models.QuerySet, columns: list[tuple[str, str]], text: str):
    words = WORD.findall(unaccented(text))
    languages = list(dict.fromkeys(lang for _column, lang in columns))
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = None
        for column, lang in columns:
            unaccented_column = models.Func(
                models.functions.Coalesce(
                    models.F(column), models.Value(""), output_field=models.TextField()
                ),
                function="unaccent",
            )
            for config in (LANGUAGES[lang], "simple"):
                part = SearchVector(unaccented_column, config=config)
                vector = part if vector is None else vector + part
        # Each word, stemmed in a language or as the start of a word written so.
        query = None
        for word in words:
            either = SearchQuery(f"{word}:*", config="simple", search_type="raw")
            for lang in languages:
                either |= SearchQuery(word, config=LANGUAGES[lang], search_type="plain")
            query = either if query is None else query & either
        return (
            queryset.annotate(search_rank=SearchRank(vector, query))
            .filter(search_rank__gt=0)
            .order_by("-search_rank")
        )
    # SQLite: each word, stemmed or as written, must start a word of the record's text.
    for lang in languages:
        queryset = queryset.alias(
            **{
                f"search_{lang}": models.Func(
                    models.Value(lang),
                    *[models.F(column) for column, other in columns if other == lang],
                    function="pilotage_fold",
                    output_field=models.TextField(),
                )
            }
        )
    condition = models.Q()
    for word in words:
        either = models.Q()
        for lang in languages:
            for form in {word, *_stemmer(lang).stemWords([word])}:
                either |= models.Q(**{f"search_{lang}__contains": f" {form}"})
        condition &= either
    return queryset.filter(condition)


def search(
    text: str, *, group: str | None = None, page: int = 1, limit: int = 20
) -> dict[str, SearchGroup]:
    """Public records matching the text, by kind, best first: `limit` of each with the
    number of matches (two queries a kind); with `group` (`actions` ...), that kind
    only, its `page`-th page of `limit` (InvalidGroup on an unknown group)."""
    if group is not None and group not in KINDS:
        raise InvalidGroup(group)
    text = (text or "").strip()[:MAX_QUERY_LENGTH]
    if not WORD.search(text):
        return {}
    language = (get_language() or "fr")[:2]
    language = language if language in LANGUAGES else "fr"
    model = read_model()
    public_strategies = Strategy.objects.public()
    actions = public_actions()
    sources = [
        ("strategy", public_strategies, _translated(language, "title", "description")),
        (
            "node",
            StrategyNode.objects.public().select_related("strategy", "level"),
            _translated(language, "title", "description"),
        ),
        ("action", actions.select_related("lead"), _translated(language, "title", "description")),
        (
            "indicator",
            public_indicators().select_related("action", "node__strategy"),
            _translated(language, "title", "definition"),
        ),
        (
            "organisation",
            Organisation.objects.annotate(
                leads=models.Exists(actions.filter(lead=models.OuterRef("pk")))
            ),
            [("name", "fr"), *_translated(language, "description")],
        ),
    ]
    groups: dict[str, SearchGroup] = {}
    for kind, queryset, columns in sources:
        if group is not None and KINDS[group] != kind:
            continue
        matching = _matching(queryset, columns, text)
        count = matching.count()
        if not count:
            continue
        pages = -(-count // limit)
        start = (page - 1) * limit
        records = list(matching.order_by(*_ranked(matching), "pk")[start : start + limit])
        groups[kind] = SearchGroup(
            kind=kind,
            hits=[
                SearchHit(
                    kind, record, model.assessment(record.pk) if kind == "indicator" else None
                )
                for record in records
            ],
            count=count,
            page=page,
            pages=pages,
        )
    return groups


def _ranked(queryset: models.QuerySet) -> list[str]:
    """Best first where the database ranks (PostgreSQL); a stable order for the pages."""
    return ["-search_rank"] if "search_rank" in queryset.query.annotations else []
