import datetime

import factory

from pilotage.registry.tests.factories import OrganisationFactory
from pilotage.strategies.models import (
    Action,
    ActionStatus,
    Strategy,
    StrategyLevel,
    StrategyNode,
    StrategyStatus,
)


class StrategyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Strategy

    code = factory.Sequence(lambda n: f"STRAT-{n}")
    title_fr = factory.Sequence(lambda n: f"Stratégie {n}")
    title_en = factory.Sequence(lambda n: f"Strategy {n}")
    version = "1"
    period_start = datetime.date(2024, 1, 1)
    period_end = datetime.date(2029, 12, 31)
    owner = factory.SubFactory(OrganisationFactory)
    status = StrategyStatus.ADOPTED


class StrategyLevelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategyLevel

    strategy = factory.SubFactory(StrategyFactory)
    code = factory.Sequence(lambda n: f"level-{n}")
    name_fr = factory.Sequence(lambda n: f"Niveau {n}")
    depth = 0


class StrategyNodeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = StrategyNode

    strategy = factory.SubFactory(StrategyFactory)
    level = factory.SubFactory(StrategyLevelFactory, strategy=factory.SelfAttribute("..strategy"))
    code = factory.Sequence(lambda n: str(n + 1))
    title_fr = factory.Sequence(lambda n: f"Ambition {n}")


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action

    code = factory.Sequence(lambda n: f"ACT-{n}")
    title_fr = factory.Sequence(lambda n: f"Action {n}")
    status = ActionStatus.RUNNING
    lead = factory.SubFactory(OrganisationFactory)
