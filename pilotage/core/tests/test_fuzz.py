"""No input is a 500: every public route, with every parameter it reads, given junk.

The routes come from the URL resolver (pages) and the OpenAPI schema (API GET
operations), so a new page or endpoint is fuzzed without touching this file; a new
page with a path parameter must say here which shipped record it shows.
"""

from __future__ import annotations

import datetime
import json
import re
from urllib.parse import quote, unquote

import pytest
from django.urls import URLPattern, URLResolver

from config import urls
from config.api import api
from pilotage.accounts.services import token_issue
from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.indicators.campaigns import campaign_open
from pilotage.indicators.reports import report_freeze
from pilotage.opendata.exports import COLLECTIONS
from pilotage.registry.magnets import FIXED_FACETS
from pilotage.registry.magnets import OTHER_KEYS as MAGNET_OTHER_KEYS
from pilotage.registry.models import Magnet
from pilotage.registry.services import magnet_save
from pilotage.strategies.facets import DATE_KEYS, FACET_KEYS, OTHER_KEYS

pytestmark = pytest.mark.slow

# Values as they stand in an address, already percent-encoded: raw invalid UTF-8 too.
JUNK = [
    *(
        quote(value, safe="")
        for value in (
            "\x00",
            "a\x00b",
            "\x01",
            "\x1b[31m",
            "\x7f",
            "\t\n",
            "x" * 10_000,
            "' OR 1=1--",
            "<script>alert(1)</script>",
            "{{7*7}}{% debug %}",
            "../../etc/passwd",
            "9" * 40,
            "-1",
            "-9223372036854775809",
            "2024-13-45",
            "1e309",
            "NaN",
            "",
            "é",
        )
    ),
    "%C0%AE",
    "%FF",
    "%ff%fe%00",
]
# Junk in a path segment: the same, but an empty segment is another address.
PATH_JUNK = [value for value in JUNK if value]
# Parameters nobody documents: a junk name too.
UNKNOWN = [("unknown", "%00"), ("%00", "1"), ("a%01b", "%FF"), ("x", "{{7*7}}")]

PARAMETER = re.compile(r"<(?:(?P<converter>\w+):)?(?P<name>\w+)>")


def _page_routes(patterns, prefix="", namespace=""):
    """(route, url name) of every page, the API left to its schema."""
    for entry in patterns:
        pattern = entry.pattern
        # French, the default language, has no prefix.
        part = pattern.language_prefix if hasattr(pattern, "language_prefix") else str(pattern)
        route = prefix + part
        if route.startswith("api/"):
            continue
        if isinstance(entry, URLResolver):
            yield from _page_routes(entry.url_patterns, route, entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield route, f"{namespace}:{entry.name}" if namespace else entry.name


def _page_parameters(name: str) -> list[str]:
    """The query parameters each page reads (grep request.GET in the views)."""
    explorer = [*FACET_KEYS, *DATE_KEYS, *OTHER_KEYS]
    registry = [
        *(facet.key for facet in FIXED_FACETS),
        *(f"not-{facet.key}" for facet in FIXED_FACETS[:3]),
        *MAGNET_OTHER_KEYS,
    ]
    return {
        "dashboard:action-list": explorer,
        "dashboard:strategy-detail": explorer,
        "dashboard:node-detail": explorer,
        "dashboard:registry": registry,
        "dashboard:registry-csv": registry,
        "dashboard:magnet": ["page"],
        "dashboard:search": ["q", "group", "page"],
        "set_language": ["next", "language"],
        "admin:login": ["next"],
        "accounts:login": ["next"],
        "reporting:report-pdf": [],  # reads none, and each one is a PDF drawn
    }.get(name, ["page"])


@pytest.fixture
def records(client, shipped_data):
    """Real codes of shipped records, and the few records no data file ships."""
    steering = SteeringFactory()
    campaign = campaign_open(
        actor=steering,
        code="FUZZ",
        title="Fuzz",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 3, 31),
        deadline=datetime.date(2025, 4, 30),
    )
    report_freeze(actor=steering, campaign=campaign)  # its PDF exists
    magnet = magnet_save(
        actor=steering, magnet=Magnet(code="fuzz", title_fr="Fuzz", query="province=")
    )
    # Public records, as the API lists them: their pages answer 200.
    strategy, action, indicator, organisation, taxonomy = (
        _first_code(client, f"/api/v1/{plural}/")
        for plural in ("strategies", "actions", "indicators", "organisations", "taxonomies")
    )
    node = _first_code(client, f"/api/v1/strategies/{strategy}/nodes/")
    return {
        "steering": steering,
        "pages": {
            "dashboard:magnet": {"code": magnet.code},
            "dashboard:organisation": {"code": organisation},
            "dashboard:strategy-detail": {"code": strategy},
            "dashboard:strategy-budget": {"code": strategy},
            "dashboard:node-detail": {"code": strategy, "node": node},
            "dashboard:action-detail": {"code": action},
            "dashboard:indicator-detail": {"code": indicator},
            "dashboard:indicator-data": {"code": indicator},
            "reporting:campaign-detail": {"code": campaign.code},
            "reporting:campaign-template": {"code": campaign.code, "format": "xlsx"},
            "reporting:campaign-review": {"code": campaign.code},
            "reporting:report": {"code": campaign.code},
            "reporting:report-pdf": {"code": campaign.code},
            "reporting:campaign-coverage": {"code": campaign.code},
            "accounts:password-reset-confirm": {"uidb64": "MQ", "token": "not-a-token"},
            "opendata:catalogue": {"format": "ttl"},
            "opendata:d4wmo": {"format": "jsonld"},
            "opendata:export": {"collection": next(iter(COLLECTIONS)), "format": "csv"},
            "opendata:collection-detail": {"collection": next(iter(COLLECTIONS))},
            "opendata:dataset": {"collection": next(iter(COLLECTIONS))},
        },
        "api": {
            "code": strategy,
            "node": node,
            "strategy": strategy,
        },
        "api_codes": {
            "/api/v1/actions/{code}": action,
            "/api/v1/budgets/actions/{code}/execution": action,
            "/api/v1/indicators/{code}": indicator,
            "/api/v1/organisations/{code}": organisation,
            "/api/v1/taxonomies/{code}": taxonomy,
            "/api/v1/taxonomies/{code}/terms/": taxonomy,
        },
    }


def _first_code(client, url: str) -> str:
    body = client.get(url, HTTP_HOST="localhost").json()
    items = body["items"] if isinstance(body, dict) else body
    return items[0]["code"]


def _fill(route: str, encoded: dict[str, str]) -> str:
    return "/" + PARAMETER.sub(lambda found: encoded[found["name"]], route)


def _requests(base: str, parameters: list[str]):
    yield base
    join = "&" if "?" in base else "?"
    for name in parameters:
        for value in JUNK:
            yield f"{base}{join}{name}={value}"
    for name, value in UNKNOWN:
        yield f"{base}{join}{name}={value}"


def _paths(route: str, real: dict[str, str]):
    """The route with real codes, then with junk in each of its parameters in turn."""
    encoded = {name: quote(str(value), safe="") for name, value in real.items()}
    yield _fill(route, encoded)
    for found in PARAMETER.finditer(route):
        for value in PATH_JUNK:
            yield _fill(route, {**encoded, found["name"]: value})


def _answer_check(url: str, response) -> None:
    assert response.status_code < 500, (url[:300], response.status_code)
    if url.startswith("/api/") and response.status_code >= 400:
        assert response["Content-Type"].startswith("application/json"), url[:300]
        body = response.json()
        assert {"code", "detail"} <= set(body), (url[:300], body)


def test_no_page_answers_junk_with_a_5xx(client, records):
    client.force_login(records["steering"])  # the reporting pages need an account
    routes = list(_page_routes(urls.urlpatterns))
    assert ("", "dashboard:strategy-list") in routes  # the walk found the pages
    sent = 0
    for route, name in routes:
        if route.startswith("admin/") and name != "admin:login":
            continue
        real = records["pages"].get(name, {})
        wanted = {found["name"] for found in PARAMETER.finditer(route)}
        assert wanted <= set(real), f"{name}: give a shipped record's code for {wanted}"
        paths = list(_paths(route, real))
        real_answer = client.get(paths[0], HTTP_HOST="localhost")
        # A page that only takes a form (405 to a GET) is fuzzed all the same.
        assert real_answer.status_code < 400 or real_answer.status_code == 405, (
            name,
            paths[0],
            real_answer.status_code,
        )
        for url in [*_requests(paths[0], _page_parameters(name)), *paths[1:]]:
            _answer_check(url, client.get(url, HTTP_HOST="localhost"))
            sent += 1
    assert sent > 1000


def test_no_api_read_answers_junk_with_a_5xx(client, records):
    schema = api.get_openapi_schema()
    sent = 0
    for route, operations in schema["paths"].items():
        operation = operations.get("get")
        if operation is None:
            continue
        parameters = operation.get("parameters", [])
        real = dict(records["api"])
        if route in records["api_codes"]:
            real["code"] = records["api_codes"][route]
        template = re.sub(r"\{(\w+)\}", r"<\1>", route.lstrip("/"))
        paths = list(_paths(template, real))
        query = [p["name"] for p in parameters if p["in"] == "query"]
        # Required parameters keep a real value, so junk in the others reaches the code.
        required = "&".join(
            f"{p['name']}={quote(real[p['name']])}"
            for p in parameters
            if p["in"] == "query" and p.get("required")
        )
        if required:
            paths = [f"{paths[0]}?{required}", *paths[1:]]
        real_answer = client.get(paths[0], HTTP_HOST="localhost")
        assert real_answer.status_code == 200, (paths[0], real_answer.content[:300])
        for url in [*_requests(paths[0], query), *paths[1:]]:
            _answer_check(url, client.get(url, HTTP_HOST="localhost"))
            sent += 1
    assert sent > 1000


# Decoded values for a JSON body: strings of every kind above, and what is not a string.
BODY_JUNK = [
    *(unquote(value) for value in JUNK),
    "1e309",
    "-1e309",
    "NaN",
    "Infinity",
    "0.00001",
    "1" * 30,
    10**40,
    -(10**40),
    1.5e308,
    -1,
    0,
    True,
    None,
    [],
    {},
    ["x"],
    {"a": "b"},
]


def test_no_api_write_answers_junk_with_a_5xx(client, records):
    _token, key = token_issue(actor=records["steering"], user=records["steering"], name="Fuzz")
    schema = api.get_openapi_schema()
    sent = 0
    for route, operations in schema["paths"].items():
        operation = operations.get("post")
        if operation is None:
            continue
        reference = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        body = schema["components"]["schemas"][reference.rsplit("/", 1)[1]]
        base = {
            "indicator": records["pages"]["dashboard:indicator-detail"]["code"],
            "period_start": "2025-01-01",
            "period_end": "2025-03-31",
            "value": "1",
        }
        assert set(base) <= set(body["properties"]), "give this body a valid base"
        accepted = client.post(
            route,
            json.dumps({**base, "submit": False}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
            HTTP_HOST="localhost",
        )
        assert accepted.status_code < 300, accepted.content  # junk meets a writable draft
        for field in body["properties"]:
            for value in BODY_JUNK:
                response = client.post(
                    route,
                    json.dumps({**base, field: value}),
                    content_type="application/json",
                    headers={"Authorization": f"Bearer {key}"},
                    HTTP_HOST="localhost",
                )
                _answer_check(f"{route} {field}={value!r}", response)
                sent += 1
    assert sent > 100


# The back-office is not public, but staff paste addresses too: fewer values, every list.
ADMIN_JUNK = [quote(value, safe="") for value in ("' OR 1=1--", "9" * 40, "-1", "2024-13-45")] + [
    "%FF"
]


def test_no_back_office_list_answers_junk_with_a_5xx(client, records):
    from django.contrib import admin
    from django.urls import reverse

    client.force_login(records["steering"])
    sent = 0
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        url = reverse("admin:{}_{}_changelist".format(*info))
        listing = client.get(url, HTTP_HOST="localhost")
        if listing.status_code == 403:
            continue  # not steering staff's to read
        assert listing.status_code == 200, url
        parameters = ["q", "o", "p"] + [
            name
            for spec in listing.context["cl"].filter_specs
            for name in spec.expected_parameters()
        ]
        for name in parameters:
            for value in ADMIN_JUNK:
                _answer_check(f"{url}?{name}={value}", client.get(f"{url}?{name}={value}"))
                sent += 1
        change = reverse("admin:{}_{}_change".format(*info), args=["0"]).replace("/0/", "/{}/")
        for value in ADMIN_JUNK:
            _answer_check(change.format(value), client.get(change.format(value)))
            sent += 1
    assert sent > 500
