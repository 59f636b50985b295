"""The public pages in a real browser: axe-core finds no WCAG 2.1 AA violation on any page
type, the Content-Security-Policy blocks nothing, the keyboard reaches everything in order,
the filters work with and without JavaScript, and the charts draw.

Debian's Chromium, driven by Playwright. Without Chromium these tests skip, unless
PILOTAGE_BROWSER_TESTS=required (CI), where its absence is a failure. With
PILOTAGE_SCREENSHOTS=1 they also refresh the README's screenshots in docs/screenshots/.
"""

from __future__ import annotations

import datetime
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.indicators.campaigns import campaign_open

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
AXE = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"
# WCAG 2.1 A and AA, the level the EU Web Accessibility Directive asks of public sites.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Every public page type, with the name of its screenshot.
PAGES = [
    ("home", "/"),
    ("strategy", "/strategies/DW2016-2024/"),
    ("ambition", "/strategies/DW2016-2024/A2/"),
    ("programme", "/strategies/DW2016-2024/A4.P2/"),
    ("budget", "/strategies/PM40/budget/"),
    ("actions", "/actions/?type=call-for-projects&audience=companies"),
    ("action", "/actions/DW-EPN/"),
    ("indicator", "/indicators/DW-EPN-COUNT/"),
    ("search", "/search/?q=numerique"),
    ("search-group", "/search/?q=wallonie&group=nodes&page=2"),
    ("actions-by-status", "/actions/?progress=on_track&progress=no_data"),
    ("coverage", "/reporting/Q4-2024/coverage/"),
    ("registry", "/registry/?type=competitiveness-cluster&not-s3-domains=agri-food"),
    ("organisation", "/registry/MECATECH/"),
    ("exports", "/exports/"),
    ("not-found", "/strategies/NO-SUCH-STRATEGY/"),
    ("bad-filter", "/actions/?type=unknown"),
    ("home-en", "/en/"),
    ("actions-de", "/de/actions/"),
    ("indicator-nl", "/nl/indicators/DW-EPN-COUNT/"),
]


@pytest.fixture(scope="module")
def browser():
    if CHROMIUM is None:
        if os.environ.get("PILOTAGE_BROWSER_TESTS") == "required":
            pytest.fail("Chromium is required for the browser tests (apt-get install chromium).")
        pytest.skip(reason="Chromium is not installed (apt-get install chromium).")
    if not AXE.is_file():
        pytest.fail(f"axe-core is expected at {AXE} (make install-dev installs it from npm).")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # happen before pages load, never concurrently with them.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(transactional_db, live_server):
    """The shipped data and a reporting campaign, served by a live server."""
    call_command("load", no_progress=True, verbosity=0)
    campaign_open(
        actor=SteeringFactory(),
        code="Q4-2024",
        title="Rapport du 4e trimestre 2024",
        period_start=datetime.date(2024, 10, 1),
        period_end=datetime.date(2024, 12, 31),
        deadline=datetime.date(2025, 1, 31),
    )
    return live_server.url


def open_page(browser, *, javascript: bool = True, width: int = 1280):
    context = browser.new_context(
        viewport={"width": width, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    # No request may leave the site: no CDN, no third party.
    page.on(
        "request",
        lambda request: (
            problems.append(f"third-party request {request.url}")
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:"))
            else None
        ),
    )
    return page, problems


def axe_violations(page) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + "; ".join(node["target"][0] for node in violation["nodes"][:3])
        for violation in result["violations"]
    ]


# A phone and a laptop: no page may scroll sideways, a wide table scrolls in its region.
WIDTHS = [375, 1366]


@pytest.mark.parametrize("width", WIDTHS)
def test_axe_finds_no_violation_on_any_page_type_and_nothing_is_blocked(browser, site, width):
    page, problems = open_page(browser, width=width)
    found, wide = {}, {}
    for name, path in PAGES:
        response = page.goto(site + path)
        assert response.status in (200, 400, 404), (path, response.status)
        if page.locator("[data-vega-spec]").count():
            page.wait_for_selector(".chart-rendered", timeout=10_000)
        # Open the data tables, so that axe checks them too.
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = axe_violations(page)
        if violations:
            found[path] = violations
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        if scroll_width > width:
            wide[path] = scroll_width
        if os.environ.get("PILOTAGE_SCREENSHOTS") and "-" not in name and width == 1366:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("document.querySelectorAll('details').forEach(d => d.open = false)")
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
    # The 404 and 400 pages answer so on purpose; nothing else may fail to load.
    unexpected = [p for p in problems if "status of 40" not in p]
    assert not found, found
    assert not wide, wide
    assert not unexpected, unexpected


def test_the_keyboard_reaches_the_content_first_then_every_control_in_order(browser, site):
    page, _problems = open_page(browser)
    page.goto(site + "/actions/")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    assert page.evaluate("getComputedStyle(document.activeElement).left") != "-15984px"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    # From the main content, the next stops are the filters, in reading order.
    order = []
    for _ in range(6):
        page.keyboard.press("Tab")
        order.append(page.evaluate("document.activeElement.id || document.activeElement.name"))
    filter_ids = page.evaluate(
        "[...document.querySelectorAll('.filters input')].slice(0, 6).map(e => e.id)"
    )
    assert order == filter_ids
    # Every focused control shows where the focus is.
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_a_filter_ticked_with_the_keyboard_updates_results_url_and_keeps_the_focus(browser, site):
    page, problems = open_page(browser)
    page.goto(site + "/actions/")
    before = page.locator(".result-count").inner_text()
    box = page.locator("#filter-type-call-for-projects")
    box.focus()
    page.keyboard.press("Space")
    page.wait_for_url("**type=call-for-projects**")
    page.wait_for_function(
        "before => document.querySelector('.result-count').innerText !== before", arg=before
    )
    assert page.evaluate("document.activeElement.id") == "filter-type-call-for-projects"
    assert page.locator("#filter-type-call-for-projects").is_checked()
    assert not problems, problems


def test_the_filters_work_without_javascript(browser, site):
    page, _problems = open_page(browser, javascript=False)
    page.goto(site + "/actions/")
    page.locator("#filter-type-call-for-projects").check()
    page.get_by_role("button", name=page.locator(".filter-buttons button").inner_text()).click()
    page.wait_for_url("**type=call-for-projects**")
    count = page.locator(".result-count").inner_text()
    listed = page.locator(".action-list li").count()
    assert count.startswith(str(listed))


# The charts' pages: an indicator's (in French and in Dutch), the budget pages (with and
# without money committed) and a node's with parts.
CHART_PAGES = [
    "/indicators/DW-EPN-COUNT/",
    "/nl/indicators/DW-EPN-COUNT/",
    "/strategies/PM40/budget/",
    "/strategies/DW2016-2024/budget/",
    "/strategies/DW2016-2024/A4/",
]
CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-vega-spec]')].map(figure => {
  const canvas = figure.querySelector('.chart-canvas');
  const texts = (root, selector) => [...root.querySelectorAll(selector)].map(t => t.textContent);
  return {
    id: figure.dataset.vegaSpec,
    description: canvas.getAttribute('aria-label'),
    axes: [...canvas.querySelectorAll('g.role-axis')]
      .map(axis => texts(axis, 'g.role-axis-label text')).filter(labels => labels.length),
    legend: texts(canvas, 'g.role-legend-label text'),
    lines: [...canvas.querySelectorAll('g.mark-line path')].map(path => path.getAttribute('d')),
    rows: figure.querySelectorAll('.chart-data tbody tr').length,
    right: canvas.getBoundingClientRect().right,
  };
})"""


@pytest.mark.parametrize("width", WIDTHS)
def test_every_chart_draws_with_its_description_legend_and_table_and_fits(browser, site, width):
    page, problems = open_page(browser, width=width)
    found, drawn = {}, {}
    for path in CHART_PAGES:
        page.goto(site + path)
        count = page.locator("[data-vega-spec]").count()
        assert count, path
        page.wait_for_function(
            "n => document.querySelectorAll('.chart-rendered').length === n", arg=count
        )
        drawn[path] = {chart["id"]: chart for chart in page.evaluate(CHARTS_DRAWN)}
        for chart in drawn[path].values():
            assert chart["description"], (path, chart["id"])  # what it shows, in words
            assert chart["rows"] > 0, (path, chart["id"])  # and its data table
            assert chart["right"] <= width, (path, chart["id"], chart["right"])
            for labels in chart["axes"]:
                assert len(labels) == len(set(labels)), (path, chart["id"], labels)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        violations = axe_violations(page)
        if violations:
            found[path] = violations
    assert not found, found
    assert not problems, problems
    # 166 public digital spaces at the end of 2023, 226 in 2024: one line joins them, on
    # a yearly axis, with a legend, in each reader's language.
    for path, names in [
        ("/indicators/DW-EPN-COUNT/", ["Valeur rapportée", "Valeur de référence"]),
        ("/nl/indicators/DW-EPN-COUNT/", ["Gerapporteerde waarde", "Referentiewaarde"]),
    ]:
        chart = drawn[path]["chart-indicator"]
        assert len(chart["lines"]) == 1 and "L" in chart["lines"][0]  # a segment, not dots
        assert chart["axes"][0] == ["2023", "2024"]
        assert chart["legend"] == names
    assert set(drawn["/strategies/PM40/budget/"]) == {
        "chart-budget-sources",
        "chart-budget-years",
        "chart-budget-nodes",
    }
    assert drawn["/strategies/DW2016-2024/budget/"]["chart-budget-nodes"]["legend"] == [
        "Budget",
        "Engagé",
    ]
    assert drawn["/strategies/DW2016-2024/A4/"]["chart-children"]["rows"] == 2
