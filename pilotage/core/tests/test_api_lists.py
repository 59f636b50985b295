"""Every API list in one envelope with one cursor paging; exact numbers; the actions'
date window, their undated ones and a node's scope meaning what they say."""

import datetime
import html
import re
from decimal import Decimal as D

import pytest
from django.http import QueryDict

from pilotage.core.api import json_text
from pilotage.dashboard.selectors import PAGE_SIZE, explorer
from pilotage.dashboard.tests.world import build_world, expected_count
from pilotage.registry.models import Magnet
from pilotage.strategies.models import Action
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db

ENVELOPE = {"count", "next", "next_cursor", "items"}
# Every list of the API, with a page smaller than the shipped data's list.
LISTS = [
    "/api/v1/strategies/?limit=2",
    "/api/v1/strategies/PM40/nodes/?limit=20",
    "/api/v1/strategies/PM40/nodes/?limit=1&parent=II",
    "/api/v1/actions/?limit=4",
    "/api/v1/actions/?limit=2&node=DW2016-2024:A2",
    "/api/v1/indicators/?limit=5",
    "/api/v1/observations/?limit=7",
    "/api/v1/budgets/lines?limit=20",
    "/api/v1/budgets/reconciliation?strategy=PM40&limit=5",
    "/api/v1/organisations/?limit=4",
    "/api/v1/registry/search?limit=4",
    "/api/v1/registry/magnets?limit=1",
    "/api/v1/taxonomies/?limit=3",
    "/api/v1/taxonomies/provinces/terms/?limit=2",
]
COUNT = re.compile(r'<p role="status" class="result-count">(\d+) ')
ACTION_LINK = re.compile(r'<li><a href="/actions/([^/"]+)/">')


def walk(client, url: str) -> tuple[list, list[dict]]:
    """Every item of a list and each page's envelope, following `next`."""
    items, pages = [], []
    while url:
        response = client.get(url)
        assert response.status_code == 200, (url, response.content[:300])
        body = response.json()
        assert set(body) >= ENVELOPE, url
        link = response.headers.get("Link")
        assert body["next"] == (link[1 : link.index(">")] if link else None), url
        assert (body["next"] is None) == (body["next_cursor"] is None), url
        items += body["items"]
        pages.append(body)
        url = body["next"] and body["next"].replace("http://testserver", "")
    return items, pages


@pytest.mark.parametrize("url", LISTS)
def test_every_list_pages_by_cursor_through_its_count(client, shipped_data, url):
    for code in ("M-ONE", "M-TWO"):
        Magnet.objects.create(code=code, title=code, query="", public=True)
    Magnet.objects.create(code="M-HIDDEN", title="Hidden", query="", public=False)
    items, pages = walk(client, url)
    assert len(pages) > 1, url
    assert {page["count"] for page in pages} == {len(items)}, url
    assert len({json_text(item) for item in items}) == len(items), url  # each item once


def test_every_list_in_the_schema_is_the_envelope_with_cursor_and_limit(client):
    schema = client.get("/api/v1/openapi.json").json()
    components = schema["components"]["schemas"]
    lists = set()
    for path, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
        answer = components[answer["$ref"].rsplit("/", 1)[-1]] if "$ref" in answer else answer
        assert answer.get("type") != "array", f"{path} answers a bare list"
        parameters = {parameter["name"] for parameter in operation.get("parameters", ())}
        if "items" in answer.get("properties", {}) or "limit" in parameters:
            lists.add(path)
            assert set(answer["required"]) >= ENVELOPE, path
            assert {"cursor", "limit"} <= parameters, path
    assert lists == {
        re.sub(r"\?.*", "", url).replace("PM40", "{code}").replace("provinces", "{code}")
        for url in LISTS
    }


def test_a_decimal_is_written_with_its_digits_as_recorded():
    assert json_text(
        {
            "big": D("1234567890123456.1234"),
            "stored": D("226.0000"),
            "share": D("0.4500"),
            "exponent": D("1E+3"),
            "tiny": D("1E-4"),
            "zero": D("-0.0000"),
            "none": D("NaN"),
            "count": 3,
            "flag": True,
            "text": "é\n",
        }
    ) == (
        '{"big":1234567890123456.1234,"stored":226,"share":0.45,"exponent":1000,'
        '"tiny":0.0001,"zero":0,"none":null,"count":3,"flag":true,"text":"\\u00e9\\n"}'
    )


def test_the_schema_and_the_description_say_numbers_are_exact(client):
    schema = client.get("/api/v1/openapi.json").json()
    assert "exact decimal digits" in schema["info"]["description"]
    value = schema["components"]["schemas"]["ObservationOut"]["properties"]["value"]
    assert {"type": "number"} in value["anyOf"]
    line = schema["components"]["schemas"]["LineOut"]["properties"]["amount"]
    assert line["type"] == "number"


# Dates ---------------------------------------------------------------------------------


def _api_count(client, **params) -> int:
    response = client.get("/api/v1/actions/", params)
    assert response.status_code == 200, response.content
    return response.json()["count"]


def _page_count(client, **params) -> int:
    response = client.get("/actions/", params)
    assert response.status_code == 200, response.content[:300]
    return int(COUNT.search(response.content.decode()).group(1))


def test_an_undated_action_matches_no_window_unless_undated_selects_it(client):
    world = build_world(actions=40)
    public = Action.objects.public()
    undated = public.filter(start_date=None, end_date=None).count()
    assert undated, "the world should have undated actions"
    day = datetime.date(2030, 1, 1)
    # By hand from the rows: a dated action runs from its start (if any) to its end (if any).
    running_then = sum(
        1
        for start, end in public.values_list("start_date", "end_date")
        if (start or end) and (end is None or end >= day)
    )

    cases = [
        ({"from": "2030-01-01"}, running_then),
        ({"from": "2030-01-01", "undated": "true"}, running_then + undated),
        ({"from": "2030-01-01", "undated": "false"}, running_then),
        ({"undated": "true"}, undated),
        ({"undated": "false"}, public.count() - undated),
        ({}, public.count()),
    ]
    for params, expected in cases:
        assert _api_count(client, **params) == _page_count(client, **params) == expected, params
    assert expected_count(world, {}, date_from=day) == running_then
    refused = client.get("/api/v1/actions/", {"undated": "maybe"})
    assert (refused.status_code, refused.json()["field"]) == (400, "undated")
    assert client.get("/actions/", {"undated": "maybe"}).status_code == 400


def test_the_action_filters_offer_the_undated_actions_as_a_choice(client):
    build_world(actions=10)
    box = re.compile(
        r'<input type="checkbox" id="filter-undated" name="undated" value="true"( checked)?>'
    )
    found = box.search(client.get("/actions/", {"from": "2030-01-01"}).content.decode())
    assert found and found.group(1) is None
    ticked = client.get("/actions/", {"from": "2030-01-01", "undated": "true"}).content.decode()
    assert box.search(ticked).group(1) == " checked"


def test_random_windows_with_undated_count_as_by_hand(client):
    world = build_world(seed=11, actions=30)
    statuses = ["planned", "running", "completed"]
    for index in range(12):
        selected = {"status": [statuses[index % 3]]} if index % 2 else {}
        date_from = datetime.date(2021 + index % 4, 6, 1) if index % 3 else None
        date_to = datetime.date(2024, 12, 31) if index % 4 == 1 else None
        undated = (None, True, False)[index % 3]
        params = {key: codes[0] for key, codes in selected.items()}
        if date_from:
            params["from"] = date_from.isoformat()
        if date_to:
            params["to"] = date_to.isoformat()
        if undated is not None:
            params["undated"] = "true" if undated else "false"
        expected = expected_count(
            world, selected, date_from=date_from, date_to=date_to, undated=undated
        )
        assert _api_count(client, **params) == _page_count(client, **params) == expected, params


# A node's scope ------------------------------------------------------------------------


def _page_codes(client, url: str) -> tuple[int, list[str]]:
    response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    text = response.content.decode()
    return int(COUNT.search(text).group(1)), ACTION_LINK.findall(text)


def test_the_node_filter_gives_the_node_pages_own_actions(client):
    world = build_world(actions=30)
    parent = world.nodes[0]
    child = StrategyNodeFactory(
        strategy=parent.strategy,
        parent=parent,
        level=StrategyLevelFactory(strategy=parent.strategy, code="programme", depth=1),
        code="A0.1",
    )
    below_only = ActionFactory(code="ACT-BELOW")
    below_only.nodes.set([child])
    for node in [*world.nodes, child]:
        scope = f"{node.strategy.code}:{node.code}"
        for filters in ({}, {"status": "running"}):
            count, codes = _page_codes(
                client,
                f"/strategies/{node.strategy.code}/{node.code}/"
                + ("?status=running" if filters else ""),
            )
            api = client.get("/api/v1/actions/", {"node": scope, "limit": 500, **filters}).json()
            assert api["count"] == count and len(codes) == min(count, PAGE_SIZE), scope
            assert codes or filters, scope
            assert [item["code"] for item in api["items"]][: len(codes)] == codes, scope
        # The page's own link: its explorer's query, scope included, as the API reads it.
        found = explorer(QueryDict("status=running&undated=false"), node=node)
        link = f"/api/v1/actions/?{found.query.api_querystring}&limit=500"
        assert link.startswith(f"/api/v1/actions/?node={scope}&status=running&undated=false")
        assert client.get(link).json()["count"] == found.total, scope
    parent_codes = client.get(
        "/api/v1/actions/", {"node": f"{parent.strategy.code}:{parent.code}", "limit": 500}
    ).json()["items"]
    assert "ACT-BELOW" in {item["code"] for item in parent_codes}  # the node's descendants too


API_LINK = re.compile(r'<a href="(/api/v1/actions/\?[^"]*)">')


def test_the_node_pages_api_link_lists_the_pages_own_actions(client):
    world = build_world(actions=30)
    for node in world.nodes:
        for query in ("", "?status=running"):
            page = f"/strategies/{node.strategy.code}/{node.code}/{query}"
            count, _codes = _page_codes(client, page)
            link = html.unescape(API_LINK.search(client.get(page).content.decode()).group(1))
            assert f"node={node.strategy.code}:{node.code}" in link
            assert client.get(link).json()["count"] == count, (page, link)


@pytest.mark.parametrize("value", ["S0:NOPE", "NOPE:A0", "A0", "DRAFT:D1"])
def test_a_node_filter_naming_no_public_node_is_a_404(client, value):
    build_world(actions=3)
    response = client.get("/api/v1/actions/", {"node": value})
    assert (response.status_code, response.json()["field"]) == (404, "node")
    assert client.get("/actions/", {"node": "S0:A0"}).status_code == 400  # the page's is its path
