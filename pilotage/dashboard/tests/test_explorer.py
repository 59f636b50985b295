"""Actions with facets: the page, the API and an independent count agree; bad filters get
a 400 naming them; drafts never show; the number of queries does not grow with the data."""

import datetime
import random
import re
from decimal import Decimal as D

import pytest
from django.db import connection
from django.http import QueryDict
from django.test.utils import CaptureQueriesContext

from pilotage.core.revisions import ChangeKind, changed
from pilotage.dashboard.selectors import explorer
from pilotage.dashboard.tests.world import add_actions, build_world, expected_count
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.facets import (
    InvalidFilter,
    Vocabulary,
    actions_filter,
    actions_query_parse,
    facet_counts,
)

pytestmark = pytest.mark.django_db

COUNT = re.compile(r'<p role="status" class="result-count">(\d+) ')


def page_count(client, query: str) -> int:
    response = client.get(f"/actions/?{query}")
    assert response.status_code == 200, response.content[:500]
    return int(COUNT.search(response.content.decode()).group(1))


def random_selection(world, rng):
    choices = {
        "strategy": [s.code for s in world.strategies],
        "type": [t.code for t in world.terms["action-types"]],
        "audience": [t.code for t in world.terms["target-audiences"]],
        "status": ["planned", "running", "completed"],
        "lead": sorted({code for truth in world.truth.values() for code in truth["lead"]}),
        "province": [t.code for t in world.terms["provinces"]],
        "funding": [t.code for t in world.terms["funding-sources"]],
    }
    keys = rng.sample(sorted(choices), rng.randrange(1, 4))
    return {key: rng.sample(choices[key], rng.randrange(1, 3)) for key in keys}


def test_fifty_random_filter_combinations_count_the_same_on_the_page_in_the_api_and_by_hand(
    client,
):
    world = build_world()
    rng = random.Random(2026)  # noqa: S311 (reproducible test data)
    for _ in range(50):
        selected = random_selection(world, rng)
        date_from = datetime.date(2021, 6, 1) if rng.random() < 0.3 else None
        query = "&".join(f"{key}={code}" for key, codes in selected.items() for code in codes)
        if date_from:
            query += f"&from={date_from.isoformat()}"
        expected = expected_count(world, selected, date_from=date_from)
        api = client.get(f"/api/v1/actions/?{query}").json()
        assert api["count"] == expected, query
        assert page_count(client, query) == expected, query


def test_a_facet_counts_what_toggling_each_value_would_give_ignoring_its_own_selection():
    world = build_world()
    vocabulary = Vocabulary.load()
    query = actions_query_parse({"province": ["namur"], "status": ["running"]}, vocabulary)
    facets = {facet.key: facet for facet in facet_counts(query, vocabulary)}
    for value in facets["province"].values:
        # Counts of the province facet ignore the province selection: "status=running" only.
        assert value.count == expected_count(
            world, {"status": ["running"], "province": [value.code]}
        )
    for value in facets["type"].values:
        assert value.count == expected_count(
            world, {"status": ["running"], "province": ["namur"], "type": [value.code]}
        )


def test_a_parent_term_counts_distinct_actions_of_its_children_never_a_sum():
    world = build_world()
    vocabulary = Vocabulary.load()
    facets = {f.key: f for f in facet_counts(actions_query_parse({}, vocabulary), vocabulary)}
    funding = {value.code: value for value in facets["funding"].values}
    both = sum(
        1
        for truth in world.truth.values()
        if {"erdf-transition", "erdf-developed"} <= truth["funding"]
    )
    assert both, "the world should have actions funded by both zones"
    assert funding["erdf"].count == (
        funding["erdf-transition"].count + funding["erdf-developed"].count - both
    )
    assert funding["erdf"].depth == 0 and funding["erdf-transition"].depth == 1
    parent_selected = actions_filter(
        actions_query_parse({"funding": ["erdf"]}, vocabulary), vocabulary
    )
    assert parent_selected.count() == funding["erdf"].count


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"colour": ["red"]}, "colour", "unknown_filter"),
        ({"type": ["nonexistent"]}, "type", "unknown_value"),
        ({"from": ["2024-02-30"]}, "from", "invalid_date"),
    ],
)
def test_a_filter_pilotage_cannot_apply_is_refused_with_its_name(params, field, code):
    build_world(actions=3)
    with pytest.raises(InvalidFilter) as refused:
        actions_query_parse(params, Vocabulary.load())
    assert (refused.value.field, refused.value.code) == (field, code)


def test_bad_addresses_get_a_friendly_page_in_the_visitors_language_never_a_500(client):
    build_world(actions=3)
    french = client.get("/actions/?type=nonexistent")
    assert french.status_code == 400
    assert "nonexistent" in french.content.decode() and 'lang="fr"' in french.content.decode()
    english = client.get("/en/actions/?from=yesterday")
    assert english.status_code == 400
    assert "is not a date" in english.content.decode()
    # A period ending before it starts: no action runs in it, and the page says why.
    backwards = client.get("/actions/?from=2025-01-01&to=2024-01-01")
    assert backwards.status_code == 400
    assert "La fin de la période précède son début." in backwards.content.decode()
    assert client.get("/actions/?page=0").status_code == 400
    assert client.get("/actions/?page=99").status_code == 404
    assert client.get("/actions/NO-SUCH-ACTION/").status_code == 404
    assert client.get("/strategies/S0/NO-SUCH-NODE/").status_code == 404
    assert client.get("/indicators/NO-SUCH-INDICATOR/").status_code == 404
    api = client.get("/api/v1/actions/?province=atlantis")
    assert api.status_code == 404
    assert api.json() | {"detail": ""} == {
        "code": "unknown_value",
        "field": "province",
        "detail": "",
    }


def test_actions_of_draft_strategies_never_appear(client):
    world = build_world(actions=5)
    page = client.get("/actions/").content.decode()
    api = client.get("/api/v1/actions/?limit=100").json()
    assert api["count"] == len(world.actions)
    for hidden in world.draft_actions:
        assert hidden.title not in page
        assert hidden.code not in {item["code"] for item in api["items"]}
        assert client.get(f"/actions/{hidden.code}/").status_code == 404
    assert client.get("/actions/?strategy=DRAFT").status_code == 400
    assert client.get("/strategies/DRAFT/D1/").status_code == 404


def queries_for(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "url",
    [
        "/actions/",
        "/actions/?province=namur&province=liege&type=call&type=cheque",
        "/strategies/S0/A0/",
        "/api/v1/actions/",
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_actions(client, url):
    world = build_world(seed=1, actions=30)
    query = url.partition("?")[2]
    assert page_count(client, query) > 0  # an empty page would skip a query
    few = queries_for(client, url)
    add_actions(world, 90, seed=2)
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    assert page_count(client, query) > 25  # now more than one page of results
    assert queries_for(client, url) == few


def test_the_map_and_the_chart_show_how_the_results_spread():
    world = build_world()
    shown = explorer(QueryDict("type=call&province=namur&status=running&status=planned"))
    assert shown.total == expected_count(
        world, {"type": ["call"], "province": ["namur"], "status": ["running", "planned"]}
    )
    assert [row["count"] for row in shown.chart["data"]["values"]] == [shown.total]
    counts = {province["code"]: province["count"] for province in shown.map["provinces"]}
    assert counts.pop("namur") == shown.total
    assert set(counts.values()) == {0}
    everything = explorer(QueryDict(""))
    by_province = {p["code"]: p["count"] for p in everything.map["provinces"]}
    assert by_province["liege"] == expected_count(world, {"province": ["liege"]})


# What a 2025 value says of an indicator going from 0 (2024) to 100 (2028): about 50 is
# expected by the end of 2025.
BY_VALUE = {D(10): "at_risk", D(45): "behind", D(55): "on_track", D(100): "achieved"}


def test_which_actions_are_at_risk_is_answered_on_the_page_and_in_the_api(client):
    world = build_world(seed=3, actions=24)
    rng = random.Random(12)  # noqa: S311 (reproducible test data)
    statuses: dict[str, set[str]] = {}  # action code → its indicators' statuses, by hand
    for action in world.actions:
        statuses[action.code] = set()
        for n in range(rng.randrange(0, 4)):
            value = rng.choice([*BY_VALUE, None])
            indicator = IndicatorFactory(
                action=action,
                code=f"{action.code}-{n}",
                baseline_value=D(0),
                baseline_date=datetime.date(2024, 1, 1),
                target_value=D(100),
                target_date=datetime.date(2028, 1, 1),
            )
            if value is None:
                statuses[action.code].add("no_data")
                continue
            ObservationFactory(
                indicator=indicator,
                period_start=datetime.date(2025, 1, 1),
                period_end=datetime.date(2025, 12, 31),
                value=value,
            )
            statuses[action.code].add(BY_VALUE[value])
    at_risk = sorted(code for code, found in statuses.items() if "at_risk" in found)
    assert 0 < len(at_risk) < len(world.actions)

    page = client.get("/actions/?progress=at_risk").content.decode()
    api = client.get("/api/v1/actions/?progress=at_risk&limit=100").json()

    assert int(COUNT.search(page).group(1)) == len(at_risk) == api["count"]
    assert sorted(item["code"] for item in api["items"]) == at_risk
    # Beside each status, the actions it would give (whatever is ticked: multi-select).
    facet = next(facet for facet in api["facets"] if facet["key"] == "progress")
    by_hand = {
        status: sum(1 for found in statuses.values() if status in found)
        for status in ("achieved", "on_track", "behind", "at_risk", "no_data")
    }
    assert {value["code"]: value["count"] for value in facet["values"]} == {
        status: count for status, count in by_hand.items() if count
    }
    assert "<legend>Statut des indicateurs</legend>" in page
    # And with another facet: at risk, or behind, among the first strategy's actions.
    s0 = {a.code for a in world.actions if "S0" in world.truth[a.pk]["strategy"]}
    either = [c for c in s0 if statuses[c] & {"at_risk", "behind"}]
    page = client.get("/actions/?strategy=S0&progress=at_risk&progress=behind").content.decode()
    assert int(COUNT.search(page).group(1)) == len(either)
