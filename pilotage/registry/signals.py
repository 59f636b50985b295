"""Record the writes the magnet index reads (see registry.magnets), and only those.

`READS` names, model by model, the columns the index reads (every language's column of a
translated one) and what a change of them reaches. A save compares those columns as
stored before (pre_save) and after (post_save), one query by primary key each, so a save
that leaves them alone records nothing; a creation or a deletion is a change.

What only some organisations' memberships see (their own fields, a relation, a
partnership, a lead, a tag) records those organisations, the one a link left as well as
the one it joined. What the index's vocabulary sees (a label, a code, a tree, which
strategies are public and which actions serve them, a new facet or relation target)
records None, which rebuilds the index of every process at its next query. Nodes and
strategies that are not public are not read at all.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete, pre_save
from django.utils import timezone
from modeltranslation.settings import AVAILABLE_LANGUAGES
from modeltranslation.utils import build_localized_fieldname

from pilotage.registry.magnets import PRUNE_AFTER, registry_changes_prune
from pilotage.registry.models import Event, Organisation, RegistryChange, Relation
from pilotage.strategies.models import Action, ActionPartner, Strategy, StrategyNode
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment

Snapshot = dict[str, object]
# What a change reaches: these organisations, or None for anything (a rebuild).
Reach = set[int] | None
STORED = "_magnet_stored"  # the snapshot taken before a save or a delete, on the instance


def registry_changed(organisation_ids: Iterable[int] | None = None) -> None:
    """Tell the magnet index that these organisations changed (None: anything may have)."""
    if organisation_ids is None:
        RegistryChange.objects.create(organisation_id=None)
    else:
        ids = set(organisation_ids)
        if not ids:
            return
        RegistryChange.objects.bulk_create([RegistryChange(organisation_id=pk) for pk in ids])
    # Pruning waits until the oldest row is an hour past its day, so it runs about hourly.
    oldest = RegistryChange.objects.order_by("pk").values_list("updated_at", flat=True).first()
    if oldest is not None and oldest < timezone.now() - PRUNE_AFTER:
        registry_changes_prune()


def _each_language(*names: str) -> tuple[str, ...]:
    return tuple(build_localized_fieldname(n, lang) for n in names for lang in AVAILABLE_LANGUAGES)


def _differ(before: Snapshot | None, after: Snapshot | None, fields: Iterable[str]) -> bool:
    return before is None or after is None or any(before[f] != after[f] for f in fields)


def _first(before: Snapshot | None, after: Snapshot | None, key: str) -> bool:
    """Whether the record is now the first to have its `key` (`shared`: others have it):
    a new value of the index's vocabulary, labelled only by a rebuild. (The last one
    leaving keeps the value, counting none, until the next rebuild.)"""
    return (
        after is not None
        and after[key] is not None
        and not after["shared"]
        and (before is None or before[key] != after[key])
    )


@dataclass(frozen=True)
class Reads:
    """The columns the index reads of a model, computed columns (`annotations`) included,
    and what a change reaches given the snapshots before and after (None: created or
    deleted)."""

    fields: tuple[str, ...]
    reach: Callable[[Snapshot | None, Snapshot | None], Reach]
    annotations: Callable[[], dict] = dict

    def snapshot(self, model: type[models.Model], pk) -> Snapshot | None:
        if pk is None:
            return None
        rows = model._base_manager.filter(pk=pk).values("pk", *self.fields, **self.annotations())
        return rows.first()


def _vocabulary(*fields: str) -> Reads:
    """A record of the vocabulary: labels, codes, order and trees, read in every case."""
    return Reads(fields, lambda before, after: None if _differ(before, after, fields) else set())


def _public_vocabulary(fields: tuple[str, ...], public: Callable[[], models.Expression]) -> Reads:
    """A record of the vocabulary read only while `public` holds (then it is a change too)."""

    def reach(before: Snapshot | None, after: Snapshot | None) -> Reach:
        if not any(snapshot and snapshot["public"] for snapshot in (before, after)):
            return set()
        return None if _differ(before, after, (*fields, "public")) else set()

    return Reads(fields, reach, lambda: {"public": public()})


ACTION_NAMES = ("code", *_each_language("title"))


def _action(before: Snapshot | None, after: Snapshot | None) -> Reach:
    # Its code keys every membership of it, its title labels it; its lead is one membership.
    if _differ(before, after, ACTION_NAMES):
        return None
    if before["lead_id"] != after["lead_id"]:
        return {before["lead_id"], after["lead_id"]} - {None}
    return set()


ORGANISATION_OWN = ("type_id", "province_id", "size_band", "founded_on", "nace_code")


def _organisation(before: Snapshot | None, after: Snapshot | None) -> Reach:
    # A relation's target is a value of member_of and incubated_by, keyed by its code and
    # labelled by its name.
    targeted = any(snapshot and snapshot["target"] for snapshot in (before, after))
    if targeted and _differ(before, after, ("code", "name")):
        return None
    if _differ(before, after, ORGANISATION_OWN):
        return {(before or after)["pk"]}
    return set()


RELATION = (
    "organisation_id",
    "kind",
    "target_organisation_id",
    "target_action_id",
    "target_event_id",
    "start_date",
    "end_date",
)


def _relation(before: Snapshot | None, after: Snapshot | None) -> Reach:
    if not _differ(before, after, RELATION):
        return set()
    if _first(before, after, "target_organisation_id"):
        return None  # an organisation becomes a relation's target
    return {snapshot["organisation_id"] for snapshot in (before, after) if snapshot}


def _partnership(before: Snapshot | None, after: Snapshot | None) -> Reach:
    if not _differ(before, after, ("action_id", "organisation_id")):
        return set()
    return {snapshot["organisation_id"] for snapshot in (before, after) if snapshot}


def _assignment(before: Snapshot | None, after: Snapshot | None) -> Reach:
    organisation = ContentType.objects.get_for_model(Organisation).pk
    before, after = (
        snapshot if snapshot and snapshot["content_type_id"] == organisation else None
        for snapshot in (before, after)
    )
    if (before is None and after is None) or not _differ(before, after, ("term_id", "object_id")):
        return set()
    if _first(before, after, "taxonomy"):
        return None  # a taxonomy becomes a facet of organisations
    return {snapshot["object_id"] for snapshot in (before, after) if snapshot}


def _public_strategy(pk: str) -> models.Expression:
    return models.Exists(Strategy.objects.public().filter(pk=models.OuterRef(pk)))


def _targeted() -> dict:
    inbound = Relation.objects.filter(target_organisation=models.OuterRef("pk"))
    return {"target": models.Exists(inbound)}


def _target_shared() -> dict:
    others = Relation.objects.filter(
        target_organisation=models.OuterRef("target_organisation")
    ).exclude(pk=models.OuterRef("pk"))
    return {"shared": models.Exists(others)}


def _taxonomy_shared() -> dict:
    others = TermAssignment.objects.filter(
        content_type=models.OuterRef("content_type"),
        term__taxonomy=models.OuterRef("term__taxonomy"),
    ).exclude(pk=models.OuterRef("pk"))
    return {"taxonomy": models.F("term__taxonomy"), "shared": models.Exists(others)}


READS: dict[type[models.Model], Reads] = {
    Action: Reads((*ACTION_NAMES, "lead_id"), _action),
    Event: _vocabulary("code", *_each_language("title"), "type_id", "start_date"),
    Term: _vocabulary("taxonomy_id", "parent_id", "code", *_each_language("label"), "order"),
    Taxonomy: _vocabulary("code", *_each_language("title", "label")),
    Strategy: _public_vocabulary(("code", "period_start"), lambda: _public_strategy("pk")),
    StrategyNode: _public_vocabulary(
        ("strategy_id", "parent_id", "code", *_each_language("title"), "order"),
        lambda: _public_strategy("strategy_id"),
    ),
    Organisation: Reads((*ORGANISATION_OWN, "code", "name"), _organisation, _targeted),
    Relation: Reads(RELATION, _relation, _target_shared),
    ActionPartner: Reads(("action_id", "organisation_id"), _partnership),
    TermAssignment: Reads(
        ("term_id", "content_type_id", "object_id"), _assignment, _taxonomy_shared
    ),
}


def _record(reach: Reach) -> None:
    if reach is None or reach:
        registry_changed(reach)


def _stored(sender, instance, **kwargs) -> None:
    """Before a save or a delete: what the index reads of the record, as stored."""
    instance.__dict__[STORED] = READS[sender].snapshot(sender, instance.pk)


def _saved(sender, instance, created, **kwargs) -> None:
    reads = READS[sender]
    before = instance.__dict__.pop(STORED, None)
    _record(reads.reach(None if created else before, reads.snapshot(sender, instance.pk)))


def _deleted(sender, instance, **kwargs) -> None:
    before = instance.__dict__.pop(STORED, None)
    _record(None if before is None else READS[sender].reach(before, None))


def _nodes(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """An action joins or leaves nodes: the public actions and the programmes change when
    a node is of a public strategy."""
    public = Strategy.objects.public()
    if action == "pre_clear":
        links = Action.nodes.through.objects.filter(
            **{"strategynode" if reverse else "action": instance},
            strategynode__strategy__in=public,
        )
        if links.exists():
            registry_changed(None)
    elif action in ("post_add", "post_remove") and pk_set:
        nodes = StrategyNode.objects.filter(pk__in=[instance.pk] if reverse else pk_set)
        if nodes.filter(strategy__in=public).exists():
            registry_changed(None)


def connect() -> None:
    for model in READS:
        name = model.__name__
        pre_save.connect(_stored, sender=model, dispatch_uid=f"magnets-{name}-before-save")
        pre_delete.connect(_stored, sender=model, dispatch_uid=f"magnets-{name}-before-del")
        post_save.connect(_saved, sender=model, dispatch_uid=f"magnets-{name}-save")
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"magnets-{name}-del")
    m2m_changed.connect(_nodes, sender=Action.nodes.through, dispatch_uid="magnets-nodes")
