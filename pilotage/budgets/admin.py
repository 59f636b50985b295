"""Budgets in the back-office: lines (also inline on nodes and actions), each line's
reallocations and history, and reallocations requested and decided through the services
(the approver is never the requester)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.accounts.permissions import is_steering
from pilotage.budgets import services
from pilotage.budgets.forms import (
    Decision,
    ReallocationDecisionForm,
    ReallocationRequestForm,
    amount_text,
    euros,
)
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
        "amount_shown",
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

    @admin.display(description=_("amount (€)"))
    def amount_shown(self, obj):
        return amount_text(obj.amount)


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
        "amount_shown",
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

    @admin.display(description=_("amount (€)"), ordering="amount")
    def amount_shown(self, obj):
        return amount_text(obj.amount)

    @admin.display(description=_("current amount (€)"))
    def current_amount(self, obj):
        return amount_text(obj.current_amount)

    def history_related(self, obj):
        # A line's history shows the reallocations that moved it, from their request on.
        moves = Reallocation.objects.filter(models.Q(from_line=obj) | models.Q(to_line=obj))
        return super().history_related(obj) | models.Q(
            content_type=ContentType.objects.get_for_model(Reallocation),
            object_id__in=list(moves.values_list("pk", flat=True)),
        )


def _totals_rows(before: dict, after: dict) -> list[dict]:
    """The lines' and the totals' amounts before and after a move, side by side."""
    rows = []
    for group, title in (("lines", _("Line")), ("totals", _("Total"))):
        keys = list(dict.fromkeys([*before.get(group, {}), *after.get(group, {})]))
        for key in keys:
            old, new = before.get(group, {}).get(key), after.get(group, {}).get(key)
            old = None if old is None else Decimal(old)
            new = None if new is None else Decimal(new)
            difference = None if old is None or new is None else new - old
            rows.append(
                {
                    "kind": title,
                    "name": key,
                    "before": euros(old),
                    "after": euros(new),
                    "difference": ("+" if difference and difference > 0 else "") + euros(difference)
                    if difference
                    else "",
                }
            )
    return rows


@admin.register(Reallocation)
class ReallocationAdmin(PlainDomainAdmin):
    """Steering staff ask for a move here; a second one approves or rejects it, with a
    comment, on a confirmation page (one move, or the ones selected in the list)."""

    form = ReallocationRequestForm
    list_display = [
        "from_line",
        "to_line",
        "amount_shown",
        "state",
        "requested_by",
        "requested_at",
        "decided_by",
        "decide_link",
    ]
    list_filter = ["state"]
    list_select_related = ["from_line", "to_line", "requested_by", "decided_by"]
    search_fields = ["from_line__code", "to_line__code", "from_line__label", "reason"]
    actions = ["approve", "reject"]

    def can_change(self, user, obj=None) -> bool:
        return False  # decided on its own page, never edited

    def can_delete(self, user, obj=None) -> bool:
        return False

    def has_decide_permission(self, request) -> bool:
        return is_steering(request.user)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [
            "from_line_shown",
            "to_line_shown",
            "amount_shown",
            "reason",
            "state",
            "requested_by",
            "requested_at",
            "decided_by",
            "decided_at",
            "decision_note",
            "totals_table",
            "decide_link",
        ]

    def get_fields(self, request, obj=None):
        return self.get_readonly_fields(request, obj) or ReallocationRequestForm.Meta.fields

    @admin.display(description=_("amount (€)"), ordering="amount")
    def amount_shown(self, obj: Reallocation) -> str:
        return amount_text(obj.amount)

    @admin.display(description=_("from"))
    def from_line_shown(self, obj: Reallocation) -> str:
        return _line_name(obj.from_line)

    @admin.display(description=_("to"))
    def to_line_shown(self, obj: Reallocation) -> str:
        return _line_name(obj.to_line)

    @admin.display(description=_("Totals before and after"))
    def totals_table(self, obj: Reallocation) -> str:
        if not obj.totals_before and not obj.totals_after:
            return _("Set when the reallocation is approved.")
        return render_to_string(
            "admin/budgets/reallocation/totals.html",
            {"rows": _totals_rows(obj.totals_before, obj.totals_after)},
        )

    @admin.display(description=_("decision"))
    def decide_link(self, obj: Reallocation) -> str:
        if obj.state != ReallocationState.PENDING:
            return obj.get_state_display()
        url = reverse("admin:budgets_reallocation_decide", args=[obj.pk])
        return format_html('<a class="button" href="{}">{}</a>', url, _("Approve or reject"))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="budgets_reallocation_decide",
            ),
            *super().get_urls(),
        ]

    def save_model(self, request, obj, form, change) -> None:
        created = services.reallocation_request(
            actor=request.user,
            from_line=obj.from_line,
            to_line=obj.to_line,
            amount=obj.amount,
            reason=obj.reason,
        )
        vars(obj).update(vars(created))  # the admin goes on with the saved record

    def decide_view(self, request, object_id):
        """One move's page: what it moves, the two lines before and after, the decision
        and its comment; nothing is decided before this page is confirmed."""
        if not is_steering(request.user):
            raise PermissionDenied
        reallocation = self.get_object(request, unquote(object_id))
        if reallocation is None:
            raise Http404
        change_url = reverse("admin:budgets_reallocation_change", args=[reallocation.pk])
        if reallocation.state != ReallocationState.PENDING:
            self.message_user(request, _("This reallocation is already decided."), messages.INFO)
            return HttpResponseRedirect(change_url)
        form = ReallocationDecisionForm(
            request.POST if request.method == "POST" else None,
            decision=request.GET.get("decision"),
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.reallocation_decide(
                    actor=request.user,
                    reallocation=reallocation,
                    approve=form.cleaned_data["decision"] == Decision.APPROVE,
                    note=form.cleaned_data["note"].strip(),
                )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, _refusal_text(error))
            else:
                self.message_user(request, _decided_text(reallocation), messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve or reject a reallocation"),
            "opts": self.model._meta,
            "object": reallocation,
            "reallocations": [_move_summary(reallocation)],
            "form": form,
            "own_request": reallocation.requested_by_id == request.user.pk,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/budgets/reallocation/decide.html", context)

    def _decide(self, request, queryset, approve: bool):
        """The moves selected in the list, confirmed on a page with one comment."""
        pending = list(
            queryset.filter(state=ReallocationState.PENDING).select_related(
                "from_line", "to_line", "requested_by"
            )
        )
        if not pending:
            self.message_user(
                request, _("None of the selected reallocations waits for a decision.")
            )
            return None
        decision = Decision.APPROVE if approve else Decision.REJECT
        form = ReallocationDecisionForm(
            {"decision": decision, "note": request.POST.get("note", "")}
            if request.POST.get("post")
            else None,
            decision=decision,
        )
        if request.POST.get("post") and form.is_valid():
            decided = 0
            for reallocation in pending:
                try:
                    services.reallocation_decide(
                        actor=request.user,
                        reallocation=reallocation,
                        approve=approve,
                        note=form.cleaned_data["note"].strip(),
                    )
                    decided += 1
                except (ValidationError, PermissionDenied) as error:
                    self.message_user(
                        request, f"{reallocation}: {_refusal_text(error)}", messages.ERROR
                    )
            if decided:
                self.message_user(
                    request, _("%(count)d reallocation(s) decided.") % {"count": decided}
                )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Approve the selected reallocations")
            if approve
            else _("Reject the selected reallocations"),
            "opts": self.model._meta,
            "reallocations": [_move_summary(r) for r in pending],
            "form": form,
            "action": "approve" if approve else "reject",
            "selected": [r.pk for r in pending],
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/budgets/reallocation/decide.html", context)

    @admin.action(description=_("Approve the selected reallocations"), permissions=["decide"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=_("Reject the selected reallocations"), permissions=["decide"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, approve=False)


def _line_name(line: BudgetLine) -> str:
    return f"{line.code} — {line.label}" if line.label else line.code


def _refusal_text(error) -> str:
    return " ".join(error.messages) if hasattr(error, "messages") else str(error)


def _decided_text(reallocation: Reallocation) -> str:
    reallocation.refresh_from_db(fields=["state"])
    return _("%(move)s: %(state)s.") % {
        "move": f"{_line_name(reallocation.from_line)} → {_line_name(reallocation.to_line)}",
        "state": reallocation.get_state_display(),
    }


def _move_summary(reallocation: Reallocation) -> dict:
    """What a move does to its two lines, computed as the approval would."""
    giving, receiving = reallocation.from_line, reallocation.to_line
    amount = reallocation.amount
    return {
        "reallocation": reallocation,
        "amount": euros(amount),
        "lines": [
            {
                "name": _line_name(giving),
                "before": euros(giving.current_amount),
                "after": euros(giving.current_amount - amount),
                "difference": euros(-amount),
            },
            {
                "name": _line_name(receiving),
                "before": euros(receiving.current_amount),
                "after": euros(receiving.current_amount + amount),
                "difference": "+" + euros(amount),
            },
        ],
    }


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
