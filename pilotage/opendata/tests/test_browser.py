"""The exports index and a collection's page in a real browser, on a phone and on a
laptop: axe-core finds no WCAG 2.1 AA violation, and the preview scrolls inside its own
region, never the page (the setup of dashboard's browser tests)."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from pilotage.dashboard.tests.test_browser import axe_violations, browser, open_page  # noqa: F401

pytestmark = [pytest.mark.slow, pytest.mark.browser]

PATHS = ["/exports/", "/exports/organisations/", "/exports/indicators/", "/en/exports/actions/"]


@pytest.fixture
def site(transactional_db, live_server):
    call_command("load", no_progress=True, verbosity=0)
    return live_server.url


@pytest.mark.parametrize("width", [375, 1366])
def test_axe_finds_nothing_on_the_open_data_pages(browser, site, width):  # noqa: F811
    page, problems = open_page(browser)
    page.set_viewport_size({"width": width, "height": 900})
    found = {}
    for path in PATHS:
        response = page.goto(site + path)
        assert response.status == 200, path
        if violations := axe_violations(page):
            found[path] = violations
        # The page itself never scrolls sideways; a wide table scrolls in its region.
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, (path, width, overflow)
    assert not found, found
    assert not problems, problems


def test_the_preview_scrolls_inside_its_region_on_a_phone(browser, site):  # noqa: F811
    page, _problems = open_page(browser)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(site + "/exports/indicators/")
    region = page.locator('[aria-labelledby="dataset-preview-caption"]')

    widths = region.evaluate("r => [r.scrollWidth, r.clientWidth, getComputedStyle(r).overflowX]")

    assert widths[0] > widths[1] and widths[2] == "auto"
    assert region.locator("tbody tr").count() == 10
