"""Budgets in the back-office: lines (also inline on nodes and actions), each line's
reallocations and history, and reallocations requested and decided through the services
(the approver is never the requester)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.accounts.permissions import is_steering
from pilotage.budgets import services
from pilotage.budgets.imports import budget_lines_import
from pilotage.budgets.models import BudgetLine, Reallocation, ReallocationState
from pilotage.budgets.selectors import budget_table
from pilotage.core.admin import DomainAdmin, PlainDomainAdmin, RoleInlineMixin
from pilotage.core.uploads import ImportAdminMixin, UploadForm
from pilotage.taxonomies.models import Term


def budget_overview(*, strategy=None, node=None, action=None) -> str:
    """The public pages' budget table (by source and year, executed), for an admin page."""
    table = budget_table(strategy, node=node, action=action)
    if not table.lines:
        return _("No budget line yet.")
    labels = dict(
        Term.objects.filter(taxonomy__code="funding-sources").values_list("code", "label")
    )
    return render_to_string(
        "dashboard/partials/budget_table.html", {"table": table, "source_labels": labels}
    )


class _ReallocationInline(admin.TabularInline):
    """A line's reallocations, read here (they are asked for and decided apart)."""

    model = Reallocation
    extra = 0
    can_delete = False
    readonly_fields = fields = [
        "other_line",
        "amount",
        "reason",
        "state",
        "requested_by",
        "decided_by",
        "decided_at",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return is_steering(request.user)


class ReallocationOutInline(_ReallocationInline):
    fk_name = "from_line"
    verbose_name_plural = _("money moved out of this line")

    @admin.display(description=_("to"))
    def other_line(self, obj):
        return obj.to_line


class ReallocationInInline(_ReallocationInline):
    fk_name = "to_line"
    verbose_name_plural = _("money moved into this line")

    @admin.display(description=_("from"))
    def other_line(self, obj):
        return obj.from_line


class BudgetImportForm(UploadForm):
    pass


@admin.register(BudgetLine)
class BudgetLineAdmin(ImportAdminMixin, DomainAdmin):
    list_display = [
        "code",
        "strategy",
        "node",
        "action",
        "year",
        "source",
        "flow",
        "amount",
        "current_amount",
        "is_declared_total",
    ]
    list_filter = ["strategy", "flow", "is_declared_total", "source", "year"]
    search_fields = ["code", "label", "document"]
    list_select_related = ["strategy", "node", "action", "source"]
    autocomplete_fields = ["node", "action", "source"]
    readonly_fields = ["revised_amount"]
    inlines = [ReallocationOutInline, ReallocationInInline]

    save_service = staticmethod(services.budget_line_save)
    delete_service = staticmethod(services.budget_line_delete)
    service_argument = "line"

    def can_delete(self, user, obj=None) -> bool:
        # A line that money moved in or out of is kept for the moves' history.
        moved = obj is not None and (
            obj.reallocations_out.exists() or obj.reallocations_in.exists()
        )
        return self.can_change(user, obj) and not moved

    import_form = BudgetImportForm
    import_kind = "budgets"
    import_title = _("Import budget lines")
    import_template = "admin/budgets/budgetline/import.html"

    def can_import(self, user) -> bool:
        return is_steering(user)

    def import_file(self, request, **file):
        """Check, then import, budget lines: the report lists each line created, changed
        (before and after) or left alone, or every problem, and nothing is written if
        there is any."""
        return budget_lines_import(actor=request.user, **file)

    @admin.display(description=_("current amount (€)"))
    def current_amount(self, obj):
        return obj.current_amount

    def history_related(self, obj):
        # A line's history shows the reallocations that moved it, from their request on.
        moves = Reallocation.objects.filter(models.Q(from_line=obj) | models.Q(to_line=obj))
        return super().history_related(obj) | models.Q(
            content_type=ContentType.objects.get_for_model(Reallocation),
            object_id__in=list(moves.values_list("pk", flat=True)),
        )


class ReallocationRequestForm(forms.ModelForm):
    class Meta:
        model = Reallocation
        fields = ["from_line", "to_line", "amount", "reason"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.reallocation_check(
                from_line=data["from_line"],
                to_line=data["to_line"],
                amount=data["amount"],
                reason=data["reason"],
            )
        except ValidationError as error:
            field = {"too_large": "amount", "amount": "amount", "reason": "reason"}.get(error.code)
            self.add_error(field, error)
        return data


@admin.register(Reallocation)
class ReallocationAdmin(PlainDomainAdmin):
    """Steering staff ask for a move here; a second one approves or rejects it (actions)."""

    form = ReallocationRequestForm
    list_display = [
        "from_line",
        "to_line",
        "amount",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
    ]
    list_filter = ["state"]
    list_select_related = ["from_line", "to_line", "requested_by", "decided_by"]
    search_fields = ["from_line__code", "to_line__code", "reason"]
    autocomplete_fields = ["from_line", "to_line"]
    actions = ["approve", "reject"]

    def can_change(self, user, obj=None) -> bool:
        return False  # decided by the actions, never edited

    def can_delete(self, user, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return is_steering(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "from_line",
            "to_line",
            "amount",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "totals_before",
            "totals_after",
        ]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ReallocationRequestForm.Meta.fields

    def save_model(self, request, obj, form, change) -> None:
        created = services.reallocation_request(
            actor=request.user,
            from_line=obj.from_line,
            to_line=obj.to_line,
            amount=obj.amount,
            reason=obj.reason,
        )
        vars(obj).update(vars(created))  # the admin goes on with the saved record

    def _decide(self, request, queryset, approve: bool) -> None:
        decided = 0
        for reallocation in queryset.filter(state=ReallocationState.PENDING):
            try:
                services.reallocation_decide(
                    actor=request.user, reallocation=reallocation, approve=approve
                )
                decided += 1
            except (ValidationError, PermissionDenied) as error:
                reason = " ".join(error.messages) if hasattr(error, "messages") else str(error)
                self.message_user(request, f"{reallocation}: {reason}", messages.ERROR)
        if decided:
            self.message_user(request, _("%(count)d reallocation(s) decided.") % {"count": decided})

    @admin.action(description=_("Approve the selected reallocations"), permissions=["decide"])
    def approve(self, request, queryset):
        self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected reallocations"), permissions=["decide"])
    def reject(self, request, queryset):
        self._decide(request, queryset, approve=False)


class _SameStrategyFormSet(BaseInlineFormSet):
    """A node's lines are in the node's strategy: set before the form is checked."""

    def _construct_form(self, i, **kwargs):
        form = super()._construct_form(i, **kwargs)
        form.instance.strategy_id = self.instance.strategy_id
        return form


class _BudgetLineInline(RoleInlineMixin, TranslationTabularInline):
    model = BudgetLine
    extra = 0
    autocomplete_fields = ["source"]
    readonly_fields = ["revised_amount"]
    show_change_link = True
    verbose_name_plural = _("budget lines")

    def can_write(self, request, obj) -> bool:
        return is_steering(request.user)


class NodeBudgetLineInline(_BudgetLineInline):
    formset = _SameStrategyFormSet
    fields = ["code", "label", "year", "source", "flow", "amount", "revised_amount"]
    fields += ["is_declared_total", "precision", "document"]


class ActionBudgetLineInline(_BudgetLineInline):
    fields = ["code", "strategy", "label", "year", "source", "flow", "amount", "revised_amount"]
    fields += ["document"]
