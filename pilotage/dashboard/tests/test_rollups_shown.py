"""A strategy page shows the read model's roll-ups, computed over every indicator, not over
the 50 it lists: checked against a weighted mean written out here."""

import datetime
import re
from decimal import Decimal as D

import pytest

from pilotage.core.formatting import percent_text
from pilotage.indicators.readmodel import read_model
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db
MANY = 65  # indicators under one action: more than the 50 a page lists


def value_of(n: int) -> D | None:
    """The 2025 value of the action's n-th indicator (baseline 0, target 100): none for
    every seventh, beyond the target for every eleventh, else something on the way."""
    if n % 7 == 3:
        return None
    return D(130) if n % 11 == 5 else D(n * 37 % 97)


def weight_of(n: int) -> D:
    return D(1 + n % 4)


def clamp(share: D) -> D:
    return min(max(share, D(0)), D(1))


@pytest.fixture
def crowded():
    """Ambition A1 (weight 1, one indicator of its own) above programme A1.P1, which two
    actions serve: BIG (weight 3, MANY indicators) and SMALL (weight 1, two)."""
    strategy = StrategyFactory(code="CROWD")
    ambition = StrategyNodeFactory(
        strategy=strategy,
        level=StrategyLevelFactory(strategy=strategy, code="ambition", depth=0),
        code="A1",
    )
    programme = StrategyNodeFactory(
        strategy=strategy,
        level=StrategyLevelFactory(strategy=strategy, code="programme", depth=1),
        parent=ambition,
        code="A1.P1",
        weight=D(2),
    )
    big = ActionFactory(code="BIG", weight=D(3))
    small = ActionFactory(code="SMALL", weight=D(1))
    for action in (big, small):
        action.nodes.set([programme])

    def indicator(code, value, weight=D(1), **kwargs):
        made = IndicatorFactory(
            code=code,
            weight=weight,
            baseline_value=D(0),
            baseline_date=datetime.date(2024, 1, 1),
            target_value=D(100),
            target_date=datetime.date(2028, 1, 1),
            **kwargs,
        )
        if value is not None:
            ObservationFactory(
                indicator=made,
                period_start=datetime.date(2025, 1, 1),
                period_end=datetime.date(2025, 12, 31),
                value=value,
            )

    for n in range(MANY):
        indicator(f"BIG-{n:02}", value_of(n), weight_of(n), action=big)
    indicator("SMALL-0", D(40), action=small)
    indicator("SMALL-1", D(60), D(3), action=small)
    indicator("AMBITION", D(25), action=None, node=ambition)
    return {"strategy": strategy, "ambition": ambition, "programme": programme, "big": big}


def rollup_text(page: str, href: str) -> str:
    """The roll-up shown right after the link to `href` (the tree and the action list)."""
    match = re.search(
        rf'href="{re.escape(href)}"[^>]*>[^<]*</a>[^<]*(?:<span class="code">[^<]*</span>[^<]*)?'
        r'<span class="rollup">(.*?)</span></span>',
        page,
        re.S,
    )
    assert match, href
    return re.sub(r"<[^>]+>", "", match.group(1))


def test_the_strategy_page_shows_the_read_models_rollups_over_every_indicator(client, crowded):
    # By hand: a mean of each reported indicator's share of the way (0 to 1), weighted.
    reported = [n for n in range(MANY) if value_of(n) is not None]
    big = sum(weight_of(n) * clamp(value_of(n) / 100) for n in reported) / sum(
        weight_of(n) for n in reported
    )
    small = (1 * D("0.40") + 3 * D("0.60")) / (1 + 3)
    programme = (3 * big + 1 * small) / (3 + 1)  # its actions, by their weights
    ambition = (1 * D("0.25") + 2 * programme) / (1 + 2)  # its indicator, its programme
    assert len(reported) < MANY and any(value_of(n) > 100 for n in reported)

    page = client.get("/strategies/CROWD/").content.decode()

    model = read_model()
    shown = {
        "big": (model.action_rollup(crowded["big"].pk), "/actions/BIG/"),
        "programme": (model.node_rollup(crowded["programme"].pk), "/strategies/CROWD/A1.P1/"),
        "ambition": (model.node_rollup(crowded["ambition"].pk), "/strategies/CROWD/A1/"),
    }
    expected = {
        # (progress, reported, total): an action counts its indicators; a node counts the
        # actions and node indicators of its whole subtree.
        "big": (big, len(reported), MANY),
        "programme": (programme, 2, 2),
        "ambition": (ambition, 3, 3),
    }
    for name, (rollup, href) in shown.items():
        progress, count, total = expected[name]
        assert abs(rollup.progress - progress) < D("1e-20"), name
        assert (rollup.reported, rollup.total) == (count, total), name
        assert rollup_text(page, href).split() == [
            *percent_text(progress).split(),
            *f"{count} sur {total} ont rapporté".split(),
        ], name
    # The page lists 50 indicators, and says how many there are.
    assert page.count('href="/indicators/') == 50
    assert f"50 indicateurs sur {MANY + 3} affichés" in page
