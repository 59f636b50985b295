"""Writes on organisations."""

from __future__ import annotations

from django.db import transaction

from pilotage.core.audit import acting_as
from pilotage.core.permissions import require
from pilotage.registry.models import Organisation
from pilotage.registry.permissions import (
    can_change_organisation,
    can_create_organisation,
    can_delete_organisation,
)


@transaction.atomic
def organisation_save(*, actor, organisation: Organisation) -> Organisation:
    """Create or change an organisation; its enterprise number is checked and normalised."""
    if organisation.pk is None:
        require(can_create_organisation(actor), "Only steering staff add organisations.")
    else:
        require(
            can_change_organisation(actor, organisation),
            "You may change only your own organisation.",
        )
    with acting_as(actor):
        organisation.full_clean()
        organisation.save()
    return organisation


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation) -> None:
    require(
        can_delete_organisation(actor, organisation), "Only steering staff remove organisations."
    )
    with acting_as(actor):
        organisation.delete()
