"""The first public page: every public strategy with its tree, without account or JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilotage.core.revisions import ChangeKind, changed
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import (
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


def strategy_with_tree(**kwargs):
    strategy = StrategyFactory(**kwargs)
    top = StrategyLevelFactory(strategy=strategy, code="ambition", name_fr="Ambition", depth=0)
    below = StrategyLevelFactory(strategy=strategy, code="lever", name_fr="Levier", depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top, code="1", title_fr="Territoire")
    StrategyNodeFactory(
        strategy=strategy, level=below, parent=ambition, code="L1", title_fr="Connectivité"
    )
    return strategy


def test_home_shows_public_strategies_with_their_trees(client):
    strategy = strategy_with_tree(title_fr="Stratégie publique")

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Stratégie publique" in page and "Territoire" in page and "Connectivité" in page
    assert strategy.owner.name in page


def test_drafts_are_not_public(client):
    strategy_with_tree(title_fr="Brouillon secret", status=StrategyStatus.DRAFT)
    assert "Brouillon secret" not in client.get("/").content.decode()


def test_home_needs_no_javascript_and_sends_security_headers(client):
    strategy_with_tree(title_fr="Stratégie lisible")
    response = client.get("/")
    page = response.content.decode()
    # The content is in the HTML itself; scripts only enhance, from our own static files.
    assert "Stratégie lisible" in page and "Territoire" in page
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts and all('src="/static/' in attributes for attributes in scripts)
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert response["X-Frame-Options"] == "DENY"


def test_the_number_of_queries_does_not_grow_with_the_strategies(client):
    strategy_with_tree()
    client.get("/")  # builds the read model
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for _ in range(5):
        strategy_with_tree()
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    assert client.get("/").content.decode().count('class="strategy"') == 6
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after) == len(before) <= 3


@pytest.mark.parametrize("language", ["nl", "de", "en"])
def test_every_language_has_its_url(client, language):
    strategy_with_tree(title_fr="Titre français", title_en="English title")
    response = client.get(f"/{language}/")
    page = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language}">' in page
    expected = "English title" if language == "en" else "Titre français"  # French is the fallback
    assert expected in page


def test_the_home_page_of_the_shipped_data(client, shipped_data):
    page = client.get(reverse("dashboard:strategy-list")).content.decode()
    for title in ["Plan Marshall 4.0", "Digital Wallonia"]:
        assert title in page


@pytest.mark.parametrize(
    "prefix, heading",
    [("", "Stratégies"), ("/nl", "Strategieën"), ("/de", "Strategien"), ("/en", "Strategies")],
)
def test_the_interface_speaks_french_first_and_three_other_languages(client, prefix, heading):
    page = client.get(f"{prefix}/").content.decode()
    assert f"<h1>{heading}</h1>" in page
