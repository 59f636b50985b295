"""Bulk import of observations: every row checked, all or nothing, locked periods refused."""

import datetime
from decimal import Decimal as D

import pytest
from django.utils import translation

from pilotage.accounts.tests.factories import PartnerEditorFactory, SteeringFactory
from pilotage.core.datafiles import DataFileError
from pilotage.indicators.bulk import observations_import_csv
from pilotage.indicators.models import Observation, ObservationImport
from pilotage.indicators.models import ObservationState as State
from pilotage.indicators.tests.factories import IndicatorFactory, ObservationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def write(tmp_path, text: str):
    path = tmp_path / "values.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_valid_file_is_imported_and_recorded(tmp_path):
    steering = SteeringFactory()
    IndicatorFactory(code="A")
    IndicatorFactory(code="B")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value,comment\n"
        "A,2026-01-01,2026-03-31,12.5,first\n"
        'B,2026-01-01,2026-03-31,"7,25",\n',
    )

    assert observations_import_csv(actor=steering, name="values.csv", path=path) == 2

    values = dict(Observation.objects.values_list("indicator__code", "value"))
    assert values == {"A": D("12.5"), "B": D("7.25")}
    assert set(Observation.objects.values_list("state", flat=True)) == {State.SUBMITTED}
    assert ObservationImport.objects.get().rows == 2


def test_every_bad_row_is_reported_and_nothing_written(tmp_path):
    IndicatorFactory(code="A")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\n"
        "A,2026-01-01,2026-03-31,1\n"
        "NOPE,2026-01-01,2026-03-31,1\n"
        "A,31/02/2026,2026-03-31,1\n"
        "A,2026-04-01,2026-06-30,douze\n"
        "A,2026-01-01,2026-03-31,2\n",
    )

    with pytest.raises(DataFileError) as caught:
        observations_import_csv(actor=SteeringFactory(), name="values.csv", path=path)

    found = [(e.record, e.column) for e in caught.value.errors]
    assert found == [
        ("row 3", "indicator"),
        ("row 4", "period_start"),
        ("row 5", "value"),
        ("row 6", "indicator"),
    ]
    assert not Observation.objects.exists()


def test_a_locked_period_refuses_the_file(tmp_path):
    indicator = IndicatorFactory(code="A")
    ObservationFactory(
        indicator=indicator,
        period_start=datetime.date(2026, 1, 1),
        period_end=datetime.date(2026, 3, 31),
        state=State.VALIDATED,
        value=D(1),
    )
    path = write(tmp_path, "indicator,period_start,period_end,value\nA,2026-01-01,2026-03-31,9\n")

    with pytest.raises(DataFileError, match="locked"):
        observations_import_csv(actor=SteeringFactory(), name="values.csv", path=path)
    assert Observation.objects.get().value == D(1)


def test_a_partner_imports_only_its_own_indicators(tmp_path):
    partner = PartnerEditorFactory()
    IndicatorFactory(code="OWN", action__lead=partner.organisation)
    IndicatorFactory(code="THEIRS")
    path = write(
        tmp_path,
        "indicator,period_start,period_end,value\nOWN,2026-01-01,2026-03-31,1\nTHEIRS,2026-01-01,2026-03-31,1\n",
    )
    with pytest.raises(DataFileError) as caught:
        observations_import_csv(actor=partner, name="values.csv", path=path)
    assert [e.record for e in caught.value.errors] == ["row 3"]
