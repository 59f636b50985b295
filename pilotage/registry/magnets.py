"""The magnet engine: organisations found by facets that combine, counted exactly, at once.

Every facet value is a compressed bitmap (Roaring) of the organisations that have it:
a taxonomy term (a parent term holds its descendants' organisations, so its count is of
distinct organisations, never a sum), a relation's target (member of this cluster,
laureate of this call, funded by this fund ...), an event or event type, a programme of a
strategy (any relation to an action under it), the province, the size, the decade of
founding. A query ORs the values ticked within a facet, ANDs the facets and subtracts what
is excluded (NOT); every facet value's count is the size of one intersection, ignoring
the facet's own selection (multi-select counts).

The index lives in each process's memory and follows the database: every write that
changes what it reads records the organisations it touches in `registry.RegistryChange`,
or None when it reaches the vocabulary (signals in `registry.signals`, which say what the
index reads), and each query first applies the changes it has not seen yet, so a new
relation counts at the next query, in every worker.

The log keeps what a live process may still need: changes older than a day are pruned
(`registry_changes_prune`, as changes are written, about hourly), the newest always
kept. A process that finds changes missing just after the last one it saw, and none it
saw still kept, has been silent through a pruning: it rebuilds instead of patching.

"As of" a date, only relations running on that date and organisations founded by then
count.
"""

from __future__ import annotations

import datetime
import threading
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from pyroaring import BitMap

from pilotage.core.i18n import language_codes
from pilotage.registry.models import (
    Event,
    Organisation,
    RegistryChange,
    Relation,
    RelationKind,
    SizeBand,
)
from pilotage.strategies.models import Action, ActionPartner, StrategyNode
from pilotage.taxonomies.models import Term, TermAssignment

# NACE Rev. 2: the divisions (first two digits of a code) of each section.
NACE_SECTIONS = {
    "A": (1, 3), "B": (5, 9), "C": (10, 33), "D": (35, 35), "E": (36, 39), "F": (41, 43),
    "G": (45, 47), "H": (49, 53), "I": (55, 56), "J": (58, 63), "K": (64, 66), "L": (68, 68),
    "M": (69, 75), "N": (77, 82), "O": (84, 84), "P": (85, 85), "Q": (86, 88), "R": (90, 93),
    "S": (94, 96), "T": (97, 98), "U": (99, 99),
}  # fmt: skip
# Above this many changed organisations, rebuilding is cheaper than patching.
REBUILD_AFTER = 20_000
# The log keeps a day of changes; writers prune it once its oldest row is an hour older.
KEEP = datetime.timedelta(days=1)
PRUNE_AFTER = KEEP + datetime.timedelta(hours=1)


def nace_section(code: str) -> str | None:
    """The section letter of a NACE code ("62.01" → "J")."""
    digits = "".join(char for char in code or "" if char.isdigit())[:2]
    if len(digits) < 2:
        return None
    division = int(digits)
    return next((s for s, (low, high) in NACE_SECTIONS.items() if low <= division <= high), None)


class Translated:
    """A label in every language, read in the active one (French where it has none): the
    index is built once per process, whatever language its first request spoke."""

    __slots__ = ("texts",)

    def __init__(self, texts: Mapping[str, str]):
        self.texts = dict(texts)

    def __str__(self) -> str:
        language = (get_language() or settings.LANGUAGE_CODE)[:2]
        return self.texts.get(language) or self.texts.get(settings.LANGUAGE_CODE) or ""


def translated(record, field: str, prefix: str = "") -> Translated:
    """A record's translated field in every language, each text after `prefix`."""
    return Translated(
        {
            code: f"{prefix}{text}"
            for code in language_codes()
            if (text := getattr(record, f"{field}_{code}", ""))
        }
    )


@dataclass(frozen=True)
class Facet:
    key: str
    label: str
    taxonomy: str | None = None  # values are this taxonomy's terms


# The fixed facets; every other taxonomy applied to organisations becomes a facet too,
# keyed by its code.
FIXED_FACETS = (
    Facet("type", _("Type"), taxonomy="organisation-types"),
    Facet("province", _("Province"), taxonomy="provinces"),
    Facet("sector", _("Sector (NACE)"), taxonomy="nace-sections"),
    Facet("size", _("Size")),
    Facet("founded", _("Founded")),
    Facet("member_of", _("Member of")),
    Facet("incubated_by", _("Incubated by")),
    Facet("laureate_of", _("Laureate of")),
    Facet("funded_by", _("Funded by")),
    Facet("event", _("Took part in")),
    Facet("programme", _("Programme")),
    Facet("action", _("Partner or lead of")),
)
RELATION_FACETS = {
    RelationKind.MEMBER_OF: "member_of",
    RelationKind.INCUBATED_BY: "incubated_by",
    RelationKind.LAUREATE_OF: "laureate_of",
    RelationKind.FUNDED_BY: "funded_by",
    RelationKind.PARTICIPANT_IN: "event",
}
OTHER_KEYS = ("as_of", "page", "cursor", "limit", "format", "q")


class InvalidQuery(ValueError):
    """A query parameter the engine cannot apply; `field` names it, and `status` is the
    API's answer: 404 for a value naming no record, else 400."""

    def __init__(self, field: str, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.field, self.code, self.message, self.status = field, code, message, status


@dataclass(frozen=True)
class MagnetQuery:
    include: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    exclude: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    as_of: datetime.date | None = None

    def params(self) -> list[tuple[str, str]]:
        pairs = [(key, value) for key, values in self.include.items() for value in values]
        pairs += [(f"not-{key}", value) for key, values in self.exclude.items() for value in values]
        if self.as_of:
            pairs.append(("as_of", self.as_of.isoformat()))
        return pairs


@dataclass
class FacetValue:
    code: str
    label: str
    count: int
    selected: bool
    excluded: bool
    depth: int = 0


@dataclass
class FacetCounts:
    key: str
    label: str
    values: list[FacetValue]

    @property
    def selected(self) -> bool:
        return any(value.selected or value.excluded for value in self.values)


@dataclass
class Dated:
    """A dated membership: the organisation has the value from `start` until `end`."""

    organisation_id: int
    start: datetime.date | None
    end: datetime.date | None


class MagnetIndex:
    """Bitmaps of every facet value, their labels and hierarchy, and the dated
    memberships needed to answer "as of" a date."""

    def __init__(self) -> None:
        self.universe = BitMap()
        self.founded: dict[int, datetime.date] = {}
        self.bitmaps: dict[str, dict[str, BitMap]] = defaultdict(dict)
        # Read with str() when counted: in the language of the request reading them.
        self.labels: dict[str, dict[str, str | Promise | Translated]] = defaultdict(dict)
        self.parents: dict[str, dict[str, str | None]] = defaultdict(dict)
        self.order: dict[str, list[str]] = defaultdict(list)
        self.facets: list[Facet] = []
        self.dated: dict[tuple[str, str], list[Dated]] = defaultdict(list)
        self.undated: dict[str, dict[str, BitMap]] = defaultdict(lambda: defaultdict(BitMap))
        self.change_seen = 0
        self._as_of_cache: dict[datetime.date, tuple[BitMap, dict[str, dict[str, BitMap]]]] = {}
        self.lock = threading.Lock()

    # -- building ----------------------------------------------------------------------

    @classmethod
    def build(cls) -> MagnetIndex:
        index = cls()
        index.change_seen = RegistryChange.objects.aggregate(last=models.Max("pk"))["last"] or 0
        index._load_vocabulary()
        index._add_memberships(None)
        return index

    def _load_vocabulary(self) -> None:
        """Facet values, labels and hierarchies (a handful of queries)."""
        taxonomy_facets = {f.taxonomy: f.key for f in FIXED_FACETS if f.taxonomy}
        organisation_type = ContentType.objects.get_for_model(Organisation)
        applied = (
            TermAssignment.objects.filter(content_type=organisation_type)
            .values_list("term__taxonomy__code", flat=True)
            .distinct()
        )
        extra = sorted(set(applied) - set(taxonomy_facets))
        self.facets = list(FIXED_FACETS) + [Facet(code, str(code), taxonomy=code) for code in extra]
        by_taxonomy = {facet.taxonomy: facet.key for facet in self.facets if facet.taxonomy}
        terms = (
            Term.objects.filter(taxonomy__code__in=list(by_taxonomy))
            .select_related("taxonomy", "parent")
            .order_by("taxonomy__code", "order", "code")
        )
        titles = {}
        for term in terms:
            key = by_taxonomy[term.taxonomy.code]
            self._value(
                key, term.code, translated(term, "label"), term.parent.code if term.parent else None
            )
            scheme = term.taxonomy
            titles[scheme.code] = translated(scheme, "label" if scheme.label_fr else "title")
        self.facets = [
            Facet(f.key, titles.get(f.key, f.label), f.taxonomy) if f.key in extra else f
            for f in self.facets
        ]
        for value, label in SizeBand.choices:
            self._value("size", value, label)
        for organisation in Organisation.objects.filter(
            pk__in=Relation.objects.filter(target_organisation__isnull=False).values(
                "target_organisation"
            )
        ).order_by("name"):
            for key in ("member_of", "incubated_by"):
                self._value(key, organisation.code, organisation.name)
        for action in Action.objects.public().order_by("title"):
            for key in ("laureate_of", "funded_by", "action"):
                self._value(key, action.code, translated(action, "title"))
        events = Event.objects.select_related("type").order_by("type__order", "-start_date")
        for event in events:
            self._value("event", event.type.code, translated(event.type, "label"))
            self._value("event", event.code, translated(event, "title"), event.type.code)
        nodes = (
            StrategyNode.objects.public()
            .select_related("strategy", "parent")
            .order_by("strategy__period_start", "strategy__code", "order", "code")
        )
        for node in nodes:
            self._value(
                "programme",
                f"{node.strategy.code}:{node.code}",
                translated(node, "title", prefix=f"{node.code} "),
                f"{node.strategy.code}:{node.parent.code}" if node.parent else None,
            )

    def _value(
        self, key: str, code: str, label: str | Promise | Translated, parent: str | None = None
    ) -> None:
        if code not in self.labels[key]:
            self.order[key].append(code)
        self.labels[key][code] = label
        self.parents[key][code] = parent
        self.bitmaps[key].setdefault(code, BitMap())

    def _pairs(self, organisation_ids: list[int] | None) -> Iterable[tuple]:
        """(facet, value, organisation id, start, end) for every membership, from SQL."""
        organisations = Organisation.objects.all()
        if organisation_ids is not None:
            organisations = organisations.filter(pk__in=organisation_ids)
        rows = organisations.values_list(
            "pk", "type__code", "province__code", "size_band", "founded_on", "nace_code"
        )
        for pk, type_code, province, size, founded, nace in rows.iterator(chunk_size=20_000):
            self.universe.add(pk)
            if founded:
                self.founded[pk] = founded
                yield ("founded", f"{founded.year // 10 * 10}", pk, None, None)
            if type_code:
                yield ("type", type_code, pk, None, None)
            if province:
                yield ("province", province, pk, None, None)
            if size:
                yield ("size", size, pk, None, None)
            section = nace_section(nace)
            if section:
                yield ("sector", f"nace-{section.lower()}", pk, None, None)
        by_taxonomy = {facet.taxonomy: facet.key for facet in self.facets if facet.taxonomy}
        fixed = {"organisation-types", "provinces", "nace-sections"}
        assignments = TermAssignment.objects.filter(
            content_type=ContentType.objects.get_for_model(Organisation)
        ).exclude(term__taxonomy__code__in=fixed)
        if organisation_ids is not None:
            assignments = assignments.filter(object_id__in=organisation_ids)
        for taxonomy, term, pk in assignments.values_list(
            "term__taxonomy__code", "term__code", "object_id"
        ).iterator(chunk_size=20_000):
            if taxonomy in by_taxonomy:
                yield (by_taxonomy[taxonomy], term, pk, None, None)
        relations = Relation.objects.all()
        if organisation_ids is not None:
            relations = relations.filter(organisation_id__in=organisation_ids)
        programme_of = self._programmes_of_actions()
        # A draft's action is no facet value: its relations and partners are not counted.
        public = set(Action.objects.public().values_list("code", flat=True))
        for kind, organisation, action, event, pk, start, end in relations.values_list(
            "kind",
            "target_organisation__code",
            "target_action__code",
            "target_event__code",
            "organisation_id",
            "start_date",
            "end_date",
        ).iterator(chunk_size=20_000):
            if action and action not in public:
                continue
            yield (RELATION_FACETS[kind], organisation or action or event, pk, start, end)
            if action:
                for node in programme_of.get(action, ()):
                    yield ("programme", node, pk, start, end)
        partners = ActionPartner.objects.filter(action__in=Action.objects.public())
        leads = Action.objects.public().filter(lead__isnull=False)
        if organisation_ids is not None:
            partners = partners.filter(organisation_id__in=organisation_ids)
            leads = leads.filter(lead_id__in=organisation_ids)
        links = list(partners.values_list("action__code", "organisation_id")) + list(
            leads.values_list("code", "lead_id")
        )
        for action, pk in links:
            yield ("action", action, pk, None, None)
            for node in programme_of.get(action, ()):
                yield ("programme", node, pk, None, None)

    def _programmes_of_actions(self) -> dict[str, list[str]]:
        links = Action.nodes.through.objects.filter(
            strategynode__in=StrategyNode.objects.public()
        ).values_list("action__code", "strategynode__strategy__code", "strategynode__code")
        found: dict[str, list[str]] = defaultdict(list)
        for action, strategy, node in links:
            found[action].append(f"{strategy}:{node}")
        return found

    def _ancestors(self, key: str, code: str) -> list[str]:
        chain, seen = [code], {code}
        parent = self.parents[key].get(code)
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.parents[key].get(parent)
        return chain

    def _add_memberships(self, organisation_ids: list[int] | None) -> None:
        for key, code, pk, start, end in self._pairs(organisation_ids):
            if code not in self.labels[key]:
                self._value(key, code, code)
            for value in self._ancestors(key, code):
                self.bitmaps[key][value].add(pk)
                if start or end:
                    self.dated[(key, value)].append(Dated(pk, start, end))
                else:
                    self.undated[key][value].add(pk)
        self._as_of_cache.clear()

    # -- following writes ---------------------------------------------------------------

    def refresh(self) -> MagnetIndex:
        """Apply the changes recorded since the index last looked (one small query when
        nothing changed); a change that is not one organisation's rebuilds it all, and so
        do changes pruned before the index saw them."""
        changes = list(
            RegistryChange.objects.filter(pk__gt=self.change_seen)
            .order_by("pk")
            .values_list("pk", "organisation_id")
        )
        if not changes:
            return self
        if (
            any(pk is None for _change, pk in changes)
            or len(changes) > REBUILD_AFTER
            or self._missed_pruned(changes[0][0])
        ):
            return MagnetIndex.build()
        with self.lock:
            touched = BitMap(pk for _change, pk in changes)
            for values in self.bitmaps.values():
                for bitmap in values.values():
                    bitmap.difference_update(touched)
            for values in self.undated.values():
                for bitmap in values.values():
                    bitmap.difference_update(touched)
            for key_value, memberships in self.dated.items():
                self.dated[key_value] = [m for m in memberships if m.organisation_id not in touched]
            self.universe.difference_update(touched)
            for pk in touched:
                self.founded.pop(pk, None)
            self._add_memberships(touched)
            self.change_seen = max(change for change, _pk in changes)
        return self

    def _missed_pruned(self, first_unseen: int) -> bool:
        """Whether changes this index has not seen were pruned: ids are missing just after
        the last one it saw and nothing up to that one is kept (pruning deletes the oldest
        ids; a rolled-back write leaves a hole too, and rebuilds for nothing)."""
        return (
            first_unseen > self.change_seen + 1
            and not RegistryChange.objects.filter(pk__lte=self.change_seen).exists()
        )

    # -- querying -----------------------------------------------------------------------

    def _bitmaps_on(self, day: datetime.date | None) -> tuple[BitMap, dict[str, dict[str, BitMap]]]:
        """The universe and the bitmaps as they stood on a day (today's when None),
        computed once per day and kept for the next queries (the 32 latest days)."""
        if day is None:
            return self.universe, self.bitmaps
        found = self._as_of_cache.get(day)
        if found is None:
            bitmaps: dict[str, dict[str, BitMap]] = {
                key: dict(values) for key, values in self.bitmaps.items()
            }
            for (key, value), memberships in self.dated.items():
                active = BitMap(
                    m.organisation_id
                    for m in memberships
                    if (m.start is None or m.start <= day) and (m.end is None or m.end >= day)
                )
                bitmaps[key][value] = self.undated[key].get(value, BitMap()) | active
            born_later = BitMap(pk for pk, founded in self.founded.items() if founded > day)
            found = (self.universe - born_later, bitmaps)
            if len(self._as_of_cache) >= 32:
                self._as_of_cache.pop(next(iter(self._as_of_cache)))  # the oldest day
            self._as_of_cache[day] = found
        return found

    def parse(self, params) -> MagnetQuery:
        """Read a query from URL parameters: `facet=value` to include (OR within a facet),
        `not-facet=value` to exclude, `as_of=YYYY-MM-DD`. Unknown facets or values raise
        InvalidQuery naming them."""
        include: dict[str, list[str]] = defaultdict(list)
        exclude: dict[str, list[str]] = defaultdict(list)
        for key in params:
            values = params.getlist(key) if hasattr(params, "getlist") else _as_list(params[key])
            if key in OTHER_KEYS:
                continue
            excluded = key.startswith("not-")
            facet = key[4:] if excluded else key
            if facet not in self.labels and facet not in {f.key for f in self.facets}:
                raise InvalidQuery(
                    key, "unknown_facet", _("“%(key)s” is not a facet.") % {"key": key}
                )
            for value in values:
                if not value:
                    continue
                if value not in self.labels[facet]:
                    raise InvalidQuery(
                        key,
                        "unknown_value",
                        _("“%(value)s” is not a value of the facet “%(facet)s”.")
                        % {"value": value, "facet": facet},
                        status=404,
                    )
                (exclude if excluded else include)[facet].append(value)
        as_of = None
        raw = params.get("as_of") if hasattr(params, "get") else None
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        if raw:
            try:
                as_of = datetime.date.fromisoformat(raw)
            except ValueError:
                raise InvalidQuery(
                    "as_of",
                    "invalid_date",
                    _("“%(value)s” is not a date (YYYY-MM-DD).") % {"value": raw},
                ) from None
        return MagnetQuery(
            include={k: tuple(dict.fromkeys(v)) for k, v in include.items()},
            exclude={k: tuple(dict.fromkeys(v)) for k, v in exclude.items()},
            as_of=as_of,
        )

    def _facet_filter(self, bitmaps, key: str, query: MagnetQuery) -> tuple[BitMap | None, BitMap]:
        """(what the facet's included values allow or None, what it excludes)."""
        values = bitmaps.get(key, {})
        included = query.include.get(key)
        allowed = BitMap.union(*[values[v] for v in included]) if included else None
        excluded_values = query.exclude.get(key, ())
        excluded = (
            BitMap.union(*[values[v] for v in excluded_values]) if excluded_values else BitMap()
        )
        return allowed, excluded

    def matching(self, query: MagnetQuery, *, without: str | None = None) -> BitMap:
        """The organisations the query finds (ignoring one facet's selection if asked)."""
        universe, bitmaps = self._bitmaps_on(query.as_of)
        result = BitMap(universe)
        for key in set(query.include) | set(query.exclude):
            if key == without:
                continue
            allowed, excluded = self._facet_filter(bitmaps, key, query)
            if allowed is not None:
                result &= allowed
            if excluded:
                result -= excluded
        return result

    def count(self, query: MagnetQuery) -> int:
        return len(self.matching(query))

    def facet_counts(self, query: MagnetQuery, *, keep_empty: bool = False) -> list[FacetCounts]:
        """Each facet value's count if it were toggled: one intersection per value, the
        facet's own selection ignored."""
        _universe, bitmaps = self._bitmaps_on(query.as_of)
        everything = self.matching(query)
        result = []
        for facet in self.facets:
            key = facet.key
            selected = key in query.include or key in query.exclude
            base = self.matching(query, without=key) if selected else everything
            values = []
            for code in self.order[key]:
                bitmap = bitmaps[key].get(code)
                count = base.intersection_cardinality(bitmap) if bitmap else 0
                chosen = code in query.include.get(key, ())
                excluded = code in query.exclude.get(key, ())
                if count or chosen or excluded or keep_empty:
                    values.append(
                        FacetValue(
                            code,
                            str(self.labels[key][code]),
                            count,
                            chosen,
                            excluded,
                            len(self._ancestors(key, code)) - 1,
                        )
                    )
            if values:
                result.append(FacetCounts(key, str(facet.label), values))
        return result

    def memory(self) -> int:
        """Bytes the bitmaps take once serialised (their size in memory, roughly)."""
        total = sum(
            bitmap.get_statistics()["n_bytes_array_containers"]
            + bitmap.get_statistics()["n_bytes_run_containers"]
            + bitmap.get_statistics()["n_bytes_bitset_containers"]
            for values in self.bitmaps.values()
            for bitmap in values.values()
        )
        return total


def _as_list(value) -> list:
    return list(value) if isinstance(value, list | tuple) else [value]


def registry_changes_prune(
    *, keep: datetime.timedelta = KEEP, now: datetime.datetime | None = None
) -> int:
    """Delete the changes older than `keep`, the newest excepted, so that an index behind
    them sees the gap; returns how many. Deletes the oldest ids only."""
    newest = RegistryChange.objects.aggregate(last=models.Max("pk"))["last"]
    old = RegistryChange.objects.filter(updated_at__lt=(now or timezone.now()) - keep).aggregate(
        last=models.Max("pk")
    )["last"]
    if newest is None or old is None:
        return 0
    deleted, _counts = RegistryChange.objects.filter(pk__lte=min(old, newest - 1)).delete()
    return deleted


_INDEX: MagnetIndex | None = None
_BUILD_LOCK = threading.Lock()


def magnet_index() -> MagnetIndex:
    """This process's index, built on first use and kept current with the database."""
    global _INDEX
    with _BUILD_LOCK:
        _INDEX = MagnetIndex.build() if _INDEX is None else _INDEX.refresh()
        return _INDEX


def magnet_index_reset() -> None:
    """Forget the index (tests, and after the database was replaced)."""
    global _INDEX
    with _BUILD_LOCK:
        _INDEX = None
