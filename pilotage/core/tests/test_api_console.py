"""The API's console (/api/v1/docs) renders in a real browser: Swagger UI reads the
schema, lists every operation, and the site's Content-Security-Policy blocks nothing."""

from __future__ import annotations

import pytest

from config.api import api
from pilotage.dashboard.tests import test_browser as public

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The public pages' Chromium (skipped without it, unless the browser tests are required).
browser = public.browser


def test_the_api_console_renders_every_operation(browser, transactional_db, live_server):
    operations = sum(len(methods) for methods in api.get_openapi_schema()["paths"].values())
    page, problems = public.open_page(browser)
    page.goto(f"{live_server.url}/api/v1/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    # A schema Swagger UI cannot parse shows its error box instead of the operations.
    assert page.locator(".errors-wrapper").count() == 0
    assert page.locator(".opblock").count() == operations
    assert page.locator(".info .title").inner_text().startswith("Pilotage API")
    assert not problems, problems
