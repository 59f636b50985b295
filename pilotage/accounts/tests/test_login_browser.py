"""The public login in a real browser: a reader and a jury member log in from the header's
link and see their page; axe-core finds no WCAG 2.1 AA violation on the login page and on
the role's page, on a phone (375 px) and a desktop (1366 px), and neither scrolls sideways.

The browser, axe-core and the switch (PILOTAGE_BROWSER_TESTS=required in CI) are those of
the public pages' browser tests.
"""

from __future__ import annotations

import pytest

from pilotage.accounts.tests.factories import JuryMemberFactory, UserFactory
from pilotage.dashboard.tests import test_browser as public

pytestmark = [pytest.mark.slow, pytest.mark.browser]

# The public pages' Chromium (skipped without it, unless the browser tests are required).
browser = public.browser
PASSWORD = "correct horse battery staple"  # the factories' password
WIDTHS = [375, 1366]


@pytest.fixture
def accounts(transactional_db, live_server):
    """A reader and a jury member, with long names and addresses (the header must fit)."""
    reader = UserFactory(
        email="lea.vandenberghe-de-montmorency@example.org", full_name="Léa Vandenberghe"
    )
    jury = JuryMemberFactory(email="jury@example.org", full_name="Marc Dubois")
    return live_server.url, {"reader": reader, "jury": jury}


def scrolls_sideways(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth > document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize(
    "who, heading",
    [("reader", "Ce que vous pouvez lire"), ("jury", "Vos évaluations")],
)
def test_a_reader_and_a_jury_member_log_in_from_the_header_and_see_their_page(
    browser, accounts, who, heading, width
):
    site, users = accounts
    user = users[who]
    page, problems = public.open_page(browser)
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(site + "/actions/")

    page.locator(".account-nav").get_by_role("link", name="Se connecter").click()
    page.wait_for_url("**/account/login/")
    login_violations = public.axe_violations(page)
    login_scrolls = scrolls_sideways(page)
    page.get_by_label("Adresse e-mail").fill(user.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(site + "/account/")

    assert page.get_by_role("heading", level=1).inner_text() == "Mon espace"
    assert page.get_by_role("heading", name=heading).is_visible()
    assert page.locator(".account-nav a").inner_text() == f"Mon espace · {user.get_short_name()}"
    assert page.get_by_role("button", name="Se déconnecter").is_visible()
    assert (login_violations, public.axe_violations(page)) == ([], [])
    assert (login_scrolls, scrolls_sideways(page)) == (False, False)
    assert not problems, problems


def test_a_wrong_password_is_said_at_the_top_and_the_page_stays_accessible(browser, accounts):
    site, users = accounts
    page, problems = public.open_page(browser)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(site + "/account/login/")
    page.get_by_label("Adresse e-mail").fill(users["reader"].email)
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()

    alert = page.get_by_role("alert")
    assert "L'adresse e-mail ou le mot de passe n'est pas correct." in alert.inner_text()
    assert public.axe_violations(page) == []
    assert not scrolls_sideways(page)
    assert not problems, problems


def test_logging_out_from_the_header_ends_the_session(browser, accounts):
    site, users = accounts
    page, problems = public.open_page(browser)
    page.goto(site + "/account/login/")
    page.get_by_label("Adresse e-mail").fill(users["jury"].email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(site + "/account/")

    page.get_by_role("button", name="Se déconnecter").click()
    page.wait_for_url(site + "/account/logout/")
    assert page.get_by_role("heading", level=1).inner_text() == "Vous êtes déconnecté"
    page.goto(site + "/account/")
    assert "/account/login/?next=/account/" in page.url
    assert not problems, problems
