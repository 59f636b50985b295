from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StrategiesConfig(AppConfig):
    name = "pilotage.strategies"
    label = "strategies"
    verbose_name = _("Strategies and actions")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.strategies.models import (
            Action,
            ActionPartner,
            Strategy,
            StrategyLevel,
            StrategyNode,
        )

        auditlog.register(Strategy)
        auditlog.register(StrategyLevel)
        auditlog.register(StrategyNode)
        auditlog.register(Action, m2m_fields={"target_audiences", "nodes"})
        auditlog.register(ActionPartner)
