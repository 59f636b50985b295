"""One definition of public: a draft strategy, its nodes, the actions serving only it,
their indicators, values and budget lines, and every unpublished value never leave, on
any public page, API answer or export, for anonymous visitors and for a reader.

The shipped data is loaded, a draft strategy with unusual codes and words is added
through the services, then every URL the site and the API resolve is requested (a URL
pattern this test does not know fails it, so a new page is checked too)."""

from __future__ import annotations

import datetime
import io
import json
import re
import zipfile
from decimal import Decimal as D

import openpyxl
import pyarrow.parquet as pq
import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from config.api import api
from pilotage.accounts.models import Role
from pilotage.accounts.services import token_issue
from pilotage.accounts.tests.factories import SteeringFactory, UserFactory
from pilotage.budgets.models import BudgetLine
from pilotage.budgets.services import budget_line_save
from pilotage.indicators import campaigns, services
from pilotage.indicators.models import Indicator, IndicatorKind, Observation, Target
from pilotage.indicators.readmodel import read_model
from pilotage.registry.models import Magnet, Organisation, Relation, RelationKind
from pilotage.registry.services import magnet_save, relation_save
from pilotage.strategies.facets import public_actions
from pilotage.strategies.models import (
    Strategy,
    StrategyLevel,
    StrategyNode,
    StrategyStatus,
)
from pilotage.strategies.services import (
    action_create,
    action_nodes_set,
    action_target_audiences_set,
    level_save,
    node_save,
    strategy_save,
)
from pilotage.taxonomies.models import Taxonomy, Term
from pilotage.taxonomies.services import record_terms_set, taxonomy_save, term_save

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

# What must never be read publicly: the draft's codes and titles, its values' numbers.
CODES = ["DRAFTLEAKZZ", "DRAFTNODEZZ", "DRAFTACTIONZZ", "DRAFTINDZZ", "DRAFTBUDGETZZ"]
TITLES = ["Xylophagezz", "Ornithozz", "Pangolinzz", "Tatouzz", "Okapizz"]
# Digits of the draft's published value, its unpublished one, a shipped indicator's
# unpublished one and a public action's money in the draft, looked for with any
# thousands separator removed.
NUMBERS = ["97531864", "86420975", "75319642", "64208642"]
SEPARATORS = re.compile("[\\s\u00a0\u202f\u2019.,']")


def _term(taxonomy_code: str, code: str, actor) -> Term:
    """A term of a shipped taxonomy, or one made through the services when the shipped
    data has no such taxonomy."""
    taxonomy = Taxonomy.objects.filter(code=taxonomy_code).first()
    if taxonomy is None:
        taxonomy = taxonomy_save(
            actor=actor, taxonomy=Taxonomy(code=taxonomy_code, title_fr=taxonomy_code)
        )
    term = Term.objects.filter(taxonomy=taxonomy).order_by("code").first()
    if term is None:
        term = term_save(actor=actor, term=Term(taxonomy=taxonomy, code=code, label_fr=code))
    return term


def _publish(actor, indicator: Indicator, year: int, value: D, *, last: str) -> Observation:
    observation = services.observation_record(
        actor=actor,
        indicator=indicator,
        period_start=datetime.date(year, 1, 1),
        period_end=datetime.date(year, 12, 31),
        value=value,
    )
    for transition in ("submit", "validate", "publish"):
        observation = services.observation_transition(
            actor=actor, observation=observation, transition=transition
        )
        if transition == last:
            break
    return observation


@pytest.fixture
def draft(shipped_data):
    """A draft strategy with a tree, an action serving only it (tagged, led by a shipped
    organisation that leads public actions too, the target of a relation), an indicator
    with a target, a published and an unpublished value, a budget line, and an open
    campaign covering it; plus an unpublished value of a shipped public indicator."""
    staff = SteeringFactory()
    public_lead = (
        Organisation.objects.filter(led_actions__in=public_actions()).order_by("code").first()
    )
    strategy = strategy_save(
        actor=staff,
        strategy=Strategy(
            code="DRAFTLEAKZZ",
            title_fr="Stratégie Xylophagezz",
            description_fr="Brouillon Xylophagezz",
            period_start=datetime.date(2024, 1, 1),
            owner=public_lead,
            status=StrategyStatus.DRAFT,
        ),
    )
    top = level_save(
        actor=staff,
        level=StrategyLevel(
            strategy=strategy, code="DRAFTNODEZZ-LEVEL", name_fr="Ornithozz", depth=0
        ),
    )
    below = level_save(
        actor=staff,
        level=StrategyLevel(
            strategy=strategy, code="DRAFTNODEZZ-SUB", name_fr="Ornithozz", depth=1
        ),
    )
    root = node_save(
        actor=staff,
        node=StrategyNode(
            strategy=strategy, level=top, code="DRAFTNODEZZ1", title_fr="Ornithozz un"
        ),
    )
    leaf = node_save(
        actor=staff,
        node=StrategyNode(
            strategy=strategy,
            level=below,
            parent=root,
            code="DRAFTNODEZZ2",
            title_fr="Ornithozz deux",
        ),
    )
    action = action_create(
        actor=staff,
        code="DRAFTACTIONZZ",
        lead=public_lead,
        title_fr="Action Pangolinzz",
        description_fr="Pangolinzz",
        type=_term("action-types", "programme", staff),
        start_date=datetime.date(2024, 1, 1),
    )
    action_nodes_set(actor=staff, action=action, nodes=[leaf])
    # A public action serving the draft too: public, but never with the draft's node.
    shared = public_actions().filter(lead=public_lead).order_by("code").first()
    action_nodes_set(actor=staff, action=shared, nodes=[*shared.nodes.all(), leaf])
    action_target_audiences_set(
        actor=staff, action=action, audiences=[_term("target-audiences", "companies", staff)]
    )
    for taxonomy, code in (("provinces", "namur"), ("funding-sources", "erdf")):
        term = _term(taxonomy, code, staff)
        record_terms_set(actor=staff, record=action, taxonomy=term.taxonomy, terms=[term])
    relation_save(
        actor=staff,
        relation=Relation(
            organisation=public_lead, kind=RelationKind.LAUREATE_OF, target_action=action
        ),
    )
    indicator = services.indicator_save(
        actor=staff,
        indicator=Indicator(
            code="DRAFTINDZZ",
            title_fr="Indicateur Tatouzz",
            kind=IndicatorKind.OUTPUT,
            action=action,
            baseline_value=D(0),
            baseline_date=datetime.date(2023, 12, 31),
            target_value=D(100),
            target_date=datetime.date(2029, 12, 31),
        ),
    )
    node_indicator = services.indicator_save(
        actor=staff,
        indicator=Indicator(
            code="DRAFTINDZZ-NODE", title_fr="Tatouzz", kind=IndicatorKind.RESULT, node=root
        ),
    )
    services.target_save(
        actor=staff,
        target=Target(
            indicator=indicator,
            period_start=datetime.date(2025, 1, 1),
            period_end=datetime.date(2025, 12, 31),
            value=D(50),
        ),
    )
    _publish(staff, indicator, 2024, D("97531864"), last="publish")
    _publish(staff, indicator, 2025, D("86420975"), last="validate")
    _publish(staff, node_indicator, 2024, D("97531864"), last="publish")
    shipped = (
        Indicator.objects.filter(action__in=public_actions(), formula={}, measure="number")
        .exclude(observations__period_start=datetime.date(2025, 4, 1))
        .order_by("code")
        .first()
    )
    services.observation_record(
        actor=staff,
        indicator=shipped,
        period_start=datetime.date(2025, 4, 1),
        period_end=datetime.date(2025, 6, 30),
        value=D("75319642"),
    )
    source = _term("funding-sources", "erdf", staff)
    budget_line_save(
        actor=staff,
        line=BudgetLine(
            code="DRAFTBUDGETZZ",
            strategy=strategy,
            action=action,
            label="Ligne Okapizz",
            year=2025,
            source=source,
            amount=D("97531864"),
        ),
    )
    budget_line_save(  # the shared public action's money in the draft: not public
        actor=staff,
        line=BudgetLine(
            code="DRAFTBUDGETZZ-SHARED",
            strategy=strategy,
            action=shared,
            label="Ligne Okapizz",
            year=2031,
            source=source,
            amount=D("64208642"),
        ),
    )
    # A public magnet feeding the draft's indicator: the magnet is public, not what it feeds.
    magnet_save(
        actor=staff,
        magnet=Magnet(
            code="MAG-FEEDS",
            title="Aimant",
            query="size=small",
            public=True,
            indicator=node_indicator,
        ),
    )
    # The newest public strategy names the draft as its predecessor: never shown.
    newest = Strategy.objects.public().order_by("-period_start", "code").first()
    newest.predecessor = strategy
    strategy_save(actor=staff, strategy=newest)
    campaign = campaigns.campaign_open(
        actor=staff,
        code="Q-COVERAGE",
        title="Campagne de couverture",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        deadline=datetime.date(2026, 1, 31),
    )
    # The draft's indicator is due in the open campaign: the coverage page names nodes.
    assert indicator in set(campaigns.campaign_indicators(campaign))
    of_draft = campaigns.campaign_open(
        actor=staff,
        code="Q-SCOPED",
        title="Campagne Xylophagezz",
        period_start=datetime.date(2025, 1, 1),
        period_end=datetime.date(2025, 12, 31),
        deadline=datetime.date(2026, 1, 31),
        strategy=strategy,
    )
    return {
        "strategy": strategy,
        "nodes": [root, leaf],
        "action": action,
        "campaign": campaign,
        "of_draft": of_draft,
    }


def _body(response) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    return response.content


def _texts(name: str, body: bytes) -> str:
    """Everything a file says, binary formats decoded (zip members one by one)."""
    if body[:2] == b"PK" and not name.endswith(".xlsx"):
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            return "\n".join(_texts(member, archive.read(member)) for member in archive.namelist())
    if body[:2] == b"PK":  # a workbook
        book = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
        return "\n".join(
            " ".join("" if cell is None else str(cell) for cell in row)
            for sheet in book.worksheets
            for row in sheet.iter_rows(values_only=True)
        )
    if body[:4] == b"PAR1":
        return json.dumps(pq.read_table(io.BytesIO(body)).to_pylist(), default=str)
    return body.decode("utf-8")


def _leaks(url: str, response, *, forbidden: list[str]) -> list[str]:
    """The draft codes, titles and hidden numbers in what the URL answers (what the URL
    itself carries is not looked for: an error may quote it)."""
    text = _texts(url.split("?")[0], _body(response))
    wanted = [word for word in forbidden if word not in url]
    found = [word for word in wanted if word in text]
    digits = SEPARATORS.sub("", text)
    found += [number for number in NUMBERS if number not in url and number in digits]
    return [f"{url} ({response.status_code}) shows {found}"] if found else []


def _site_patterns(resolver: URLResolver | None = None, prefix: str = "") -> list[tuple]:
    """(route, name, parameter names) of every URL of the site, the API's and the admin's
    aside (the API is walked from its schema; the back-office is not public)."""
    found = []
    for pattern in (resolver or get_resolver()).url_patterns:
        route = prefix + str(pattern.pattern)
        if route.startswith(("api/", "admin/", "^admin/")) or route.startswith("i18n/"):
            continue
        if isinstance(pattern, URLResolver):
            namespace = pattern.namespace
            for sub_route, name, params in _site_patterns(pattern, route):
                found.append((sub_route, f"{namespace}:{name}" if namespace else name, params))
        elif isinstance(pattern, URLPattern):
            found.append((route, pattern.name, list(pattern.pattern.converters)))
    return found


def _fill(route: str, values: dict[str, str]) -> str:
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: values[m.group(1)], route)
    return "/" + path.lstrip("^").rstrip("$")


def _shipped_codes() -> dict:
    model = read_model()
    strategy = model.strategies[0]
    node = next(n for n in model.nodes.values() if n.strategy_id == strategy.pk)
    action = public_actions().order_by("code").first()
    indicator = next(iter(sorted(model.by_code)))
    return {
        "strategy": strategy.code,
        "node": node.code,
        "action": action.code,
        "indicator": indicator,
        "organisation": action.lead.code,
        # The public action that serves the draft too (the draft fixture's `shared`).
        "shared": public_actions().filter(nodes__code="DRAFTNODEZZ2").get().code,
    }


def _site_urls(draft: dict) -> tuple[list[str], list[str]]:
    """(URLs to read, URLs of the draft's records that must be 404)."""
    from pilotage.opendata.exports import COLLECTIONS
    from pilotage.opendata.formats import FORMATS

    shipped = _shipped_codes()
    magnets = list(Magnet.objects.filter(public=True).values_list("code", flat=True))
    campaign, of_draft = draft["campaign"].code, draft["of_draft"].code
    node_of = {"code": shipped["strategy"], "node": shipped["node"]}
    read: dict[str, list[dict]] = {
        "dashboard:strategy-list": [{}],
        "dashboard:search": [{}],
        "dashboard:registry": [{}],
        "dashboard:registry-csv": [{}],
        "dashboard:magnet": [{"code": code} for code in magnets],
        "dashboard:organisation": [{"code": shipped["organisation"]}],
        "dashboard:strategy-detail": [{"code": s.code} for s in read_model().strategies],
        "dashboard:strategy-budget": [{"code": s.code} for s in read_model().strategies],
        "dashboard:node-detail": [node_of],
        "dashboard:action-list": [{}],
        "dashboard:action-detail": [{"code": c} for c in (shipped["action"], shipped["shared"])],
        "dashboard:indicator-detail": [{"code": shipped["indicator"]}],
        "dashboard:indicator-data": [{"code": shipped["indicator"]}],
        "reporting:campaign-list": [{}],
        "reporting:campaign-detail": [{"code": c} for c in (campaign, of_draft)],
        "reporting:campaign-template": [
            {"code": c, "format": f} for c in (campaign, of_draft) for f in ("csv", "xlsx")
        ],
        "reporting:campaign-review": [],  # a POST of steering staff only
        "reporting:report": [{"code": c} for c in (campaign, of_draft)],
        "reporting:report-pdf": [],  # no report is frozen: a 404 for all
        "reporting:campaign-coverage": [{"code": campaign}],
        "accounts:login": [{}],
        "accounts:logout": [],  # a POST
        "accounts:password-reset": [{}],
        "accounts:password-reset-done": [{}],
        "accounts:password-reset-confirm": [{"uidb64": "MQ", "token": "not-a-token"}],
        "accounts:password-reset-complete": [{}],
        "dashboard:account": [{}],
        "opendata:index": [{}],
        "opendata:zip": [{}],
        "opendata:catalogue": [{"format": f} for f in ("ttl", "jsonld")],
        "opendata:d4wmo": [{"format": f} for f in ("ttl", "jsonld")],
        "opendata:indicators-csv": [{}],
        "opendata:export": [{"collection": c, "format": f} for c in COLLECTIONS for f in FORMATS],
        "opendata:collection-detail": [{"collection": c} for c in COLLECTIONS],
        "opendata:dataset": [{"collection": c} for c in COLLECTIONS],
    }
    hidden: dict[str, list[dict]] = {
        "dashboard:strategy-detail": [{"code": "DRAFTLEAKZZ"}],
        "dashboard:strategy-budget": [{"code": "DRAFTLEAKZZ"}],
        "dashboard:node-detail": [
            {"code": "DRAFTLEAKZZ", "node": "DRAFTNODEZZ1"},
            {"code": "DRAFTLEAKZZ", "node": "DRAFTNODEZZ2"},
            {"code": shipped["strategy"], "node": "DRAFTNODEZZ1"},
        ],
        "dashboard:action-detail": [{"code": "DRAFTACTIONZZ"}],
        "dashboard:indicator-detail": [{"code": "DRAFTINDZZ"}, {"code": "DRAFTINDZZ-NODE"}],
        "dashboard:indicator-data": [{"code": "DRAFTINDZZ"}, {"code": "DRAFTINDZZ-NODE"}],
        "reporting:campaign-coverage": [{"code": of_draft}],
    }
    patterns = _site_patterns()
    unknown = {name for _route, name, _params in patterns} - set(read)
    assert not unknown, f"URLs this test does not read yet: {sorted(unknown)}"
    urls = [_fill(route, values) for route, name, _ in patterns for values in read[name]]
    drafts = [_fill(route, v) for route, name, _ in patterns for v in hidden.get(name, [])]
    return urls, drafts


def _query_urls(shipped: dict) -> list[str]:
    """The pages and lists again, asked with facets, words and the draft's codes."""
    queries = [
        "/search/?q=Xylophagezz",
        "/search/?q=Pangolinzz",
        "/search/?q=Ornithozz",
        "/search/?q=Tatouzz",
        "/search/?q=DRAFTACTIONZZ",
        "/search/?q=DRAFTLEAKZZ",
        "/search/?q=DRAFTINDZZ",
        "/search/?q=action",
        f"/actions/?lead={shipped['organisation']}",
        "/actions/?strategy=DRAFTLEAKZZ",
        "/actions/?progress=on_track",
        f"/strategies/{shipped['strategy']}/{shipped['node']}/?lead={shipped['organisation']}",
        "/registry/?action=DRAFTACTIONZZ",
        "/registry/?laureate_of=DRAFTACTIONZZ",
        "/registry/?programme=DRAFTLEAKZZ:DRAFTNODEZZ2",
        f"/registry/{shipped['organisation']}/",
        "/exports/actions.csv?strategy=DRAFTLEAKZZ",
        # Other languages read the same selectors (a draft's text falls back to French).
        "/en/",
        "/nl/actions/",
        "/de/search/?q=Pangolinzz",
        "/en/search/?q=Ornithozz",
        "/en/reporting/Q-COVERAGE/coverage/",
    ]
    return queries


def _api_urls(shipped: dict) -> tuple[list[str], list[str]]:
    """(API reads, API reads of the draft's records that must be 404), every GET
    operation of the schema with its path filled."""
    schema = api.get_openapi_schema()
    model = read_model()
    strategies = [s.code for s in model.strategies]
    taxonomies = list(Taxonomy.objects.values_list("code", flat=True))
    read = {
        "/api/v1/strategies/{code}": [{"code": c} for c in strategies],
        "/api/v1/strategies/{code}/nodes/": [{"code": c} for c in strategies],
        "/api/v1/strategies/{code}/nodes/{node}": [
            {"code": shipped["strategy"], "node": shipped["node"]}
        ],
        "/api/v1/actions/{code}": [{"code": c} for c in (shipped["action"], shipped["shared"])],
        "/api/v1/budgets/actions/{code}/execution": [
            {"code": c} for c in (shipped["action"], shipped["shared"])
        ],
        "/api/v1/indicators/{code}": [{"code": shipped["indicator"]}],
        "/api/v1/organisations/{code}": [{"code": shipped["organisation"]}],
        "/api/v1/taxonomies/{code}": [{"code": c} for c in taxonomies],
        "/api/v1/taxonomies/{code}/terms/": [{"code": c} for c in taxonomies],
    }
    hidden = {
        "/api/v1/strategies/{code}": [{"code": "DRAFTLEAKZZ"}],
        "/api/v1/strategies/{code}/nodes/": [{"code": "DRAFTLEAKZZ"}],
        "/api/v1/strategies/{code}/nodes/{node}": [
            {"code": "DRAFTLEAKZZ", "node": "DRAFTNODEZZ1"},
            {"code": shipped["strategy"], "node": "DRAFTNODEZZ1"},
        ],
        "/api/v1/actions/{code}": [{"code": "DRAFTACTIONZZ"}],
        "/api/v1/budgets/actions/{code}/execution": [{"code": "DRAFTACTIONZZ"}],
        "/api/v1/indicators/{code}": [{"code": "DRAFTINDZZ"}, {"code": "DRAFTINDZZ-NODE"}],
    }
    urls, drafts = [], []
    for path, operations in schema["paths"].items():
        if "get" not in operations:
            continue
        if "{" not in path:
            urls.append(path)
            continue
        assert path in read, f"An API path this test does not read yet: {path}"
        urls += [path.format(**values) for values in read[path]]
        drafts += [path.format(**values) for values in hidden.get(path, [])]
    lists = [
        "/api/v1/actions/?limit=500",
        f"/api/v1/actions/?lead={shipped['organisation']}&limit=500",
        "/api/v1/actions/?strategy=DRAFTLEAKZZ",
        "/api/v1/indicators/?limit=500",
        "/api/v1/indicators/?action=DRAFTACTIONZZ",
        "/api/v1/indicators/?strategy=DRAFTLEAKZZ",
        "/api/v1/observations/?limit=500",
        "/api/v1/observations/?indicator=DRAFTINDZZ",
        "/api/v1/budgets/lines?limit=500",
        "/api/v1/budgets/lines?strategy=DRAFTLEAKZZ",
        "/api/v1/budgets/lines?action=DRAFTACTIONZZ",
        f"/api/v1/budgets/lines?action={shipped['shared']}",
        f"/api/v1/indicators/?action={shipped['shared']}",
        f"/api/v1/registry/search?action={shipped['shared']}",
        "/api/v1/budgets/totals?strategy=DRAFTLEAKZZ",
        "/api/v1/budgets/reconciliation?strategy=DRAFTLEAKZZ",
        "/api/v1/registry/search?limit=500",
        "/api/v1/registry/search?action=DRAFTACTIONZZ",
        "/api/v1/registry/search?laureate_of=DRAFTACTIONZZ",
        f"/api/v1/registry/search?funded_by={shipped['action']}",
    ]
    lists += [
        f"/api/v1/budgets/{kind}?strategy={c}"
        for kind in ("totals", "reconciliation")
        for c in strategies
    ]
    return urls + lists, drafts


def _walk(client, url: str, headers: dict):
    """Every page of a cursor-paginated answer (the next one in the `Link` header)."""
    responses = []
    while url:
        response = client.get(url, **headers)
        responses.append((url, response))
        link = response.headers.get("Link")
        url = link[1 : link.index(">")].replace("http://localhost", "") if link else None
    return responses


@pytest.mark.parametrize("who", ["anonymous", "reader"])
def test_a_draft_strategy_and_unpublished_values_are_never_public(client, draft, who):
    headers = {"HTTP_HOST": "localhost"}
    if who == "reader":
        # A reader of the organisation leading the draft's action: still only what is public.
        reader = UserFactory(role=Role.READER, organisation=draft["action"].lead)
        client.force_login(reader)
        _token, key = token_issue(actor=SteeringFactory(), user=reader, name="reader")
        api_headers = headers | {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    else:
        api_headers = headers
    forbidden = CODES + TITLES
    shipped = _shipped_codes()
    site, site_drafts = _site_urls(draft)
    api_reads, api_drafts = _api_urls(shipped)
    answered, leaks, statuses = [], [], []
    for url in site + _query_urls(shipped):
        response = client.get(url, **headers)
        if response.status_code not in (200, 302, 400, 403, 404):
            statuses.append((url, response.status_code))
        answered.append(response.status_code)
        leaks += _leaks(url, response, forbidden=forbidden)
    for url in api_reads:
        for page_url, response in _walk(client, url, api_headers):
            if response.status_code not in (200, 400, 404, 422):
                statuses.append((page_url, response.status_code))
            leaks += _leaks(page_url, response, forbidden=forbidden)
    for url in site_drafts + api_drafts:
        response = client.get(url, **(api_headers if url.startswith("/api/") else headers))
        if response.status_code != 404:
            statuses.append((url, response.status_code))
        leaks += _leaks(url, response, forbidden=forbidden)
    assert not leaks, "\n".join(leaks)
    assert not statuses
    # The pages were read, not refused: the coverage page among them.
    coverage = client.get(f"/reporting/{draft['campaign'].code}/coverage/", **headers)
    assert coverage.status_code == 200
    assert answered.count(200) > len(answered) // 2
