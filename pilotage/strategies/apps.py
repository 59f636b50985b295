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

        from pilotage.strategies.permissions import can_change_action, can_change_strategy
        from pilotage.taxonomies.services import tagging_permission_register

        tagging_permission_register(Action, can_change_action)
        tagging_permission_register(Strategy, can_change_strategy)
        tagging_permission_register(StrategyNode, lambda user, node: can_change_strategy(user))

        from pilotage.core.loading import data_folder_register
        from pilotage.strategies.loaders import PROCEDURE_FOLDER, STRATEGY_FOLDER

        data_folder_register(STRATEGY_FOLDER)
        data_folder_register(PROCEDURE_FOLDER)
