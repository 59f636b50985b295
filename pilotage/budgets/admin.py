from django.contrib import admin

from pilotage.budgets import services
from pilotage.budgets.models import BudgetLine, Reallocation
from pilotage.core.admin import DomainAdmin, RecordAdmin


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


@admin.register(Reallocation)
class ReallocationAdmin(RecordAdmin):
    """Reallocations, read here; they are requested and decided through the services."""

    list_display = ["from_line", "to_line", "amount", "state", "requested_by", "decided_by"]
    list_filter = ["state"]
    list_select_related = ["from_line", "to_line", "requested_by", "decided_by"]
    search_fields = ["from_line__code", "to_line__code", "reason"]
