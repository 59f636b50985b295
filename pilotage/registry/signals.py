"""Record every write the magnet index follows (see registry.magnets)."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import m2m_changed, post_delete, post_save

from pilotage.registry.models import Event, Organisation, RegistryChange, Relation
from pilotage.strategies.models import Action, ActionPartner, Strategy, StrategyNode
from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment


def registry_changed(organisation_ids: Iterable[int] | None = None) -> None:
    """Tell the magnet index that these organisations changed (None: anything may have)."""
    if organisation_ids is None:
        RegistryChange.objects.create(organisation_id=None)
    else:
        RegistryChange.objects.bulk_create(
            [RegistryChange(organisation_id=pk) for pk in set(organisation_ids)]
        )


def _organisation(sender, instance, **kwargs):
    registry_changed([instance.pk])


def _relation(sender, instance, **kwargs):
    registry_changed([instance.organisation_id])


def _partner(sender, instance, **kwargs):
    registry_changed([instance.organisation_id])


def _assignment(sender, instance, **kwargs):
    if instance.content_type_id == ContentType.objects.get_for_model(Organisation).pk:
        registry_changed([instance.object_id])


def _anything(sender, **kwargs):
    registry_changed(None)


def connect() -> None:
    for model, receiver in (
        (Organisation, _organisation),
        (Relation, _relation),
        (ActionPartner, _partner),
        (TermAssignment, _assignment),
        (Action, _anything),
        (Event, _anything),
        (StrategyNode, _anything),
        (Strategy, _anything),
        (Term, _anything),
        (Taxonomy, _anything),
    ):
        post_save.connect(receiver, sender=model, dispatch_uid=f"magnets-{model.__name__}-save")
        post_delete.connect(receiver, sender=model, dispatch_uid=f"magnets-{model.__name__}-del")
    m2m_changed.connect(_anything, sender=Action.nodes.through, dispatch_uid="magnets-nodes")
