from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BudgetsConfig(AppConfig):
    name = "pilotage.budgets"
    label = "budgets"
    verbose_name = _("Budgets")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.budgets.loaders import BUDGET_FOLDER
        from pilotage.budgets.models import BudgetLine, Reallocation
        from pilotage.core.loading import data_folder_register

        auditlog.register(BudgetLine)
        auditlog.register(Reallocation)
        data_folder_register(BUDGET_FOLDER)
