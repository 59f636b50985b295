"""Roll-ups on stored data: actions and nodes, with coverage; missing values never count as zero."""

import datetime
from decimal import Decimal as D

import pytest

from pilotage.indicators.book import ProgressBook
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db

END = datetime.date(2027, 12, 31)


def book_of(strategy, **kwargs) -> ProgressBook:
    return ProgressBook.from_database(strategy_ids=[strategy.pk], **kwargs).compute_all()


def serving(action):
    """The action, serving a node of a strategy of its own."""
    strategy = StrategyFactory()
    action.nodes.add(
        StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    )
    return strategy


def action_progress(action):
    return book_of(serving(action)).actions[action.pk]


def indicator_at(action, weight, progress):
    """An indicator of `action` whose published value is `progress` of the way to 100."""
    indicator = IndicatorFactory(action=action, weight=D(weight))
    if progress is not None:
        ObservationFactory(indicator=indicator, period_start=END, period_end=END, value=D(progress))
    return indicator


def test_an_action_is_the_weighted_mean_of_its_indicators():
    action = ActionFactory()
    [
        indicator_at(action, 2, 100),
        indicator_at(action, 1, 0),
        indicator_at(action, 1, 50),
    ]

    result = action_progress(action)

    assert result.progress == D("0.625")
    assert (result.reported, result.total) == (3, 3)


def test_an_indicator_that_did_not_report_is_left_out_not_zero():
    action = ActionFactory()
    [
        indicator_at(action, 2, 100),
        indicator_at(action, 1, 0),
        indicator_at(action, 1, None),
    ]

    result = action_progress(action)

    assert round(result.progress, 3) == D("0.667")
    assert (result.reported, result.total) == (2, 3)


def test_unpublished_values_do_not_count_in_public_roll_ups():
    action = ActionFactory()
    indicator = indicator_at(action, 1, 80)
    indicator.observations.update(state="submitted")

    result = action_progress(action)

    assert (result.progress, result.reported) == (None, 0)


def test_a_node_rolls_up_its_children_and_actions():
    strategy = StrategyFactory()
    top = StrategyLevelFactory(strategy=strategy, depth=0)
    below = StrategyLevelFactory(strategy=strategy, depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top)
    lever_a = StrategyNodeFactory(strategy=strategy, level=below, parent=ambition)
    lever_b = StrategyNodeFactory(strategy=strategy, level=below, parent=ambition)
    silent = StrategyNodeFactory(strategy=strategy, level=below, parent=ambition)
    for lever, progress in [(lever_a, 100), (lever_b, 50)]:
        action = ActionFactory()
        action.nodes.add(lever)
        indicator_at(action, 1, progress)
    silent_action = ActionFactory()
    silent_action.nodes.add(silent)
    indicator_at(silent_action, 1, None)

    rollups = book_of(strategy).nodes

    assert rollups[lever_a.pk].progress == D(1)
    assert rollups[ambition.pk].progress == D("0.75")  # (1 + 0.5) / 2; the silent lever left out
    assert (rollups[ambition.pk].reported, rollups[ambition.pk].total) == (2, 3)
    assert (rollups[silent.pk].reported, rollups[silent.pk].total) == (0, 1)


def test_a_computed_indicator_takes_its_values_from_its_components():
    action = ActionFactory()
    trained = IndicatorFactory(action=action, code="TRAINED")
    reached = IndicatorFactory(action=action, code="REACHED")
    share = IndicatorFactory(
        action=action,
        code="SHARE",
        measure="percentage",
        formula={"op": "ratio", "of": ["TRAINED", "REACHED"]},
    )
    total = IndicatorFactory(
        action=action, code="TOTAL", formula={"op": "sum", "of": ["TRAINED", "REACHED"]}
    )
    for indicator, value in [(trained, 30), (reached, 120)]:
        ObservationFactory(indicator=indicator, period_start=END, period_end=END, value=D(value))
    # A period where only one component reported yields no computed value.
    ObservationFactory(
        indicator=trained,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
    )

    assessments = book_of(serving(action)).assessments

    assert assessments[share.pk].actual == D(25)  # 30 / 120 × 100
    assert assessments[total.pk].actual == D(150)


def test_recording_one_value_recomputes_only_what_depends_on_it():
    strategy = StrategyFactory()
    top = StrategyLevelFactory(strategy=strategy, depth=0)
    below = StrategyLevelFactory(strategy=strategy, depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top)
    levers = [
        StrategyNodeFactory(strategy=strategy, level=below, parent=ambition) for _ in range(3)
    ]
    indicators = []
    for lever in levers:
        action = ActionFactory()
        action.nodes.add(lever)
        indicators.append(indicator_at(action, 1, 50))
    # A computed indicator of another action, on the third lever: the sum of the first two.
    summing = ActionFactory()
    summing.nodes.add(levers[2])
    total = IndicatorFactory(
        action=summing,
        formula={"op": "sum", "of": [indicators[0].code, indicators[1].code]},
        target_value=D(200),
    )
    book = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all()
    assert book.assessments[total.pk].actual == D(50) + D(50)

    def fresh():
        return book_of(strategy)

    later = END + datetime.timedelta(days=1)
    ObservationFactory(indicator=indicators[0], period_start=later, period_end=later, value=D(100))

    recomputed = book.refresh([indicators[0].pk])

    # The indicator and the sum using it, their two actions, their two levers, the ambition.
    assert recomputed == 7
    assert book.actions[indicators[0].action_id].progress == D(1)
    assert book.assessments[total.pk].actual == D(100)  # the second part has no later value
    assert book.nodes[ambition.pk].progress == (D(1) + D("0.5") + (D("0.5") + D("0.5")) / 2) / 3
    again = fresh()
    assert (again.nodes, again.actions, again.assessments) == (
        book.nodes,
        book.actions,
        book.assessments,
    )

    # The second component's value for the later period: the sum has a later value now.
    ObservationFactory(indicator=indicators[1], period_start=later, period_end=later, value=D(60))

    book.refresh([indicators[1].pk])

    assert book.assessments[total.pk].actual == D(100) + D(60)
    assert book.actions[summing.pk].progress == (D(160) - 0) / (D(200) - 0)
    again = fresh()
    assert (again.nodes, again.actions, again.assessments) == (
        book.nodes,
        book.actions,
        book.assessments,
    )


def test_an_action_under_two_levers_updates_their_common_ancestor_once_both_are_current():
    strategy = StrategyFactory()
    top = StrategyLevelFactory(strategy=strategy, depth=0)
    below = StrategyLevelFactory(strategy=strategy, depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top)
    lever_a = StrategyNodeFactory(strategy=strategy, level=below, parent=ambition)
    lever_b = StrategyNodeFactory(strategy=strategy, level=below, parent=ambition)
    shared = ActionFactory()
    shared.nodes.add(lever_a, lever_b)
    indicator = indicator_at(shared, 1, 20)
    book = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all()

    later = END + datetime.timedelta(days=1)
    ObservationFactory(indicator=indicator, period_start=later, period_end=later, value=D(80))
    recomputed = book.refresh([indicator.pk])

    assert recomputed == 5  # the indicator, the action, both levers, the ambition once
    assert book.nodes[ambition.pk].progress == D("0.8")
    again = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all()
    assert again.nodes == book.nodes


def test_a_book_cut_at_a_date_ignores_later_values():
    strategy = StrategyFactory()
    lever = StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    action = ActionFactory()
    action.nodes.add(lever)
    indicator = indicator_at(action, 1, 40)
    later = END + datetime.timedelta(days=1)
    ObservationFactory(indicator=indicator, period_start=later, period_end=later, value=D(90))

    cut = ProgressBook.from_database(strategy_ids=[strategy.pk], as_of=END).compute_all()
    whole = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all()

    assert cut.assessments[indicator.pk].actual == D(40)
    assert whole.assessments[indicator.pk].actual == D(90)
    assert cut.nodes[lever.pk].progress == D("0.4")
    indicator.observations.filter(period_end=later).update(value=D(95))
    cut.refresh([indicator.pk])
    assert cut.assessments[indicator.pk].actual == D(40)


def test_a_node_is_the_weighted_mean_of_its_actions_and_children():
    from decimal import Decimal as Dec

    strategy = StrategyFactory()
    node = StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    for weight, value in ((3, 100), (1, 0)):  # targets 0 → 100: 100 % and 0 % done
        action = ActionFactory(weight=Dec(weight))
        action.nodes.add(node)
        ObservationFactory(indicator=IndicatorFactory(action=action), value=Dec(value))
    rollup = book_of(strategy).nodes[node.pk]
    assert rollup.progress == Dec("0.75")
    assert (rollup.reported, rollup.total) == (2, 2)
