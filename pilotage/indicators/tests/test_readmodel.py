"""The read model: one computation of the public figures, shared by every process and
kept current by the change log the services write."""

import datetime
import random
from decimal import Decimal as D

import pytest

from pilotage.accounts.tests.factories import SteeringFactory
from pilotage.core.models import Change, ChangeKind
from pilotage.core.revisions import changes_prune
from pilotage.indicators import services
from pilotage.indicators.book import PUBLIC_STATES, ProgressBook, last_value_summaries
from pilotage.indicators.models import Observation, ObservationState
from pilotage.indicators.progress import Value, summarise
from pilotage.indicators.readmodel import ReadModel, read_model
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies import services as strategy_services
from pilotage.strategies.models import StrategyStatus
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db

END = datetime.date(2025, 12, 31)  # a period that has ended: values are recorded after it


@pytest.fixture
def tree():
    """An ambition with two levers; each lever has actions with one indicator each."""
    strategy = StrategyFactory()
    top = StrategyLevelFactory(strategy=strategy, depth=0)
    below = StrategyLevelFactory(strategy=strategy, depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top)
    levers = [StrategyNodeFactory(strategy=strategy, level=below, parent=ambition) for _ in "ab"]
    indicators = []
    for lever, values in zip(levers, [(40, None), (100, 20, None)], strict=True):
        for value in values:
            action = ActionFactory()
            action.nodes.add(lever)
            indicator = IndicatorFactory(action=action)
            if value is not None:
                ObservationFactory(
                    indicator=indicator, period_start=END, period_end=END, value=D(value)
                )
            indicators.append(indicator)
    return {
        "strategy": strategy,
        "ambition": ambition,
        "levers": levers,
        "indicators": indicators,
        "steering": SteeringFactory(),
    }


def publish(steering, indicator, value, day):
    """A value typed in, submitted, validated and published, as a partner and staff do."""
    observation = services.observation_record(
        actor=steering, indicator=indicator, period_start=day, period_end=day, value=D(value)
    )
    for transition in ("submit", "validate", "publish"):
        observation = services.observation_transition(
            actor=steering, observation=observation, transition=transition
        )
    return observation


def test_a_parent_counts_coverage_over_all_its_descendants(tree):
    model = read_model()
    lever_a, lever_b = tree["levers"]

    assert (model.node_rollup(lever_a.pk).reported, model.node_rollup(lever_a.pk).total) == (1, 2)
    assert (model.node_rollup(lever_b.pk).reported, model.node_rollup(lever_b.pk).total) == (2, 3)
    # Not "2 of 2" (both levers reported something): 3 of the 5 actions below reported.
    ambition = model.node_rollup(tree["ambition"].pk)
    assert (ambition.reported, ambition.total) == (3, 5)
    # Progress stays the mean of the levers: (0.4 + (1 + 0.2) / 2) / 2.
    assert ambition.progress == (D("0.4") + (D(1) + D("0.2")) / 2) / 2


def test_an_action_serving_two_levers_counts_once_in_their_parent(tree):
    shared = ActionFactory()
    shared.nodes.add(*tree["levers"])
    IndicatorFactory(action=shared)

    ambition = read_model().node_rollup(tree["ambition"].pk)

    assert (ambition.reported, ambition.total) == (3, 6)


def test_a_value_published_through_the_service_is_read_at_the_next_request(tree):
    model = read_model()
    silent = tree["indicators"][1]
    assert model.assessment(silent.pk).actual is None

    publish(tree["steering"], silent, 90, END)

    model = read_model()
    assert model.assessment(silent.pk).actual == D(90)
    assert model.node_rollup(tree["levers"][0].pk).reported == 2
    assert model.node_rollup(tree["levers"][0].pk).progress == (D("0.4") + D("0.9")) / 2


def test_a_draft_or_submitted_value_moves_nothing(tree):
    before = read_model().revision
    observation = services.observation_record(
        actor=tree["steering"],
        indicator=tree["indicators"][1],
        period_start=END,
        period_end=END,
        value=D(5),
    )
    services.observation_transition(
        actor=tree["steering"], observation=observation, transition="submit"
    )

    assert not Change.objects.exists()
    assert read_model().revision == before


def test_two_processes_see_a_published_value_at_their_next_request(tree):
    # Two processes: two read models, built apart, each following the log on its own.
    first, second = ReadModel.build(), ReadModel.build()
    indicator = tree["indicators"][1]

    publish(tree["steering"], indicator, 70, END)

    for model in (first, second):
        assert model.assessment(indicator.pk).actual is None  # not yet asked
    first, second = first.catch_up(), second.catch_up()
    assert first.assessment(indicator.pk).actual == second.assessment(indicator.pk).actual == 70
    assert first.node_rollups == second.node_rollups == ReadModel.build().node_rollups

    # Reopened (withdrawn from the public): both drop it at their next request.
    services.observation_transition(
        actor=tree["steering"],
        observation=Observation.objects.get(indicator=indicator, period_end=END),
        transition="reopen",
        reason="a typo",
    )
    first, second = first.catch_up(), second.catch_up()
    assert first.assessment(indicator.pk).actual is None
    assert second.assessment(indicator.pk).actual is None


def test_a_change_committed_out_of_order_is_still_applied(tree):
    model = read_model()
    indicator = tree["indicators"][1]
    Change.objects.create(kind=ChangeKind.LABEL)  # a later id, committed first
    model = read_model()
    # A writer that took its id earlier commits now, below the model's revision.
    ObservationFactory(indicator=indicator, period_start=END, period_end=END, value=D(55))
    Change.objects.create(pk=model.revision - 1, kind=ChangeKind.INDICATOR, object_id=indicator.pk)

    assert read_model().assessment(indicator.pk).actual == D(55)


def test_a_change_of_structure_rebuilds(tree):
    model = read_model()
    strategy = tree["strategy"]
    strategy.status = StrategyStatus.DRAFT
    strategy_services.strategy_save(actor=tree["steering"], strategy=strategy)

    rebuilt = read_model()
    assert rebuilt is not model
    assert not rebuilt.is_public_indicator(tree["indicators"][0].pk)
    assert tree["ambition"].pk not in rebuilt.nodes


def test_an_action_title_moves_the_revision_without_recomputing(tree):
    model = read_model()
    before = model.revision
    action = tree["indicators"][0].action
    strategy_services.action_update(actor=tree["steering"], action=action, title_fr="Nouveau")

    again = read_model()
    assert again is model and again.revision > before
    assert again.node_rollups == ReadModel.build().node_rollups


def test_reading_an_unchanged_model_costs_one_query(tree, django_assert_num_queries):
    read_model()
    with django_assert_num_queries(1):
        read_model()


def test_a_model_silent_for_half_a_day_rebuilds_since_the_log_may_be_pruned(tree):
    model = read_model()
    model.looked_at -= datetime.timedelta(hours=13)
    assert read_model() is not model


def test_the_log_is_pruned_but_keeps_its_newest_row():
    old = [Change.objects.create(kind=ChangeKind.LABEL) for _ in range(3)]
    Change.objects.filter(pk__in=[c.pk for c in old]).update(
        created_at=datetime.datetime(2020, 1, 1, tzinfo=datetime.UTC)
    )
    recent = Change.objects.create(kind=ChangeKind.LABEL)
    Change.objects.filter(pk=recent.pk).update(
        created_at=datetime.datetime(2020, 1, 2, tzinfo=datetime.UTC)
    )

    assert changes_prune() == 3
    assert list(Change.objects.values_list("pk", flat=True)) == [recent.pk]


def test_the_databases_summaries_equal_the_computed_ones():
    """The window query the full build uses gives what `summarise` gives from the values,
    ties on a period's end included."""
    rng = random.Random(3)  # noqa: S311 (test data)
    indicators = [IndicatorFactory() for _ in range(12)]
    for indicator in indicators:
        days = sorted(
            {
                datetime.date(2020, 1, 1) + datetime.timedelta(days=rng.randint(0, 900))
                for _ in "x" * rng.randint(1, 8)
            }
        )
        for day in days:
            start = day - datetime.timedelta(days=rng.choice([0, 0, 30, 90]))
            ObservationFactory(
                indicator=indicator,
                period_start=start,
                period_end=day,
                value=D(rng.randint(-500, 5000)) / 100,
                state=rng.choice([ObservationState.PUBLISHED, ObservationState.SUBMITTED]),
            )
            if rng.random() < 0.3:  # a second period ending the same day
                ObservationFactory(
                    indicator=indicator,
                    period_start=start - datetime.timedelta(days=7),
                    period_end=day,
                    value=D(rng.randint(0, 100)),
                )
    ids = [i.pk for i in indicators]
    for as_of in (None, datetime.date(2021, 1, 1)):
        from_database = last_value_summaries(ids, states=PUBLIC_STATES, as_of=as_of)
        for indicator in indicators:
            values = [
                Value(o.period_start, o.period_end, o.value)
                for o in indicator.observations.filter(state__in=PUBLIC_STATES)
            ]
            expected = summarise(values, as_of)
            found = from_database.get(indicator.pk)
            if expected is None:
                assert found is None
            else:
                assert found == expected.__class__(**{**_fields(expected), "total": None})


def _fields(summary):
    return {name: getattr(summary, name) for name in summary.__slots__}


def test_flows_and_averages_are_summed_exactly(tree):
    action = tree["indicators"][0].action
    flow = IndicatorFactory(action=action, aggregation="sum", target_value=D("0.6"))
    for month, value in ((1, "0.1"), (2, "0.2"), (3, "0.3")):
        day = datetime.date(2026, month, 28)
        ObservationFactory(indicator=flow, period_start=day, period_end=day, value=D(value))

    book = ProgressBook.from_database(strategy_ids=[tree["strategy"].pk]).compute_all()

    assert book.assessments[flow.pk].actual == D("0.6")  # not 0.6000000000000001
    assert book.assessments[flow.pk].status == "achieved"


def test_a_published_value_moves_the_version_of_its_indicator_only(tree):
    model = read_model()
    changed_one, other = tree["indicators"][1], tree["indicators"][0]
    before = model.indicator_version(changed_one.pk), model.indicator_version(other.pk)

    publish(tree["steering"], changed_one, 90, END)

    model = read_model()
    assert model.indicator_version(changed_one.pk) == model.revision > before[0]
    assert model.indicator_version(other.pk) == before[1]
