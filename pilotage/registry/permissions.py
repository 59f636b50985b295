"""Who may change organisations, and who may read persons and their affiliations."""

from __future__ import annotations

from pilotage.accounts.permissions import is_partner_editor, is_steering, owns


def can_create_organisation(user) -> bool:
    return is_steering(user)


def can_change_organisation(user, organisation=None) -> bool:
    """Steering staff, or a partner editor for its own organisation's profile."""
    if is_steering(user):
        return True
    return organisation is not None and owns(user, organisation.pk)


def can_delete_organisation(user, organisation=None) -> bool:
    return is_steering(user)


def can_view_person(user, person=None) -> bool:
    """Steering staff read every person; a partner editor the people of its organisation
    who have not refused display (GDPR minimisation); no one else reads a person.

    Without `person`, whether the user reads any at all (`persons_visible_to` narrows)."""
    if is_steering(user):
        return True
    if not is_partner_editor(user) or user.organisation_id is None:
        return False
    if person is None:
        return True
    return (
        not person.display_refusal
        and person.affiliations.filter(organisation_id=user.organisation_id).exists()
    )


def can_view_person_email(user, person=None) -> bool:
    """An e-mail address is read by whoever reads that very person, never on a page of
    persons in general (an add form, a list)."""
    return is_steering(user) or (person is not None and can_view_person(user, person))


def can_view_affiliation(user, affiliation=None) -> bool:
    """Steering staff, or a partner editor for its own organisation's affiliation of a
    person it reads."""
    if is_steering(user):
        return True
    if affiliation is None:
        return can_view_person(user)
    return owns(user, affiliation.organisation_id) and can_view_person(user, affiliation.person)
