"""The seeds' published results, loaded as indicators with their observations."""

from decimal import Decimal

import pytest
import yaml
from django.conf import settings

from pilotage.indicators.models import Indicator, Observation, ObservationState

pytestmark = pytest.mark.django_db

FILE = settings.PILOTAGE_DATA_DIR / "indicators" / "dw-2016-2024-results.yaml"


def test_every_published_figure_is_loaded_as_published(shipped_data):
    declared = [
        indicator
        for path in sorted(FILE.parent.glob("*.yaml"))
        for indicator in yaml.safe_load(path.read_text(encoding="utf-8"))["indicators"]
    ]

    assert Indicator.objects.count() == len(declared)
    assert Observation.objects.count() == sum(len(i.get("observations", [])) for i in declared)
    assert set(Observation.objects.values_list("state", flat=True)) == {ObservationState.PUBLISHED}


def test_public_digital_spaces_go_from_166_to_226(shipped_data):
    epn = Indicator.objects.get(code="DW-EPN-COUNT")
    assert epn.baseline_value == 166
    assert list(epn.observations.values_list("value", flat=True)) == [226]


def test_digital_wallonia_2024_2029_has_the_sector_figures_as_baselines(shipped_data):
    """004 l.281: "fin 2022, ... 3,1% du PIB" and "près de 10.500 équivalents temps-plein";
    l.586: the objective is the sector's growth (GDP and jobs), under ambition 2."""

    found = {
        i.code: (i.node.strategy.code, i.node.code, i.baseline_value, i.baseline_date.isoformat())
        for i in Indicator.objects.filter(code__startswith="DW29-").select_related("node__strategy")
    }
    assert found == {
        "DW29-SECTOR-GDP-SHARE": ("DW2024-2029", "2", Decimal("3.1"), "2022-12-31"),
        "DW29-SECTOR-FTE": ("DW2024-2029", "2", Decimal("10500"), "2022-12-31"),
    }
    assert not Indicator.objects.filter(code__startswith="DW29-", target_value__isnull=False)
