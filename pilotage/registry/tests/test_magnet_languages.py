"""A facet value reads in the visitor's language, whichever language built the index."""

import pytest
from django.utils import translation

from pilotage.registry.magnets import MagnetIndex, MagnetQuery

pytestmark = pytest.mark.django_db


def test_facet_labels_follow_the_active_language(shipped_data):
    with translation.override("fr"):
        index = MagnetIndex.build()
    with translation.override("en"):
        counts = index.facet_counts(MagnetQuery(), keep_empty=True)
    provinces = next(facet for facet in counts if facet.key == "province")
    assert [value.label for value in provinces.values][:2] == ["Walloon Brabant", "Hainaut"]
