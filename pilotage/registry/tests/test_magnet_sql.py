"""For 200 random queries on demo data, every count of the magnet engine equals the
distinct count SQL gives, computed independently through the ORM."""

import datetime
import random
from urllib.parse import urlencode

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db.models import Q
from django.http import QueryDict

from pilotage.registry.demo import demo_registry_generate
from pilotage.registry.magnets import magnet_index
from pilotage.registry.models import Organisation, Relation
from pilotage.taxonomies.models import TermAssignment

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
FACETS = ["type", "province", "size", "technologies", "member_of", "laureate_of", "event"]


def running(day):
    if day is None:
        return Q()
    return (Q(start_date__isnull=True) | Q(start_date__lte=day)) & (
        Q(end_date__isnull=True) | Q(end_date__gte=day)
    )


def members(facet: str, codes, day) -> set[int]:
    """The organisations having any of these values, straight from the tables."""
    organisations = Organisation.objects.all()
    if facet == "type":
        return set(
            organisations.filter(
                Q(type__code__in=codes) | Q(type__parent__code__in=codes)
            ).values_list("pk", flat=True)
        )
    if facet == "province":
        return set(organisations.filter(province__code__in=codes).values_list("pk", flat=True))
    if facet == "size":
        return set(organisations.filter(size_band__in=codes).values_list("pk", flat=True))
    if facet == "technologies":
        return set(
            TermAssignment.objects.filter(
                content_type=ContentType.objects.get_for_model(Organisation),
                term__taxonomy__code="technologies",
                term__code__in=codes,
            ).values_list("object_id", flat=True)
        )
    relations = Relation.objects.filter(running(day))
    if facet == "member_of":
        relations = relations.filter(kind="member_of", target_organisation__code__in=codes)
    elif facet == "laureate_of":
        relations = relations.filter(kind="laureate_of", target_action__code__in=codes)
    else:
        relations = relations.filter(kind="participant_in").filter(
            Q(target_event__code__in=codes) | Q(target_event__type__code__in=codes)
        )
    return set(relations.values_list("organisation_id", flat=True))


def test_two_hundred_random_queries_count_what_sql_counts():
    call_command("load", no_progress=True, verbosity=0)
    demo_registry_generate(1200, seed=3)
    index = magnet_index()
    rng = random.Random(12)  # noqa: S311 (reproducible test data)
    universe = set(Organisation.objects.values_list("pk", flat=True))
    for _ in range(200):
        params, include, exclude = [], {}, {}
        for facet in rng.sample(FACETS, rng.randint(2, 3)):
            values = [code for code in index.order[facet] if index.bitmaps[facet][code]]
            chosen = rng.sample(values, min(len(values), rng.randint(1, 2)))
            if rng.random() < 0.2:
                exclude[facet] = chosen
                params += [(f"not-{facet}", code) for code in chosen]
            else:
                include[facet] = chosen
                params += [(facet, code) for code in chosen]
        day = datetime.date(rng.randint(2017, 2025), 6, 30) if rng.random() < 0.3 else None
        if day:
            params.append(("as_of", day.isoformat()))
        query = index.parse(QueryDict(urlencode(params)))

        def expected(without=None, include=include, exclude=exclude, day=day):
            found = set(universe)
            if day:
                found -= set(
                    Organisation.objects.filter(founded_on__gt=day).values_list("pk", flat=True)
                )
            for facet, codes in include.items():
                if facet != without:
                    found &= members(facet, codes, day)
            for facet, codes in exclude.items():
                if facet != without:
                    found -= members(facet, codes, day)
            return found

        assert index.count(query) == len(expected()), params
        counts = {facet.key: facet for facet in index.facet_counts(query, keep_empty=True)}
        for facet in rng.sample(FACETS, 2):  # two facets' every value, each query
            base = expected(without=facet)
            for value in counts[facet].values:
                assert value.count == len(base & members(facet, [value.code], day)), (
                    params,
                    facet,
                    value.code,
                )
