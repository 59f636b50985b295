from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from pilotage.accounts.permissions import is_steering
from pilotage.budgets.admin import ActionBudgetLineInline, NodeBudgetLineInline, budget_overview
from pilotage.core.admin import DomainAdmin, RoleInlineMixin
from pilotage.strategies import services
from pilotage.strategies.models import (
    Action,
    ActionPartner,
    Strategy,
    StrategyLevel,
    StrategyNode,
)
from pilotage.strategies.permissions import (
    can_change_action,
    can_change_strategy,
    can_create_action,
    can_delete_action,
)
from pilotage.taxonomies.admin import TermAssignmentInline


class StrategyChildInline(RoleInlineMixin):
    """Inlines of a strategy: only the steering team changes them."""

    extra = 0

    def can_write(self, request, obj):
        return can_change_strategy(request.user, obj)


class StrategyLevelInline(StrategyChildInline, TranslationTabularInline):
    model = StrategyLevel
    fields = ["depth", "code", "name"]


class StrategyNodeInline(StrategyChildInline, TranslationTabularInline):
    model = StrategyNode
    fields = ["code", "title", "level", "parent", "order"]
    show_change_link = True
    ordering = ["order", "code"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        # Only this strategy's levels and nodes are sensible choices.
        if obj is not None:
            formset.form.base_fields["level"].queryset = obj.levels.all()
            formset.form.base_fields["parent"].queryset = obj.nodes.all()
        return formset


@admin.register(Strategy)
class StrategyAdmin(DomainAdmin):
    list_display = ["code", "title", "version", "status", "period_start", "period_end", "owner"]
    list_filter = ["status", "owner"]
    search_fields = ["code", "title", "description"]
    list_select_related = ["owner"]
    autocomplete_fields = ["owner", "predecessor"]
    inlines = [StrategyLevelInline, StrategyNodeInline]
    readonly_fields = ["budget"]

    @admin.display(description=_("budget"))
    def budget(self, obj):
        return budget_overview(strategy=obj) if obj.pk else ""

    write_permission = staticmethod(can_change_strategy)
    save_service = staticmethod(services.strategy_save)
    delete_service = staticmethod(services.strategy_delete)
    service_argument = "strategy"


@admin.register(StrategyNode)
class StrategyNodeAdmin(DomainAdmin):
    list_display = ["code", "title", "strategy", "level", "parent"]
    list_filter = ["strategy", "level__code"]
    search_fields = ["code", "title", "description"]
    list_select_related = ["strategy", "level", "parent"]
    autocomplete_fields = ["parent"]
    inlines = [TermAssignmentInline, NodeBudgetLineInline]
    readonly_fields = ["budget"]

    @admin.display(description=_("budget"))
    def budget(self, obj):
        return budget_overview(node=obj) if obj.pk else ""

    write_permission = staticmethod(lambda user, obj=None: can_change_strategy(user))
    save_service = staticmethod(services.node_save)
    delete_service = staticmethod(services.node_delete)
    service_argument = "node"


class ActionPartnerInline(RoleInlineMixin, TranslationTabularInline):
    model = ActionPartner
    fields = ["organisation", "role"]
    autocomplete_fields = ["organisation"]
    extra = 0
    verbose_name_plural = _("partners")

    def can_write(self, request, obj):
        if obj is not None:
            return can_change_action(request.user, obj)
        return is_steering(request.user) or can_create_action(
            request.user, lead_id=request.user.organisation_id
        )


@admin.register(Action)
class ActionAdmin(DomainAdmin):
    def history_related(self, obj):
        partners = models.Q(
            content_type=ContentType.objects.get_for_model(ActionPartner),
            additional_data__action_id=obj.pk,
        )
        return super().history_related(obj) | partners

    list_display = ["code", "title", "status", "type", "lead", "start_date", "end_date"]
    list_filter = ["status", "type", "lead", "nodes__strategy"]
    search_fields = ["code", "title", "description", "lead__name"]
    list_select_related = ["type", "lead"]
    autocomplete_fields = ["type", "lead", "nodes", "target_audiences"]
    inlines = [ActionPartnerInline, TermAssignmentInline, ActionBudgetLineInline]
    readonly_fields = ["budget"]

    @admin.display(description=_("budget"))
    def budget(self, obj):
        return budget_overview(action=obj) if obj.pk else ""

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_steering(request.user):
            return queryset
        return queryset.filter(lead_id=request.user.organisation_id)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # A partner editor can only name its own organisation as lead.
        if db_field.name == "lead" and not is_steering(request.user):
            from pilotage.registry.models import Organisation

            kwargs["queryset"] = Organisation.objects.filter(pk=request.user.organisation_id)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def can_add(self, user):
        return is_steering(user) or can_create_action(user, lead_id=user.organisation_id)

    def can_change(self, user, obj=None):
        return can_change_action(user, obj)

    def can_delete(self, user, obj=None):
        return can_delete_action(user, obj)

    def save_with_service(self, actor, obj):
        services.action_save(actor=actor, action=obj)

    def delete_with_service(self, actor, obj):
        services.action_delete(actor=actor, action=obj)


@admin.register(StrategyLevel)
class StrategyLevelAdmin(DomainAdmin):
    list_display = ["name", "code", "depth", "strategy"]
    list_filter = ["strategy"]
    search_fields = ["code", "name"]
    list_select_related = ["strategy"]

    write_permission = staticmethod(lambda user, obj=None: can_change_strategy(user))
    save_service = staticmethod(services.level_save)
    delete_service = staticmethod(services.level_delete)
    service_argument = "level"


@admin.register(ActionPartner)
class ActionPartnerAdmin(DomainAdmin):
    list_display = ["action", "organisation", "role"]
    search_fields = ["action__code", "action__title", "organisation__name", "role"]
    list_select_related = ["action", "organisation"]
    autocomplete_fields = ["action", "organisation"]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_steering(request.user):
            return queryset
        return queryset.filter(action__lead_id=request.user.organisation_id)

    def can_add(self, user):
        return is_steering(user) or can_create_action(user, lead_id=user.organisation_id)

    def can_change(self, user, obj=None):
        return can_change_action(user, obj.action if obj is not None else None)

    def can_delete(self, user, obj=None):
        return can_change_action(user, obj.action if obj is not None else None)

    def save_with_service(self, actor, obj):
        services.partnership_save(actor=actor, partnership=obj)

    def delete_with_service(self, actor, obj):
        services.partnership_delete(actor=actor, partnership=obj)
