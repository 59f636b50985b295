"""The reporting form in a real browser, as a partner uses it: numbers typed the way they
are written in French are stored exactly, and a value that is no number is refused at
its field, with what was typed kept and the error read out with the field.

The browser, axe-core and the switch (PILOTAGE_BROWSER_TESTS=required in CI) are those of
the public pages' browser tests.
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal as D

import pytest

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.dashboard.tests import test_browser as public
from pilotage.indicators.campaigns import campaign_open
from pilotage.indicators.models import Measure, Observation
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory
from pilotage.strategies.tests.factories import ActionFactory

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The public pages' Chromium (skipped without it, unless the browser tests are required).
browser = public.browser
PASSWORD = "correct horse battery staple"  # the factories' password


@pytest.fixture
def reporting(transactional_db, live_server):
    """A campaign, a partner and two of its indicators: a count and a percentage."""
    campaign = campaign_open(
        actor=SteeringFactory(),
        code="T1-2026",
        title="Rapport du 1er trimestre 2026",
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        deadline=datetime.date(2026, 4, 15),
    )
    partner = PartnerEditorFactory(email="partenaire@example.org")
    action = ActionFactory(lead=partner.organisation)
    count = IndicatorFactory(action=action, code="LEVEES", unit="€")
    percent = IndicatorFactory(action=action, code="TAUX", unit="%", measure=Measure.PERCENTAGE)
    return live_server.url, campaign, count, percent


def logged_in(browser, site: str, campaign):
    """A partner's page, reached as a partner does: the page sends to the public login,
    which sends back to it."""
    page, problems = public.open_page(browser)
    page.goto(f"{site}/reporting/{campaign.code}/")
    page.wait_for_url(re.compile(r"/account/login/\?next=/reporting/"))
    page.get_by_label("Adresse e-mail").fill("partenaire@example.org")
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.locator("main").get_by_role("button", name="Se connecter").click()
    page.wait_for_url(f"**/reporting/{campaign.code}/")
    return page, problems


def submit(page, indicator, typed: str):
    page.fill(f"#value-{indicator.pk}", typed)
    with page.expect_navigation():
        page.locator(f"form.value-form:has(#value-{indicator.pk}) button[type=submit]").click()


def stored_cell(page, indicator) -> str:
    """The value the page shows as stored, in the indicator's row."""
    return page.locator(f"tr:has(#indicator-{indicator.pk}) td.number").inner_text().strip()


def test_a_partner_reports_5_000_000_and_12_5_percent_then_sees_abc_refused_at_the_field(
    browser, reporting
):
    site, campaign, count, percent = reporting
    page, problems = logged_in(browser, site, campaign)
    assert public.axe_violations(page) == []

    submit(page, count, "5 000 000")
    submit(page, percent, "12,5 %")

    stored = {
        observation.indicator_id: (observation.value, observation.state)
        for observation in Observation.objects.all()
    }
    assert stored == {
        count.pk: (D(5000000), State.SUBMITTED),
        percent.pk: (D("12.5"), State.SUBMITTED),
    }
    # Shown as French writes it, and prefilled as the form reads it back.
    assert stored_cell(page, count) == "5\u00a0000\u00a0000"
    assert stored_cell(page, percent) == "12,5"
    assert page.input_value(f"#value-{count.pk}") == "5000000"
    assert page.input_value(f"#value-{percent.pk}") == "12,5"

    submit(page, count, "abc")

    field = page.locator(f"#value-{count.pk}")
    assert field.input_value() == "abc"
    assert field.get_attribute("aria-invalid") == "true"
    described = field.get_attribute("aria-describedby").split()
    error = page.locator(f"#{described[0]}")
    # The error is the field's own, next to it (its next sibling), and read with it.
    assert described[0] == f"value-{count.pk}-error"
    assert page.locator(f"#value-{count.pk} + #value-{count.pk}-error").count() == 1
    assert "abc" in error.inner_text()
    assert page.evaluate("document.activeElement.id") == f"value-{count.pk}"
    # The other field is untouched, and nothing changed in the database.
    assert page.locator(f"#value-{percent.pk}").get_attribute("aria-invalid") is None
    assert Observation.objects.get(indicator=count).value == D(5000000)
    assert public.axe_violations(page) == []
    # Only the refused submission answered 400; nothing else failed to load.
    assert [p for p in problems if "status of 400" not in p] == []


def test_a_checked_file_shows_its_report_then_is_submitted_without_a_second_upload(
    browser, reporting
):
    site, campaign, count, percent = reporting
    page, problems = logged_in(browser, site, campaign)
    page.set_input_files(
        "#id_file",
        files=[
            {
                "name": "valeurs.csv",
                "mimeType": "text/csv",
                "buffer": "indicator;value\nLEVEES;5 000 000\nTAUX;12,5 %\n".encode("cp1252"),
            }
        ],
    )
    with page.expect_navigation():
        page.locator("button[name=check]").click()

    assert page.locator(".upload-report tbody tr").count() == 2
    assert not Observation.objects.exists()
    assert public.axe_violations(page) == []

    with page.expect_navigation():
        page.locator("button[name=import_checked]").click()

    assert {o.indicator_id: o.value for o in Observation.objects.all()} == {
        count.pk: D(5000000),
        percent.pk: D("12.5"),
    }
    assert stored_cell(page, count) == "5\u00a0000\u00a0000"
    assert problems == []
