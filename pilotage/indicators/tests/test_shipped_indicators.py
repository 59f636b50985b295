"""The seeds' published results, loaded as indicators with their observations."""

import pytest
import yaml
from django.conf import settings

from pilotage.indicators.models import Indicator, Observation, ObservationState

pytestmark = pytest.mark.django_db

FILE = settings.PILOTAGE_DATA_DIR / "indicators" / "dw-2016-2024-results.yaml"


def test_every_published_figure_is_loaded_as_published(shipped_data):
    declared = yaml.safe_load(FILE.read_text(encoding="utf-8"))["indicators"]

    assert Indicator.objects.count() == len(declared)
    assert Observation.objects.count() == sum(len(i.get("observations", [])) for i in declared)
    assert set(Observation.objects.values_list("state", flat=True)) == {ObservationState.PUBLISHED}


def test_public_digital_spaces_go_from_166_to_226(shipped_data):
    epn = Indicator.objects.get(code="DW-EPN-COUNT")
    assert epn.baseline_value == 166
    assert list(epn.observations.values_list("value", flat=True)) == [226]
