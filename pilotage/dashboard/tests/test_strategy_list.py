"""The first public page, a dashboard: every public strategy's headline figures and its
ambitions with progress, the values published lately, without account or JavaScript."""

import datetime
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from pilotage.budgets.models import Flow
from pilotage.budgets.selectors import budget_table
from pilotage.budgets.tests.factories import BudgetLineFactory
from pilotage.core.formatting import money_text, money_unit
from pilotage.core.revisions import ChangeKind, changed
from pilotage.dashboard.selectors import quarter_start
from pilotage.indicators.models import Indicator, Observation
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.models import Action, Strategy, StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
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


def test_home_shows_public_strategies_with_their_ambitions_and_the_way_into_their_tree(client):
    strategy = strategy_with_tree(title_fr="Stratégie publique")

    response = client.get("/")

    page = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="fr">' in page
    assert "Stratégie publique" in page and "Territoire" in page
    assert strategy.owner.name in page
    # The tree below the ambitions is one click away, on the strategy's page.
    assert "Connectivité" not in page
    assert f'href="/strategies/{strategy.code}/"' in page
    assert "Connectivité" in client.get(f"/strategies/{strategy.code}/").content.decode()


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


def strategy_with_work(index: int) -> Strategy:
    """A strategy with its tree, an action serving its lever with an indicator and a
    value, an indicator on its ambition, and budget lines."""
    strategy = strategy_with_tree(code=f"S{index}")
    lever = strategy.nodes.get(code="L1")
    action = ActionFactory(code=f"S{index}-ACT")
    action.nodes.set([lever])
    ObservationFactory(indicator=IndicatorFactory(action=action, code=f"S{index}-IND"))
    IndicatorFactory(action=None, node=lever.parent, code=f"S{index}-NODE")
    for flow in (Flow.PLANNED, Flow.PAID):
        BudgetLineFactory(strategy=strategy, node=lever, action=None, year=2025, flow=flow)
    BudgetLineFactory(strategy=strategy, node=None, action=action, year=2025)
    return strategy


def test_the_number_of_queries_does_not_grow_with_the_strategies(client):
    strategy_with_work(0)
    changed(ChangeKind.STRUCTURE)
    client.get("/")  # builds the read model
    with CaptureQueriesContext(connection) as before:
        client.get("/")
    for index in range(1, 6):
        strategy_with_work(index)
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    assert client.get("/").content.decode().count('class="strategy"') == 6
    with CaptureQueriesContext(connection) as after:
        client.get("/")
    assert len(after) == len(before) <= 9


def headline(page: str, code: str) -> dict[str, str]:
    """The figures a strategy's section of the home page shows, by their label."""
    section = re.search(
        rf'<section class="strategy" id="strategy-{re.escape(code)}".*?</section>', page, re.S
    )
    assert section, code
    block = re.search(r'<dl class="headline">(.*?)</dl>', section.group(0), re.S)
    if block is None:
        return {}
    return {
        dt: re.sub(r"<[^>]+>|\s+", " ", dd).strip()
        for dt, dd in re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", block.group(1), re.S)
    }


def test_every_strategy_shows_the_actions_and_indicators_serving_it(client, shipped_data):
    page = client.get("/").content.decode()
    shown_nonzero = 0
    for strategy in Strategy.objects.public():
        # Counted here with the ORM: an action serves a strategy through its nodes; an
        # indicator counts once, on one of its nodes or one of its actions.
        actions = Action.objects.public().filter(nodes__strategy=strategy).distinct().count()
        indicators = (
            Indicator.objects.public()
            .filter(Q(node__strategy=strategy) | Q(action__nodes__strategy=strategy))
            .distinct()
            .count()
        )
        figures = headline(page, strategy.code)
        lines = budget_table(strategy)
        if not (actions or indicators or lines.lines):
            assert figures == {}, strategy.code
            continue
        assert figures["Actions"] == str(actions), strategy.code
        assert figures["Indicateurs"] == str(indicators), strategy.code
        shown_nonzero += actions > 0
        if lines.total.figure is not None:
            amount = lines.total.figure.total
            unit = money_unit([amount])
            expected = f"{money_text(amount, unit)} {unit}"
            assert figures["Budget"] == re.sub(r"\s+", " ", expected), strategy.code
    assert shown_nonzero == 3  # DW2024-2029, DW2016-2024 and PM40 have actions in the data


def test_the_status_figures_add_up_to_what_the_indicators_are(client, shipped_data):
    from pilotage.indicators.readmodel import read_model

    page = client.get("/").content.decode()
    model = read_model()
    figures = headline(page, "DW2016-2024")
    strategy = Strategy.objects.get(code="DW2016-2024")
    ids = (
        Indicator.objects.public()
        .filter(Q(node__strategy=strategy) | Q(action__nodes__strategy=strategy))
        .values_list("pk", flat=True)
    )
    statuses = [model.assessment(pk).status for pk in set(ids)]
    assert figures["En retard"] == str(statuses.count("behind"))
    assert figures["À risque"] == str(statuses.count("at_risk"))
    assert figures["En bonne voie ou atteint"] == str(
        statuses.count("on_track") + statuses.count("achieved")
    )


def test_source_files_never_show_as_file_names(client, shipped_data):
    for path in ["/", "/strategies/PM40/", "/strategies/PM40/budget/", "/actions/DW-EPN/"]:
        page = client.get(path).content.decode()
        assert not re.search(r"\d{3}_[0-9a-f]{16}\.txt", page), path
    # A source given by its title stays.
    assert (
        "Mémorandum Digital Wallonia 2024-2029"
        in client.get("/indicators/DW-EPN-COUNT/").content.decode()
    )


def test_the_values_published_since_the_last_quarter_start_are_listed(client):
    strategy_with_work(0)
    old = ObservationFactory(
        indicator=Indicator.objects.get(code="S0-NODE"),
        period_start=datetime.date(2019, 1, 1),
        period_end=datetime.date(2019, 12, 31),
        value=Decimal(7),
    )
    since = quarter_start(timezone.localdate())
    Observation.objects.filter(pk=old.pk).update(
        updated_at=timezone.make_aware(datetime.datetime.combine(since, datetime.time()))
        - datetime.timedelta(days=1)
    )
    changed(ChangeKind.STRUCTURE)
    page = client.get("/").content.decode()
    recent = re.search(r'<section class="recent".*?</section>', page, re.S).group(0)
    assert 'href="/indicators/S0-IND/"' in recent
    assert 'href="/indicators/S0-NODE/"' not in recent


@pytest.mark.parametrize(
    "day, start",
    [
        (datetime.date(2026, 12, 3), datetime.date(2026, 7, 1)),
        (datetime.date(2026, 1, 1), datetime.date(2025, 10, 1)),
        (datetime.date(2026, 5, 31), datetime.date(2026, 1, 1)),
    ],
)
def test_the_previous_quarter_starts_three_months_before_this_one(day, start):
    assert quarter_start(day) == start


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
