"""Writes on the registry: organisations, persons, events, relations, magnets."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import QueryDict

from pilotage.core.audit import acting_as
from pilotage.core.permissions import require
from pilotage.core.revisions import ChangeKind, changed
from pilotage.indicators.services import observation_record, observation_transition
from pilotage.registry.geo import province_at
from pilotage.registry.magnets import InvalidQuery, magnet_index
from pilotage.registry.models import Event, Magnet, Organisation, Person, Relation
from pilotage.registry.permissions import (
    can_change_organisation,
    can_create_organisation,
    can_delete_organisation,
)
from pilotage.taxonomies.models import Term


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
    organisation_locate(organisation)
    with acting_as(actor):
        organisation.full_clean()
        organisation.save()
    changed(ChangeKind.LABEL)  # the public pages show it
    return organisation


def organisation_locate(organisation: Organisation) -> None:
    """Give a located organisation without a province the one its point lies in."""
    if organisation.province_id is None and organisation.latitude is not None:
        code = province_at(float(organisation.latitude), float(organisation.longitude))
        if code is not None:
            organisation.province = Term.objects.get(taxonomy__code="provinces", code=code)


@transaction.atomic
def organisation_delete(*, actor, organisation: Organisation) -> None:
    require(
        can_delete_organisation(actor, organisation), "Only steering staff remove organisations."
    )
    with acting_as(actor):
        organisation.delete()
    changed(ChangeKind.LABEL)  # the public pages show it


def _steering_write(actor, record, message: str):
    require(can_create_organisation(actor), message)
    with acting_as(actor):
        record.full_clean()
        record.save()
    return record


@transaction.atomic
def relation_save(*, actor, relation: Relation) -> Relation:
    """Record or change a relation. Steering staff, or a partner editor for a relation of
    their own organisation."""
    require(
        can_change_organisation(actor, relation.organisation),
        "You may record relations of your own organisation only.",
    )
    with acting_as(actor):
        relation.full_clean()
        relation.save()
    return relation


@transaction.atomic
def relation_delete(*, actor, relation: Relation) -> None:
    require(
        can_change_organisation(actor, relation.organisation),
        "You may remove relations of your own organisation only.",
    )
    with acting_as(actor):
        relation.delete()


@transaction.atomic
def person_save(*, actor, person: Person) -> Person:
    return _steering_write(actor, person, "Only steering staff record persons.")


@transaction.atomic
def record_save(*, actor, record):
    """Persons, affiliations, events, publications: steering staff write them."""
    return _steering_write(actor, record, "Only steering staff change the registry.")


@transaction.atomic
def record_delete(*, actor, record) -> None:
    require(can_create_organisation(actor), "Only steering staff change the registry.")
    with acting_as(actor):
        record.delete()


def magnet_query_clean(text: str) -> str:
    """The query of a registry search as people copy it: the whole address, or its part
    from the "?", is taken as the part after the "?" (a fragment left out). Neither a
    facet nor a value holds a "?" of its own: in an address it is written %3F."""
    query = text.strip().split("#", 1)[0]
    return query.split("?", 1)[1] if "?" in query else query


@transaction.atomic
def magnet_save(*, actor, magnet: Magnet) -> Magnet:
    """Save a magnet once its query reads (unknown facets are refused)."""
    magnet.query = magnet_query_clean(magnet.query)
    try:
        magnet_index().parse(QueryDict(magnet.query))
    except InvalidQuery as error:
        raise ValidationError({"query": error.message}, code=error.code) from error
    return _steering_write(actor, magnet, "Only steering staff save magnets.")


def magnet_count(magnet: Magnet, *, as_of: datetime.date | None = None) -> int:
    """How many organisations the magnet finds (as of a date: its relations then)."""
    index = magnet_index()
    query = index.parse(QueryDict(magnet.query))
    if as_of is not None:
        query = type(query)(include=query.include, exclude=query.exclude, as_of=as_of)
    return index.count(query)


@transaction.atomic
def magnet_observe(
    *, actor, magnet: Magnet, period_start: datetime.date, period_end: datetime.date
):
    """Report the magnet's count as of the end of a period as its indicator's value,
    submitted for validation like any reported value (so the count has a history)."""
    require(magnet.indicator_id is not None, f"The magnet {magnet.code} feeds no indicator.")
    count = magnet_count(magnet, as_of=period_end)
    observation = observation_record(
        actor=actor,
        indicator=magnet.indicator,
        period_start=period_start,
        period_end=period_end,
        value=count,
        comment=f"Counted by the magnet {magnet.code} as of {period_end.isoformat()}.",
    )
    if observation.state == "draft":
        observation = observation_transition(
            actor=actor, observation=observation, transition="submit"
        )
    return observation


@transaction.atomic
def event_organisers_set(*, actor, event: Event, organisers: list[Organisation]) -> None:
    """Make `organisers` the event's organisers (steering staff), writing only what differs."""
    require(can_create_organisation(actor), "Only steering staff change the registry.")
    if {o.pk for o in event.organisers.all()} == {o.pk for o in organisers}:
        return
    with acting_as(actor):
        event.organisers.set(organisers)
    changed(ChangeKind.LABEL)  # the public pages show it
