"""The node, action and indicator pages, their charts and data, and search."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.formatting import percent_text
from pilotage.dashboard.charts import series_names
from pilotage.indicators.models import Observation, ObservationState
from pilotage.indicators.services import observation_transition
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def programme():
    strategy = StrategyFactory(code="DW")
    ambition = StrategyNodeFactory(
        strategy=strategy,
        level=StrategyLevelFactory(strategy=strategy, code="ambition", depth=0),
        code="A1",
        title_fr="Territoire intelligent",
    )
    node = StrategyNodeFactory(
        strategy=strategy,
        level=StrategyLevelFactory(strategy=strategy, code="programme", depth=1),
        parent=ambition,
        code="A1.P1",
        title_fr="Giga Région",
    )
    action = ActionFactory(
        code="LAST-MILE",
        title_fr="Appels à projets « Last Mile »",
        description_fr="Connectivité à très haut débit des foyers.",
        start_date=datetime.date(2022, 1, 1),
        end_date=datetime.date(2025, 12, 31),
    )
    action.nodes.set([node])
    indicator = IndicatorFactory(
        action=action,
        code="HOUSEHOLDS",
        title_fr="Foyers connectés",
        unit="foyers",
        baseline_value=Decimal(0),
        baseline_date=datetime.date(2022, 1, 1),
        target_value=Decimal(58414),
        target_date=datetime.date(2025, 12, 31),
    )
    for year, value, state in [
        (2023, 20000, ObservationState.PUBLISHED),
        (2024, 41000, ObservationState.PUBLISHED),
        (2025, 99999, ObservationState.SUBMITTED),  # not public yet
    ]:
        ObservationFactory(
            indicator=indicator,
            period_start=datetime.date(year, 1, 1),
            period_end=datetime.date(year, 12, 31),
            value=Decimal(value),
            state=state,
        )
    return {"strategy": strategy, "ambition": ambition, "node": node, "action": action}


def chart_spec(page: str, chart_id: str) -> dict:
    match = re.search(
        rf'<script id="{chart_id}" type="application/json">(.*?)</script>', page, re.S
    )
    return json.loads(match.group(1))


def test_an_ambition_page_shows_where_it_sits_what_is_below_and_its_actions(client, programme):
    response = client.get("/strategies/DW/A1/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Territoire intelligent</h1>" in page
    assert 'href="/strategies/DW/A1.P1/"' in page  # its programme, with a link
    assert "Appels à projets « Last Mile »" in page  # the action below its programme
    assert "1 action correspond" in page or "1 action matches" in page


def test_an_indicator_page_charts_only_published_values_with_the_same_rows_as_its_table_and_csv(
    client, programme
):
    page = client.get("/indicators/HOUSEHOLDS/").content.decode()
    spec = chart_spec(page, "chart-indicator")
    reported = series_names()["actual"]
    actual = [row for row in spec["data"]["values"] if row["series"] == reported]
    assert [row["value"] for row in actual] == [20000.0, 41000.0]
    target = [row for row in spec["data"]["values"] if row["series"] != reported]
    assert [row["value"] for row in target] == [0.0, 58414.0]  # baseline to target
    assert "99999" not in page and "99 999" not in page  # a submitted value is not public
    download = client.get("/indicators/HOUSEHOLDS/data.csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert [(row["series"], row["date"], row["value"]) for row in rows] == [
        ("target", "2022-01-01", "0"),
        ("actual", "2023-12-31", "20000"),
        ("actual", "2024-12-31", "41000"),
        ("target", "2025-12-31", "58414"),
    ]
    table_rows = re.findall(r"<tr><th scope=\"row\">.*?</tr>", page.split("chart-data")[1])
    assert len(table_rows) == len(rows)


def test_an_action_page_has_a_chart_per_indicator_and_a_timeline(client, programme):
    page = client.get("/actions/LAST-MILE/").content.decode()
    layers = chart_spec(page, "chart-HOUSEHOLDS")["layer"]
    assert "line" in [layer["mark"]["type"] for layer in layers]
    timeline = page.split('class="timeline"')[1].split("</ol>")[0]
    dates = re.findall(r'datetime="([\d-]+)"', timeline)
    assert dates == sorted(dates) and dates[0] == "2022-01-01" and "2024-12-31" in dates
    assert 'href="/strategies/DW/A1.P1/"' in page  # the programme it contributes to


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("last mile", True),
        ("connectivite", True),  # no accent typed, "Connectivité" found
        ("foyer", True),  # singular typed, "foyers" found (stemming)
        ("régions", True),  # "Giga Région"
        ("cybersécurité", False),
    ],
)
def test_search_folds_accents_and_stems_french_words(client, programme, query, found):
    page = client.get("/search/", {"q": query}).content.decode()
    titles = ["Appels à projets « Last Mile »", "Foyers connectés", "Giga Région"]
    assert any(title in page for title in titles) is found


def test_search_refuses_an_oversized_query_and_shows_nothing_unpublished(client, programme):
    assert client.get("/search/", {"q": "x" * 201}).status_code == 400
    hidden = ActionFactory(title_fr="Projet confidentiel")
    hidden.nodes.set([StrategyNodeFactory(strategy=StrategyFactory(status="draft"))])
    page = client.get("/search/", {"q": "confidentiel"}).content.decode()
    assert "Projet confidentiel" not in page


@pytest.mark.parametrize("prefix", ["", "/nl", "/de", "/en"])
def test_every_page_type_answers_in_every_language(client, programme, prefix):
    for url in [
        "/",
        "/actions/",
        "/strategies/DW/",
        "/strategies/DW/A1/",
        "/actions/LAST-MILE/",
        "/indicators/HOUSEHOLDS/",
        "/search/?q=foyers",
    ]:
        response = client.get(prefix + url)
        assert response.status_code == 200, url
        assert f'<html lang="{prefix.strip("/") or "fr"}">' in response.content.decode()


def test_a_value_published_through_the_service_shows_on_every_page_at_the_next_request(
    client, programme
):
    # Given every page read once: the read model built, the trees' fragments cached.
    urls = ["/", "/strategies/DW/", "/strategies/DW/A1/", "/actions/LAST-MILE/"]
    before = (Decimal(41000) - 0) / (Decimal(58414) - 0)  # 2024's value, of the way
    for url in urls:
        assert percent_text(before) in client.get(url).content.decode(), url
    assert "status-behind" in client.get("/indicators/HOUSEHOLDS/").content.decode()
    # When staff validate and publish 2025's value (99 999, past the target of 58 414).
    steering = SteeringFactory()
    submitted = Observation.objects.get(indicator__code="HOUSEHOLDS", state="submitted")
    for transition in ("validate", "publish"):
        submitted = observation_transition(
            actor=steering, observation=submitted, transition=transition
        )
    # Then every page shows it at once: the target reached, 100 % of the way.
    for url in urls:
        page = client.get(url).content.decode()
        assert percent_text(Decimal(1)) in page and percent_text(before) not in page, url
    page = client.get("/indicators/HOUSEHOLDS/").content.decode()
    assert "status-achieved" in page and "99\xa0999" in page


def test_a_page_kept_for_its_revision_follows_a_text_changed_through_a_service(client, programme):
    from pilotage.strategies.services import action_update

    action = programme["action"]
    assert "Le dernier kilomètre" not in client.get(f"/actions/{action.code}/").content.decode()
    client.get("/strategies/DW/")  # kept too

    action_update(actor=SteeringFactory(), action=action, title_fr="Le dernier kilomètre")

    assert "Le dernier kilomètre" in client.get(f"/actions/{action.code}/").content.decode()
    assert "Le dernier kilomètre" in client.get("/strategies/DW/").content.decode()
    # Another language is another page: kept apart.
    assert client.get(f"/en/actions/{action.code}/").content.decode().startswith("<!DOCTYPE")


def test_an_action_page_lists_only_the_nodes_of_public_strategies(client):
    public = StrategyFactory(code="PUB")
    draft = StrategyFactory(code="DRAFT", status="draft")
    shown = StrategyNodeFactory(
        strategy=public, level=StrategyLevelFactory(strategy=public), title_fr="Axe publié"
    )
    hidden = StrategyNodeFactory(
        strategy=draft, level=StrategyLevelFactory(strategy=draft), title_fr="Axe en projet"
    )
    action = ActionFactory(code="BOTH")
    action.nodes.add(shown, hidden)

    page = client.get("/actions/BOTH/").content.decode()

    assert "Axe publié" in page and "Axe en projet" not in page
    assert client.get("/api/v1/actions/BOTH").json()["nodes"] == ["PUB:" + shown.code]


def test_an_action_page_draws_again_only_the_chart_of_the_indicator_that_moved(client, programme):
    from django.core.cache import cache

    from pilotage.core.revisions import ChangeKind, changed

    action = programme["action"]
    other = IndicatorFactory(action=action, code="OTHER", title_fr="Autre indicateur")
    ObservationFactory(indicator=other, value=Decimal(7))
    changed(ChangeKind.STRUCTURE)  # what the factories wrote, logged as a loader would
    assert "Autre indicateur" in client.get(f"/actions/{action.code}/").content.decode()
    kept = {key for key in cache._cache if ":chart:" in key}  # LocMem's own keys
    assert len(kept) == 2

    steering = SteeringFactory()
    submitted = Observation.objects.get(indicator__code="HOUSEHOLDS", state="submitted")
    for transition in ("validate", "publish"):
        submitted = observation_transition(
            actor=steering, observation=submitted, transition=transition
        )
    page = client.get(f"/actions/{action.code}/").content.decode()

    assert "99\xa0999" in page  # the new value in the redrawn chart's table
    now = {key for key in cache._cache if ":chart:" in key}
    assert len(now - kept) == 1  # one chart drawn again, the other one kept
    assert any(f":chart:{other.pk}:" in key for key in now & kept)
