"""The public JSON API: reads, cursor pagination, conditional requests, CORS, rate limits
and bad input, on the shipped data where the numbers matter."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.cache import cache
from django.test import override_settings

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.revisions import ChangeKind, changed
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.readmodel import read_model
from pilotage.indicators.selectors import indicator_list_public
from pilotage.indicators.services import observation_record, observation_transition
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.registry.models import Organisation
from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import Action, StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


def walk(client, url: str) -> list:
    """Every item of a cursor-paginated list, following the Link headers."""
    items, pages = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        items += body["items"]
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://testserver", "") if link else None
        # The envelope's `next` is the Link header's address.
        assert body["next"] == (link[1 : link.index(">")] if link else None)
        pages += 1
    return items, pages


@pytest.fixture
def public_action():
    node = StrategyNodeFactory(strategy__code="S1", code="A1")
    action = ActionFactory(code="ACT-PUBLIC")
    action.nodes.add(node)
    return action


@pytest.fixture
def draft_action():
    node = StrategyNodeFactory(strategy__code="DRAFT", strategy__status=StrategyStatus.DRAFT)
    action = ActionFactory(code="ACT-DRAFT")
    action.nodes.add(node)
    return action


# Reads -----------------------------------------------------------------------------------


def test_strategies_and_nodes_read_as_the_data_says(client, shipped_data):
    strategies = client.get("/api/v1/strategies/").json()["items"]
    assert {"PM40", "DW2024-2029"} <= {s["code"] for s in strategies}
    pm40 = client.get("/api/v1/strategies/PM40").json()
    assert [level["depth"] for level in pm40["levels"]] == sorted(
        level["depth"] for level in pm40["levels"]
    )
    nodes, _pages = walk(client, "/api/v1/strategies/PM40/nodes/?limit=50")
    assert len(nodes) == pm40["nodes"]
    axes = client.get("/api/v1/strategies/PM40/nodes/", {"parent": "II"}).json()["items"]
    assert axes and {n["parent"] for n in axes} == {"II"}
    node = client.get("/api/v1/strategies/PM40/nodes/II.1").json()
    assert node["ancestors"] == ["II"] and node["parent"] == "II"
    assert client.get("/api/v1/strategies/PM40/nodes/NOPE").status_code == 404
    assert client.get("/api/v1/strategies/NOPE").json()["code"] == "not_found"


def test_a_draft_strategy_and_what_serves_only_it_are_never_public(
    client, public_action, draft_action
):
    IndicatorFactory(code="KPI-DRAFT", action=draft_action)
    IndicatorFactory(code="KPI-PUBLIC", action=public_action)
    listed = client.get("/api/v1/strategies/").json()["items"]
    assert "DRAFT" not in {s["code"] for s in listed}
    assert client.get("/api/v1/strategies/DRAFT").status_code == 404
    assert client.get("/api/v1/strategies/DRAFT/nodes/").status_code == 404
    assert client.get("/api/v1/actions/ACT-DRAFT").status_code == 404
    assert client.get("/api/v1/actions/ACT-PUBLIC").json()["code"] == "ACT-PUBLIC"
    indicators = client.get("/api/v1/indicators/").json()["items"]
    assert [i["code"] for i in indicators] == ["KPI-PUBLIC"]
    assert client.get("/api/v1/indicators/KPI-DRAFT").status_code == 404


def test_action_detail_gives_its_indicators_with_the_pages_statuses(client, shipped_data):
    indicator = indicator_list_public().exclude(action=None).order_by("code").first()
    body = client.get(f"/api/v1/actions/{indicator.action.code}").json()
    expected = read_model().assessment(indicator.pk)
    found = next(i for i in body["indicators"] if i["code"] == indicator.code)
    assert found["assessment"]["status"] == expected.status


def test_observations_are_published_only_with_the_status_as_of_their_period(client, public_action):
    indicator = IndicatorFactory(code="KPI", action=public_action)
    for year, value, state in [
        (2024, 10, State.PUBLISHED),
        (2025, 45, State.PUBLISHED),
        (2026, 99, State.SUBMITTED),
        (2027, 98, State.VALIDATED),
        (2028, 97, State.DRAFT),
    ]:
        day = datetime.date(year, 12, 31)
        ObservationFactory(
            indicator=indicator, period_start=day, period_end=day, value=D(value), state=state
        )
    body = client.get("/api/v1/observations/", {"indicator": "KPI"}).json()["items"]
    assert [o["value"] for o in body] == [10, 45]
    assert {o["state"] for o in body} == {"published"}
    assert all(o["status"] and o["explanation"] for o in body)
    assert (
        client.get("/api/v1/observations/", {"from": "2025-01-01"}).json()["items"][0]["value"]
        == (body[1]["value"])
    )
    assert client.get("/api/v1/observations/", {"strategy": "S1"}).json()["items"] == body
    assert client.get("/api/v1/observations/", {"action": "ACT-PUBLIC"}).json()["items"] == body


def test_organisations_show_public_fields_only(client):
    OrganisationFactory(code="ORG", name="Agence", website="https://example.org/")
    body = client.get("/api/v1/organisations/ORG").json()
    assert set(body) == {"code", "name", "type", "province", "website", "description"}
    listed = client.get("/api/v1/organisations/").json()["items"]
    assert all(set(item) == set(body) for item in listed)


def test_taxonomies_and_their_terms(client, shipped_data):
    taxonomies = {t["code"]: t for t in client.get("/api/v1/taxonomies/").json()["items"]}
    terms, _pages = walk(client, "/api/v1/taxonomies/provinces/terms/?limit=3")
    assert len(terms) == taxonomies["provinces"]["terms"] > 3
    assert client.get("/api/v1/taxonomies/nope/terms/").status_code == 404


# Cursor pagination -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, total",
    [
        ("/api/v1/organisations/?limit=4", lambda: Organisation.objects.count()),
        ("/api/v1/indicators/?limit=5", lambda: indicator_list_public().count()),
        ("/api/v1/observations/?limit=7", None),
        ("/api/v1/actions/?limit=4", None),
    ],
)
def test_a_cursor_walk_gives_every_item_once_in_order(client, shipped_data, url, total):
    items, pages = walk(client, url)
    keys = [
        (item.get("indicator", ""), item.get("period_start", ""), item.get("code", ""))
        for item in items
    ]
    assert pages > 1
    assert len(set(map(str, items))) == len(items)
    if "observations" not in url:
        assert keys == sorted(keys)
    else:
        assert [k[0] for k in keys] == sorted(k[0] for k in keys)
    if total is not None:
        assert len(items) == total()
    if "actions" in url:
        assert len(items) == client.get(url).json()["count"]
        assert client.get(url).json()["facets"]


def test_the_actions_page_numbers_still_work_beside_the_cursor(client, shipped_data):
    first = client.get("/api/v1/actions/?limit=5").json()
    second_by_page = client.get("/api/v1/actions/?limit=5&page=2").json()
    second_by_cursor = client.get(
        "/api/v1/actions/", {"limit": 5, "cursor": first["next_cursor"]}
    ).json()
    assert second_by_page["items"] == second_by_cursor["items"]
    assert second_by_page["count"] == first["count"]


@pytest.mark.parametrize(
    "url, status, code, field",
    [
        ("/api/v1/organisations/?cursor=garbage", 404, "invalid_cursor", "cursor"),
        ("/api/v1/observations/?cursor=WyJhIl0:1:forged", 404, "invalid_cursor", "cursor"),
        ("/api/v1/actions/?cursor=garbage", 404, "invalid_cursor", "cursor"),
        ("/api/v1/actions/?cursor=garbage&page=2", 404, "invalid_cursor", "cursor"),
        ("/api/v1/indicators/?limit=501", 400, "limit_too_large", "limit"),
        ("/api/v1/actions/?limit=100000", 400, "limit_too_large", "limit"),
        ("/api/v1/observations/?limit=0", 422, "malformed", "limit"),
        ("/api/v1/observations/?limit=ten", 422, "malformed", "limit"),
        ("/api/v1/observations/?from=yesterday", 422, "malformed", "from"),
        # A date is YYYY-MM-DD, as the schema's `format: date` says (not 0, not 20240101).
        ("/api/v1/observations/?to=0", 422, "malformed", "to"),
        ("/api/v1/actions/?from=20240101", 422, "malformed", "from"),
        ("/api/v1/observations/?colour=red", 400, "unknown_filter", "colour"),
        # A code naming no record is a 404, as a path naming it would be.
        ("/api/v1/indicators/?strategy=NOPE", 404, "unknown_value", "strategy"),
        ("/api/v1/strategies/?x=1", 400, "unknown_filter", "x"),
        ("/api/v1/strategies/PM40/nodes/?level=nope", 404, "unknown_value", "level"),
        ("/api/v1/organisations/?province=atlantis", 404, "unknown_value", "province"),
        ("/api/v1/actions/?lead=NOPE", 404, "unknown_value", "lead"),
        ("/api/v1/budgets/lines?source=NOPE", 404, "unknown_value", "source"),
        ("/api/v1/budgets/lines?action=NOPE", 404, "unknown_value", "action"),
        ("/api/v1/budgets/lines?node=NOPE", 404, "unknown_value", "node"),
        ("/api/v1/registry/search?province=atlantis", 404, "unknown_value", "province"),
        ("/api/v1/taxonomies/provinces/terms/?status=odd", 400, "unknown_value", "status"),
        ("/api/v1/actions/?colour=red", 400, "unknown_filter", "colour"),
        (
            "/api/v1/actions/?status=" + "&status=".join(["planned"] * 21),
            400,
            "too_many_values",
            "status",
        ),
        ("/api/v1/indicators/?action=a%00b", 400, "invalid_character", "action"),
        ("/api/v1/budgets/totals?strategy=%00", 400, "invalid_character", "strategy"),
    ],
)
def test_bad_input_is_a_4xx_with_a_code_and_the_field(
    client, shipped_data, url, status, code, field
):
    response = client.get(url)
    assert response.status_code == status, response.content
    assert (response.json()["code"], response.json()["field"]) == (code, field)


def test_a_period_ending_before_it_starts_holds_nothing(client, shipped_data):
    """Not an error the schema could state (it relates two parameters): the period is
    empty, so nothing falls in it, undated actions included."""
    # A two-year value meets either bound alone.
    spanning = ObservationFactory(
        indicator=indicator_list_public().first(),
        period_start=datetime.date(2019, 1, 1),
        period_end=datetime.date(2020, 12, 31),
    )
    period = {"from": "2019-06-01", "to": "2020-06-01"}
    reversed_period = {"from": "2020-06-01", "to": "2019-06-01"}
    values = client.get("/api/v1/observations/", period | {"limit": 500}).json()["items"]
    assert spanning.indicator.code in {value["indicator"] for value in values}
    assert client.get("/api/v1/actions/", period).json()["count"] > 0
    assert client.get("/api/v1/observations/", reversed_period).json()["items"] == []
    actions = client.get("/api/v1/actions/", reversed_period).json()
    assert (actions["count"], actions["items"]) == (0, [])
    # Undated actions are in no period; asked for, they are all there is.
    undated = client.get("/api/v1/actions/", reversed_period | {"undated": "true"}).json()
    expected = Action.objects.public().filter(start_date=None, end_date=None).count()
    assert undated["count"] == expected


def test_a_cursor_of_one_list_is_refused_by_another(client, shipped_data):
    cursor = client.get("/api/v1/organisations/?limit=1").json()["next_cursor"]
    link = client.get("/api/v1/organisations/?limit=1").headers["Link"]
    token = link.split("cursor=")[1].split(">")[0]
    assert cursor
    response = client.get(f"/api/v1/indicators/?cursor={token}")
    assert response.json()["code"] == "invalid_cursor"


def test_a_malformed_body_is_a_422(client):
    response = client.post(
        "/api/v1/observations/",
        "{not json",
        content_type="application/json",
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status_code in (401, 422)


# Conditional requests ---------------------------------------------------------------------


def test_etag_and_last_modified_answer_304_until_the_data_change(client, public_action):
    indicator = IndicatorFactory(code="KPI", action=public_action)
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    url = "/api/v1/indicators/"
    first = client.get(url)
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(url, headers={"If-Modified-Since": modified}).status_code == 304
    # Another query string is another answer.
    assert client.get(url + "?limit=1", headers={"If-None-Match": etag}).status_code == 200
    steering = SteeringFactory()
    observation = observation_record(
        actor=steering,
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        value=D(5),
    )
    for transition in ("submit", "validate", "publish"):
        observation = observation_transition(
            actor=steering, observation=observation, transition=transition
        )
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_a_deletion_changes_the_etag(client):
    OrganisationFactory(code="A")
    doomed = OrganisationFactory(code="B")
    etag = client.get("/api/v1/organisations/").headers["ETag"]
    doomed.delete()
    assert client.get("/api/v1/organisations/", headers={"If-None-Match": etag}).status_code == 200


def test_errors_and_token_reads_carry_no_validator(client):
    assert "ETag" not in client.get("/api/v1/organisations/?x=1").headers
    response = client.get("/api/v1/observations/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401 and "ETag" not in response.headers


# CORS --------------------------------------------------------------------------------------


def test_cors_opens_anonymous_reads_only(client):
    origin = {"Origin": "https://journalist.example"}
    read = client.get("/api/v1/taxonomies/", headers=origin)
    assert read.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in read.headers["Access-Control-Expose-Headers"]
    preflight = client.options(
        "/api/v1/taxonomies/", headers=origin | {"Access-Control-Request-Method": "GET"}
    )
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    write_preflight = client.options(
        "/api/v1/observations/",
        headers=origin
        | {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "x"},
    )
    assert "Access-Control-Allow-Origin" not in write_preflight.headers
    write = client.post(
        "/api/v1/observations/", {}, content_type="application/json", headers=origin
    )
    assert "Access-Control-Allow-Origin" not in write.headers
    token_read = client.get("/api/v1/observations/", headers=origin | {"Authorization": "Bearer x"})
    assert "Access-Control-Allow-Origin" not in token_read.headers
    assert "Access-Control-Allow-Origin" not in client.get("/", headers=origin).headers


# Rate limiting ---------------------------------------------------------------------------


@override_settings(PILOTAGE_API_RATE_LIMIT=3, PILOTAGE_API_RATE_LIMIT_TOKEN=0)
def test_anonymous_clients_are_limited_per_address_and_tokens_are_not(client):
    from pilotage.accounts.services import token_issue
    from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory

    cache.clear()
    _token, key = token_issue(actor=SteeringFactory(), user=PartnerEditorFactory(), name="x")
    statuses = [client.get("/api/v1/taxonomies/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/api/v1/taxonomies/")
    assert refused.json()["code"] == "rate_limited"
    assert 1 <= int(refused.headers["Retry-After"]) <= 61
    # Another address has its own count; a valid token is not limited; a wrong one is.
    assert client.get("/api/v1/taxonomies/", REMOTE_ADDR="10.0.0.2").status_code == 200
    authorised = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/observations/", headers=authorised).status_code == 200
    assert (
        client.get("/api/v1/taxonomies/", headers={"Authorization": "Bearer wrong"}).status_code
        == 429
    )
    # The pages are not the API's business.
    assert client.get("/").status_code != 429
    cache.clear()


def test_actions_filter_by_the_status_of_their_indicators(client, public_action):
    other = ActionFactory(code="ACT-OTHER")
    other.nodes.set(public_action.nodes.all())
    day = datetime.date(2026, 1, 1)  # 0 → 100 over 2024-2028: 50 expected then
    for action, value in [(public_action, 20), (other, 60)]:
        indicator = IndicatorFactory(action=action)
        ObservationFactory(indicator=indicator, period_start=day, period_end=day, value=D(value))

    at_risk = client.get("/api/v1/actions/?progress=at_risk").json()
    on_track = client.get("/api/v1/actions/?progress=on_track&progress=at_risk").json()

    assert ([a["code"] for a in at_risk["items"]], at_risk["count"]) == (["ACT-PUBLIC"], 1)
    assert [a["code"] for a in on_track["items"]] == ["ACT-OTHER", "ACT-PUBLIC"]
