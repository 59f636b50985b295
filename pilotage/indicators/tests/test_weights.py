"""Weights of nodes and actions: a node's progress is the weighted mean of its children's
and its actions'; the weights come from the data files too (optional, > 0)."""

import shutil
from decimal import Decimal as D

import pytest
import yaml
from django.conf import settings
from pydantic import ValidationError as SchemaError

from pilotage.core.datafiles import DataFileError
from pilotage.core.loading import shipped_data_load
from pilotage.indicators.book import ProgressBook
from pilotage.indicators.models import Observation
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory
from pilotage.strategies.loaders import ActionData, NodeData
from pilotage.strategies.models import Action, StrategyNode
from pilotage.strategies.tests.factories import (
    ActionFactory,
    StrategyFactory,
    StrategyLevelFactory,
    StrategyNodeFactory,
)

pytestmark = pytest.mark.django_db


def reporting_action(node, progress, weight=1):
    """An action of `node` whose one indicator (0 → 100) is at `progress` %."""
    action = ActionFactory(weight=D(weight))
    action.nodes.add(node)
    ObservationFactory(indicator=IndicatorFactory(action=action), value=D(progress))
    return action


def test_weights_2_1_1_give_62_5_and_a_silent_child_is_left_out():
    strategy = StrategyFactory()
    top = StrategyLevelFactory(strategy=strategy, depth=0)
    below = StrategyLevelFactory(strategy=strategy, depth=1)
    ambition = StrategyNodeFactory(strategy=strategy, level=top)
    children = [
        StrategyNodeFactory(strategy=strategy, level=below, parent=ambition, weight=D(weight))
        for weight in (2, 1, 1)
    ]
    for child, progress in zip(children, (100, 0, 50), strict=True):
        reporting_action(child, progress)

    rollup = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all().nodes[ambition.pk]

    assert rollup.progress == (2 * D(1) + 1 * D(0) + 1 * D("0.5")) / 4
    assert (rollup.reported, rollup.total) == (3, 3)

    Observation.objects.filter(indicator__action__nodes=children[2]).delete()  # not reported

    rollup = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all().nodes[ambition.pk]

    assert rollup.progress == (2 * D(1) + 1 * D(0)) / 3
    assert round(rollup.progress, 3) == D("0.667")
    assert (rollup.reported, rollup.total) == (2, 3)


def test_an_action_weight_counts_in_each_of_its_nodes():
    strategy = StrategyFactory()
    node = StrategyNodeFactory(strategy=strategy, level=StrategyLevelFactory(strategy=strategy))
    reporting_action(node, 100, weight="0.5")
    reporting_action(node, 40, weight="1.5")

    rollup = ProgressBook.from_database(strategy_ids=[strategy.pk]).compute_all().nodes[node.pk]

    assert rollup.progress == (D("0.5") * D(1) + D("1.5") * D("0.4")) / 2


@pytest.mark.parametrize("schema", [NodeData, ActionData])
def test_a_weight_in_a_data_file_is_optional_and_positive(schema):
    base = {"code": "X", "title": {"fr": "X"}} | ({"level": "L"} if schema is NodeData else {})
    assert schema.model_validate(base).weight == D(1)
    assert schema.model_validate(base | {"weight": "2.5"}).weight == D("2.5")
    for bad in (0, -1, "0.0001", "heavy"):
        with pytest.raises(SchemaError):
            schema.model_validate(base | {"weight": bad})


def test_weights_are_loaded_from_the_data_files(tmp_path):
    data = tmp_path / "data"
    shutil.copytree(settings.PILOTAGE_DATA_DIR, data)
    path = data / "strategies" / "DW2016-2024.yaml"
    content = yaml.safe_load(path.read_text(encoding="utf-8"))
    content["nodes"][0]["weight"] = 3
    content["actions"][0]["weight"] = 0.25
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")

    shipped_data_load(data)

    node_code, action_code = content["nodes"][0]["code"], content["actions"][0]["code"]
    strategy_code = content["strategy"]["code"]
    assert StrategyNode.objects.get(strategy__code=strategy_code, code=node_code).weight == 3
    assert Action.objects.get(code=action_code).weight == D("0.25")
    assert StrategyNode.objects.exclude(code=node_code).filter(weight=1).exists()

    content["actions"][0]["weight"] = 0
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    with pytest.raises(DataFileError) as caught:
        shipped_data_load(data)
    assert any("weight" in f"{e.record} {e.reason}" for e in caught.value.errors)
