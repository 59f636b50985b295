import datetime
from decimal import Decimal

import factory

from pilotage.indicators.models import Indicator, IndicatorKind, Observation, ObservationState
from pilotage.strategies.tests.factories import ActionFactory


class IndicatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indicator

    code = factory.Sequence(lambda n: f"IND-{n}")
    title_fr = factory.Sequence(lambda n: f"Indicateur {n}")
    kind = IndicatorKind.OUTPUT
    action = factory.SubFactory(ActionFactory)
    baseline_value = Decimal(0)
    baseline_date = datetime.date(2024, 1, 1)
    target_value = Decimal(100)
    target_date = datetime.date(2028, 1, 1)


class ObservationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Observation

    indicator = factory.SubFactory(IndicatorFactory)
    period_start = datetime.date(2025, 1, 1)
    period_end = datetime.date(2025, 12, 31)
    value = Decimal(10)
    state = ObservationState.PUBLISHED
