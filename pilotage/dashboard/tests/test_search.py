"""Search lists every group of matches with its count, and pages through the rest of a
group: nothing silently stops at 20."""

import re

import pytest

from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db
FOUND = 23  # more than a group shows at once (20)


@pytest.fixture
def many_actions():
    strategy = StrategyFactory(code="DW", title_fr="Digital Wallonia")
    node = StrategyNodeFactory(
        strategy=strategy,
        level=StrategyLevelFactory(strategy=strategy),
        code="A1",
        title_fr="Territoire connecté",
    )
    for n in range(FOUND):
        ActionFactory(code=f"NUM-{n:02}", title_fr=f"Espaces publics numériques {n}").nodes.set(
            [node]
        )
    ActionFactory(code="HIDDEN", title_fr="Espaces numériques en brouillon").nodes.set(
        [StrategyNodeFactory(strategy=StrategyFactory(status="draft"))]
    )


def action_codes(page: str) -> list[str]:
    section = page.split('id="results-action"')[1].split("</section>")[0]
    return re.findall(r'href="/actions/(NUM-\d+)/"', section)


def test_a_group_of_more_than_20_matches_says_how_many_and_links_to_the_next(client, many_actions):
    # "numerique", no accent and singular, finds "numériques" (accents folded, stemmed).
    page = client.get("/search/", {"q": "numerique"}).content.decode()

    assert re.search(r'id="results-action">Actions <span class="count">\(23\)</span>', page)
    assert len(action_codes(page)) == 20
    assert f"{FOUND} résultats pour" in page
    assert 'href="?q=numerique&amp;group=actions&amp;page=2"' in page
    assert "20 sur 23 affichés" in page

    second = client.get("/search/", {"q": "numerique", "group": "actions", "page": "2"})
    rest = second.content.decode()
    assert len(action_codes(rest)) == FOUND - 20
    assert set(action_codes(page)) | set(action_codes(rest)) == {
        f"NUM-{n:02}" for n in range(FOUND)
    }
    assert "Page 2 sur 2" in rest and 'rel="prev"' in rest and 'rel="next"' not in rest
    assert "results-node" not in rest  # that group only
    assert "brouillon" not in page + rest


def test_a_group_and_a_page_that_do_not_exist(client, many_actions):
    assert client.get("/search/", {"q": "numerique", "group": "drafts"}).status_code == 400
    assert client.get("/search/", {"q": "numerique", "page": "zero"}).status_code == 400
    response = client.get("/search/", {"q": "numerique", "group": "actions", "page": "3"})
    assert response.status_code == 404
