"""Reads on the registry's persons, narrowed to what a user may read
(registry.permissions: `can_view_person`, `can_view_affiliation`)."""

from __future__ import annotations

from django.db import models

from pilotage.accounts.permissions import is_steering
from pilotage.registry.models import Affiliation, Person
from pilotage.registry.permissions import can_view_person


def persons_visible_to(
    user, queryset: models.QuerySet[Person] | None = None
) -> models.QuerySet[Person]:
    """The persons `user` may read: every one for steering staff; for a partner editor,
    those affiliated to its organisation who have not refused display; none otherwise."""
    queryset = Person.objects.all() if queryset is None else queryset
    if is_steering(user):
        return queryset
    if not can_view_person(user):
        return queryset.none()
    return queryset.filter(
        display_refusal=False,
        pk__in=Affiliation.objects.filter(organisation_id=user.organisation_id).values("person_id"),
    )


def affiliations_visible_to(
    user, queryset: models.QuerySet[Affiliation] | None = None
) -> models.QuerySet[Affiliation]:
    """The affiliations `user` may read: every one for steering staff; for a partner
    editor, its own organisation's, of persons who have not refused display."""
    queryset = Affiliation.objects.all() if queryset is None else queryset
    if is_steering(user):
        return queryset
    if not can_view_person(user):
        return queryset.none()
    return queryset.filter(organisation_id=user.organisation_id, person__display_refusal=False)
