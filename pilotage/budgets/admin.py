from django.contrib import admin

from pilotage.budgets import services
from pilotage.budgets.models import BudgetLine
from pilotage.core.admin import DomainAdmin


@admin.register(BudgetLine)
class BudgetLineAdmin(DomainAdmin):
    list_display = [
        "code",
        "strategy",
        "node",
        "action",
        "year",
        "source",
        "flow",
        "amount",
        "is_declared_total",
    ]
    list_filter = ["strategy", "flow", "is_declared_total", "source", "year"]
    search_fields = ["code", "label", "document"]
    list_select_related = ["strategy", "node", "action", "source"]
    autocomplete_fields = ["node", "action", "source"]

    save_service = staticmethod(services.budget_line_save)
    delete_service = staticmethod(services.budget_line_delete)
    service_argument = "line"
