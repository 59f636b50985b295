"""Published first: every total the shipped sources publish is the total the pages, the API
and the downloads show, with the sum of its parts and the difference beside it, and every
decomposition the source gives is compared with it.

Every figure below is written by hand from the seed 003_7a9a5e7ed80cce19.txt (the tables
"Plan Marshall 4.0 - Budgets 2015-2019" l.423-460, "Politique des Pôles de compétitivité"
l.464-480, "Budget Recherche 2015" l.481-499, "FEDER 2014-2020 - Axe 2" l.503-549; the
slide l.69-74 for the cluster policy's 316), in millions of euros; the sums of parts are
added up by hand from the same lines, never read from the code.
"""

import csv
import io
import re
from decimal import Decimal as D
from html import unescape

import pytest
from django.urls import reverse

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.budgets.models import BudgetLine
from pilotage.budgets.selectors import budget_totals, reconciliation
from pilotage.budgets.services import reallocation_decide, reallocation_request
from pilotage.budgets.tests.factories import BudgetLineFactory
from pilotage.core.tests.exact import exact_json
from pilotage.strategies.tests.factories import (
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)
from pilotage.taxonomies.models import Term

pytestmark = pytest.mark.django_db
M = D(1_000_000)
FEDER, PM40, S3 = "FEDER-2014-2020", "PM40", "S3-CLUSTERS"
TRANSITION, DEVELOPED = "erdf-transition-regions", "erdf-more-developed-regions"
CREDITS, ALTERNATIVE = "regional-commitment-credits", "alternative-financing"

# Each declared total: its published figure; per decomposition the source gives, the sum
# of its parts (lines: the lines it adds up; nodes: the totals of the nodes below;
# sources: of its funding sources; years: of its years; listed: of the groups of lines it
# lists); and where it is the total shown: (strategy, node, what), what being "total",
# ("source", code) or ("year", year or "all").
TOTALS = {
    # ERDF axis 2 (l.549): 14 measure x zone lines 439.3; sub-axes 144.7 + 92.7 + 202.1;
    # zones 410.3 + 29.1
    "FEDER1420-2-TOTAL": (
        "439.5",
        {"lines": "439.3", "nodes": "439.5", "sources": "439.4"},
        [(FEDER, "2", "total"), (FEDER, "2", ("year", "all"))],
    ),
    # 36.9 + 98.5 + 56.6 + 29.5 + 57.4 + 82.1 + 49.2; 135.4 + 86.2 + 188.8
    "FEDER1420-2-TRANSITION-TOTAL": (
        "410.3",
        {"lines": "410.2", "nodes": "410.4"},
        [(FEDER, "2", ("source", TRANSITION))],
    ),
    # 3.1 + 6.2 + 4.0 + 2.5 + 4.3 + 5.6 + 3.4; 9.3 + 6.5 + 13.3
    "FEDER1420-2-DEVELOPED-TOTAL": (
        "29.1",
        {"lines": "29.1", "nodes": "29.1"},
        [(FEDER, "2", ("source", DEVELOPED))],
    ),
    # 2.1 (l.512-514): 36.9 + 3.1 + 98.5 + 6.2; 40.0 + 104.7; 135.4 + 9.3
    "FEDER1420-2.1-TOTAL": (
        "144.7",
        {"lines": "144.7", "nodes": "144.7", "sources": "144.7"},
        [(FEDER, "2.1", "total")],
    ),
    "FEDER1420-2.1-TRANSITION-TOTAL": (
        "135.4",
        {"lines": "135.4"},
        [(FEDER, "2.1", ("source", TRANSITION))],
    ),
    "FEDER1420-2.1-DEVELOPED-TOTAL": (
        "9.3",
        {"lines": "9.3"},
        [(FEDER, "2.1", ("source", DEVELOPED))],
    ),
    "FEDER1420-2.1.1-TOTAL": ("40.0", {"lines": "40.0"}, [(FEDER, "2.1.1", "total")]),
    "FEDER1420-2.1.2-TOTAL": ("104.7", {"lines": "104.7"}, [(FEDER, "2.1.2", "total")]),
    # 2.2 (l.522-526): 56.6 + 4.0 + 29.5 + 2.5; 60.7 + 32.0; 86.2 + 6.5
    "FEDER1420-2.2-TOTAL": (
        "92.7",
        {"lines": "92.6", "nodes": "92.7", "sources": "92.7"},
        [(FEDER, "2.2", "total")],
    ),
    "FEDER1420-2.2-TRANSITION-TOTAL": (
        "86.2",
        {"lines": "86.1"},  # 56.6 + 29.5
        [(FEDER, "2.2", ("source", TRANSITION))],
    ),
    "FEDER1420-2.2-DEVELOPED-TOTAL": (
        "6.5",
        {"lines": "6.5"},
        [(FEDER, "2.2", ("source", DEVELOPED))],
    ),
    "FEDER1420-2.2.1-TOTAL": ("60.7", {"lines": "60.6"}, [(FEDER, "2.2.1", "total")]),
    "FEDER1420-2.2.2-TOTAL": ("32.0", {"lines": "32.0"}, [(FEDER, "2.2.2", "total")]),
    # 2.3 (l.535-539): 57.4 + 4.3 + 82.1 + 5.6 + 49.2 + 3.4; 61.8 + 87.6 + 52.7; 188.8 + 13.3
    "FEDER1420-2.3-TOTAL": (
        "202.1",
        {"lines": "202.0", "nodes": "202.1", "sources": "202.1"},
        [(FEDER, "2.3", "total")],
    ),
    "FEDER1420-2.3-TRANSITION-TOTAL": (
        "188.8",
        {"lines": "188.7"},  # 57.4 + 82.1 + 49.2
        [(FEDER, "2.3", ("source", TRANSITION))],
    ),
    "FEDER1420-2.3-DEVELOPED-TOTAL": (
        "13.3",
        {"lines": "13.3"},
        [(FEDER, "2.3", ("source", DEVELOPED))],
    ),
    "FEDER1420-2.3.1-TOTAL": ("61.8", {"lines": "61.7"}, [(FEDER, "2.3.1", "total")]),
    "FEDER1420-2.3.2-TOTAL": ("87.6", {"lines": "87.7"}, [(FEDER, "2.3.2", "total")]),
    "FEDER1420-2.3.3-TOTAL": ("52.7", {"lines": "52.6"}, [(FEDER, "2.3.3", "total")]),
    # PM40 (l.460): 294.56 + 642.06 + 208.42 + 49 + 903.72 + 24 + 33.55 + 1.90 + 244.78;
    # by axis 294.56 + 850.48 + 49 + 963.17 + 244.78
    "PM40-CE-TOTAL": (
        "2401.98",
        {"lines": "2401.99", "nodes": "2401.99"},
        [(PM40, None, ("source", CREDITS))],
    ),
    # 10 + 325 + 133, by axis I, III and IV
    "PM40-FA-TOTAL": (
        "468.00",
        {"lines": "468.00", "nodes": "468.00"},
        [(PM40, None, ("source", ALTERNATIVE))],
    ),
    # II (l.429-431): II.1's 21 yearly lines (642.06) + 208.42; by sub-axis 642.06 + 208.42
    "PM40-II-CE-TOTAL": (
        "850.48",
        {"lines": "850.48", "nodes": "850.48"},
        [(PM40, "II", "total")],
    ),
    # II.1 (l.433 and l.480): by year 181.13 + 101.6 + 127.35 + 127.35 + 104.63; by line of
    # the table 80 + 235 + 18.06 + 44 + 265
    "PM40-II.1-CE-TOTAL": (
        "642.06",
        {"lines": "642.06", "years": "642.06", "listed": "642.06"},
        [(PM40, "II.1", "total")],
    ),
    # The slide's 316 for the same policy: compared with the same parts, shown nowhere as
    # the total (the table's 642.06, published to the cent, is)
    "CLUSTER-POLICY-2015-2019": (
        "316",
        {"lines": "642.06", "years": "642.06", "listed": "642.06"},
        [],
    ),
    # IV (l.441-446): 903.72 + 24 + 33.55 + 1.90; 133
    "PM40-IV-CE-TOTAL": ("963.17", {"lines": "963.17"}, [(PM40, "IV", ("source", CREDITS))]),
    "PM40-IV-FA-TOTAL": ("133.00", {"lines": "133.00"}, [(PM40, "IV", ("source", ALTERNATIVE))]),
    # The cluster table's Total row (l.480), each year's column added by hand
    "PM40-II.1-TOTAL-2015": (  # 80 + 41 + 3.63 + 3.5 + 53
        "181.13",
        {"lines": "181.13"},
        [(PM40, "II.1", ("year", "2015")), (PM40, None, ("year", "2015"))],
    ),
    "PM40-II.1-TOTAL-2016": (  # 41 + 4.1 + 3.5 + 53
        "101.6",
        {"lines": "101.6"},
        [(PM40, "II.1", ("year", "2016")), (PM40, None, ("year", "2016"))],
    ),
    "PM40-II.1-TOTAL-2017": (  # 56 + 3.6 + 14.75 + 53
        "127.35",
        {"lines": "127.35"},
        [(PM40, "II.1", ("year", "2017"))],
    ),
    "PM40-II.1-TOTAL-2018": (
        "127.35",
        {"lines": "127.35"},
        [(PM40, "II.1", ("year", "2018"))],
    ),
    "PM40-II.1-TOTAL-2019": (  # 41 + 3.13 + 7.5 + 53
        "104.63",
        {"lines": "104.63"},
        [(PM40, "II.1", ("year", "2019"))],
    ),
    # Its Total column (l.470-478), each line over 2015-2019
    "PM40-II.1-PIT-TOTAL": ("80", {"lines": "80"}, []),
    "PM40-II.1-RDI-TOTAL": ("235", {"lines": "235"}, []),  # 41 + 41 + 56 + 56 + 41
    "PM40-II.1-FORMATION-TOTAL": ("18.06", {"lines": "18.06"}, []),  # 3.63+4.1+3.6+3.6+3.13
    "PM40-II.1-INTERNATIONAL-TOTAL": ("44", {"lines": "44"}, []),  # 3.5+3.5+14.75+14.75+7.5
    "PM40-II.1-VALORISATION-TOTAL": ("265", {"lines": "265"}, []),  # 5 x 53
    # Research 2015 (l.493, l.499): 28.5 + 15.7 + 104.8 + 7; the six lines 337.0; as the
    # table adds it, 155.98 + 121 + 60
    "RESEARCH-2015-BUDGETS-ORDINAIRES": ("155.98", {"lines": "156.0"}, []),
    "RESEARCH-2015-TOTAL": (
        "336.98",
        {"lines": "337.0", "listed": "336.98"},
        [(S3, None, "total"), (S3, None, ("year", "2015"))],
    ),
}

NUMBER = re.compile(r"-?\d{1,3}(?:[\s\u00a0\u202f]\d{3})*,\d{2}")


def numbers(html: str) -> list[D]:
    """The amounts of a table cell, in M€ as the page writes them (French: "2 401,98")."""
    text = re.sub(r"<[^>]+>", " ", html)
    return [
        D(re.sub(r"[\s\u00a0\u202f]", "", found).replace(",", "."))
        for found in NUMBER.findall(text)
    ]


def rows(page: str, table_class: str) -> list[list[str]]:
    """The cells (their HTML) of each row of the page's table of that class."""
    table = re.search(rf'<table class="[^"]*\b{table_class}\b[^"]*">(.*?)</table>', page, re.S)
    assert table, table_class
    return [
        re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        for row in re.findall(r"<tr>(.*?)</tr>", table.group(1), re.S)
    ]


def text(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def shown(published: D, parts: D) -> list[D]:
    """What a cell holding a total shows: the published figure, then, if they differ, the
    sum of its parts and the difference."""
    return [published] if published == parts else [published, parts, published - parts]


def grid_figure(page: str, what, labels: dict[str, str]) -> list[D]:
    """The numbers of the cell of the budget grid (by source and year) showing `what`."""
    grid = rows(page, "budget-grid")
    header = [text(cell) for cell in grid[0]]
    if what == "total":
        return numbers(grid[-1][-1])
    kind, key = what
    if kind == "source":
        (row,) = [row for row in grid[1:-1] if text(row[0]) == labels[key]]
        return numbers(row[-1])
    column = header.index("Toute la période" if key == "all" else key)
    return numbers(grid[-1][column])


def test_the_fixture_lists_every_declared_total_of_the_shipped_budgets(shipped_data):
    declared = set(BudgetLine.objects.filter(is_declared_total=True).values_list("code", flat=True))
    assert declared == set(TOTALS)


def test_every_published_total_is_the_total_of_the_pages_and_the_api(client, shipped_data):
    labels = dict(
        Term.objects.filter(taxonomy__code="funding-sources").values_list("code", "label")
    )
    pages: dict[str, str] = {}

    def page(url):
        if url not in pages:
            response = client.get(url)
            assert response.status_code == 200, url
            pages[url] = response.content.decode()
        return pages[url]

    checked = 0
    for code, (published, decompositions, places) in TOTALS.items():
        published, parts = D(published), D(decompositions["lines"])
        for strategy, node, what in places:
            # The API, with and without ?published=true (no reallocation in the seeds)
            for flag in ({}, {"published": "true"}):
                query = {"strategy": strategy, **({"node": node} if node else {}), **flag}
                body = exact_json(client.get("/api/v1/budgets/totals", query))
                if what == "total":
                    value, figure = body["total"], body["figure"]
                else:
                    kind, key = what
                    value = body[f"by_{kind}"][key]
                    figure = body[f"by_{kind}_figures"][key]
                assert D(value) / M == published, (code, what, flag)
                assert D(figure["total"]) / M == published, code
                assert D(figure["published_total"]) / M == published, code
                assert D(figure["sum_of_parts"]) / M == parts, code
                assert D(figure["difference"]) / M == published - parts, code
                assert figure["declared_total"] == code
            # The page: the node's page, or the strategy's budget page
            url = (
                reverse("dashboard:node-detail", args=[strategy, node])
                if node
                else reverse("dashboard:strategy-budget", args=[strategy])
            )
            assert grid_figure(page(url), what, labels) == shown(published, parts), (code, what)
            if node and what == "total":  # and the node's row on the strategy's budget page
                budget_page = page(reverse("dashboard:strategy-budget", args=[strategy]))
                (row,) = [
                    row
                    for row in rows(budget_page, "budget-nodes")
                    if f'/strategies/{strategy}/{node}/"' in row[0]
                ]
                assert numbers(row[1]) == shown(published, parts), code
            checked += 1
    assert checked == sum(len(places) for _p, _d, places in TOTALS.values()) == 35


def test_the_samples_of_the_issue(client, shipped_data):
    """The figures issue 14 quotes, read where a reader reads them."""
    feder = client.get(reverse("dashboard:strategy-budget", args=[FEDER])).content.decode()
    by_node = {text(row[0]).split(" ")[0]: numbers(row[1]) for row in rows(feder, "budget-nodes")}
    assert by_node["2"] == [D("439.50"), D("439.30"), D("0.20")]
    assert by_node["2.2"] == [D("92.70"), D("92.60"), D("0.10")]
    assert by_node["2.2.1"] == [D("60.70"), D("60.60"), D("0.10")]
    assert by_node["2.3"] == [D("202.10"), D("202.00"), D("0.10")]
    pm40 = exact_json(client.get("/api/v1/budgets/totals", {"strategy": PM40}))
    assert D(pm40["by_source"][CREDITS]) / M == D("2401.98")
    assert D(pm40["by_source_figures"][CREDITS]["sum_of_parts"]) / M == D("2401.99")
    s3 = exact_json(client.get("/api/v1/budgets/totals", {"strategy": S3, "published": "true"}))
    assert (D(s3["total"]) / M, D(s3["figure"]["sum_of_parts"]) / M) == (D("336.98"), D("337"))


def test_every_decomposition_is_compared_and_listed_under_a_unique_name(client, shipped_data):
    for strategy in (FEDER, PM40, S3):
        answer = exact_json(
            client.get("/api/v1/budgets/reconciliation", {"strategy": strategy, "limit": 500})
        )
        assert answer["next"] is None and answer["count"] == len(answer["items"])
        api = answer["items"]
        expected = {
            (code, kind): (D(published), D(parts))
            for code, (published, decompositions, _places) in TOTALS.items()
            for kind, parts in decompositions.items()
            if BudgetLine.objects.get(code=code).strategy.code == strategy
        }
        found = {(row["code"], row["decomposition"]): row for row in api}
        assert set(found) == set(expected), strategy
        for key, (published, parts) in expected.items():
            row = found[key]
            assert D(row["total"]) / M == D(row["published"]) / M == published, key
            assert D(row["sum_of_parts"]) / M == parts, key
            assert D(row["difference"]) / M == published - parts, key
        # One name per total, never shared by two totals
        names = {row["code"]: row["name"] for row in api}
        assert len(set(names.values())) == len(names), strategy
        assert len({(row["name"], row["decomposition"]) for row in api}) == len(api)

        # The page lists each of them, with the published figure and the sum of its parts
        page = client.get(reverse("dashboard:strategy-budget", args=[strategy])).content.decode()
        listed: dict[str, list] = {}
        for row in rows(page, "budget-reconciliation")[1:]:
            listed.setdefault(text(row[0]), []).append(
                tuple(numbers(row[2]) + numbers(row[3]) + numbers(row[4]))
            )
        assert set(listed) == set(names.values()), strategy
        for code, name in names.items():
            assert sorted(listed[name]) == sorted(
                (published, parts, published - parts)
                for (other, _kind), (published, parts) in expected.items()
                if other == code
            ), code


def test_the_downloads_show_the_same_figures(client, shipped_data):
    response = client.get(reverse("opendata:export", args=["budget-totals", "csv"]))
    content = b"".join(response.streaming_content).decode("utf-8")
    found = {
        (row["code"], row["decomposition"]): row
        for row in csv.DictReader(io.StringIO(content, newline=""))
    }
    for code, (published, decompositions, _places) in TOTALS.items():
        for kind, parts in decompositions.items():
            row = found.pop((code, kind))
            assert D(row["total"]) / M == D(row["declared"]) / M == D(published), code
            assert D(row["computed"]) / M == D(parts), (code, kind)
    assert not found  # nothing beyond the hand-checked decompositions

    response = client.get(reverse("opendata:export", args=["budget-execution", "csv"]))
    content = b"".join(response.streaming_content).decode("utf-8")
    (axis,) = [
        row
        for row in csv.DictReader(io.StringIO(content, newline=""))
        if (row["strategy"], row["node"], row["source"]) == (FEDER, "2", TRANSITION)
    ]
    assert D(axis["budget"]) / M == D("410.3")
    assert D(axis["budget_sum_of_parts"]) / M == D("410.2")
    assert D(axis["budget_difference"]) / M == D("0.1")


@pytest.fixture
def axes():
    """Two axes, each with a published total that differs from its one line by 5."""
    strategy = StrategyFactory(code="AX")
    level = StrategyLevelFactory(strategy=strategy)
    nodes = [StrategyNodeFactory(strategy=strategy, level=level, code=c) for c in "AB"]
    lines = [BudgetLineFactory(code=f"{n.code}-1", strategy=strategy, node=n) for n in nodes]
    for node in nodes:  # 105 published for the 100 of its line
        BudgetLineFactory(
            code=f"{node.code}-TOTAL",
            strategy=strategy,
            node=node,
            amount=D(105),
            is_declared_total=True,
        )
    return strategy, nodes, lines


def test_a_reallocation_across_a_published_total_moves_the_total_shown(axes):
    strategy, (a, b), (from_a, to_b) = axes
    move = reallocation_request(
        actor=SteeringFactory(), from_line=from_a, to_line=to_b, amount=D(30), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=move, approve=True)

    def figure(node, published=False):
        found = budget_totals(strategy, node=node, published=published)["total"]
        return found.total, found.sum_of_parts, found.difference

    # 105 published, 30 moved out: 75 shown; the source's arithmetic (+5) unchanged.
    assert figure(a) == (D(75), D(70), D(5))
    assert figure(b) == (D(135), D(130), D(5))
    assert figure(a, published=True) == (D(105), D(100), D(5))
    # The strategy adds both lines and nothing publishes their sum: 200, as moved or not.
    assert figure(None) == (D(200), D(200), None)


def test_of_two_totals_of_the_same_lines_the_more_precise_is_shown_both_reconciled(axes):
    strategy, (a, _b), _lines = axes
    BudgetLineFactory(
        code="A-ROUGH",
        strategy=strategy,
        node=a,
        amount=D(0),
        precision=D(1_000_000),
        is_declared_total=True,
    )

    found = budget_totals(strategy, node=a)["total"]
    assert (found.total, found.line.code) == (D(105), "A-TOTAL")
    rows = {(r.line.code, r.decomposition): r.difference for r in reconciliation(strategy)}
    assert rows == {
        ("A-TOTAL", "lines"): D(5),
        ("A-ROUGH", "lines"): D(-100),
        ("B-TOTAL", "lines"): D(5),
    }


def test_two_totals_that_would_read_the_same_are_named_by_their_codes(axes):
    strategy, (a, _b), _lines = axes
    BudgetLineFactory(code="A-AGAIN", strategy=strategy, node=a, amount=D(100))
    BudgetLineFactory(
        code="A-TOTAL-AGAIN", strategy=strategy, node=a, amount=D(99), is_declared_total=True
    )

    names = {r.line.code: r.name for r in reconciliation(strategy)}
    assert names["A-TOTAL"].endswith("(A-TOTAL)")
    assert names["A-TOTAL-AGAIN"].endswith("(A-TOTAL-AGAIN)")
    assert "(" not in names["B-TOTAL"]
    assert len(set(names.values())) == 3


def test_a_page_says_when_reallocations_moved_a_published_total(client, axes):
    _strategy, _nodes, (from_a, to_b) = axes
    move = reallocation_request(
        actor=SteeringFactory(), from_line=from_a, to_line=to_b, amount=D(30), reason="x"
    )
    reallocation_decide(actor=SteeringFactory(), reallocation=move, approve=True)

    page = client.get(reverse("dashboard:node-detail", args=["AX", "A"])).content.decode()
    # 105 published less the 30 moved; its published figure, its parts (70) and +5 beside
    assert numbers(rows(page, "budget-grid")[-1][-1]) == [D(75), D(105), D(70), D(5)]
