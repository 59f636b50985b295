"""The back-office: Django's admin, with our roles instead of Django's model permissions.

Every ModelAdmin of a domain model derives from `DomainAdmin`: it asks the app's `can_*`
functions who may see and change what, saves through the app's services (which check
the same functions again), and shows each record's audit history to steering staff.
"""

from __future__ import annotations

import re

from auditlog import filters
from auditlog.admin import LogEntryAdmin
from auditlog.mixins import AuditlogHistoryAdminMixin
from auditlog.models import LogEntry
from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.http import Http404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_otp import user_has_device
from modeltranslation.admin import TranslationAdmin

from pilotage.accounts.permissions import can_view_backoffice, is_steering
from pilotage.core.audit import ACTIONS, acting_as, changed_labels, history_entries
from pilotage.core.models import Change

admin.site.site_header = _("Pilotage back-office")
admin.site.site_title = _("Pilotage")
admin.site.index_title = _("Steering data")


def _backoffice_permission(request) -> bool:
    user = request.user
    if not (user.is_active and user.is_staff and can_view_backoffice(user)):
        return False
    # Whoever set an authenticator app gave its code at this login (django-otp).
    return getattr(user, "is_verified", lambda: False)() or not user_has_device(user)


admin.site.has_permission = _backoffice_permission


def _refusal_add(form, refusal: ValidationError) -> None:
    """A service's ValidationError on the form: on its field when the form has it."""
    if hasattr(refusal, "error_dict"):
        for field, errors in refusal.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, refusal.error_list)


class RoleAdminMixin(AuditlogHistoryAdminMixin):
    """Role-based permissions, writes through services, audit history."""

    show_auditlog_history_link = True
    auditlog_history_template = "admin/record_history.html"
    # Addresses typed without a scheme are taken as https (Django 6's default).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # Subclasses say who may do what with the app's pure permission functions: either
    # one `write_permission(user, obj=None)` for add, change and delete, or by overriding
    # the `can_*` methods...
    write_permission = None

    def can_view(self, user, obj=None) -> bool:
        return can_view_backoffice(user)

    def can_add(self, user) -> bool:
        return self.write_permission(user) if self.write_permission else is_steering(user)

    def can_change(self, user, obj=None) -> bool:
        return self.write_permission(user, obj) if self.write_permission else is_steering(user)

    def can_delete(self, user, obj=None) -> bool:
        return self.can_change(user, obj)

    # ...and how a record is saved and deleted: the app's services, called as
    # `save_service(actor=..., <service_argument>=obj)`, or by overriding the methods.
    save_service = None
    delete_service = None
    service_argument = ""

    def save_with_service(self, actor, obj) -> None:
        self.save_service(actor=actor, **{self.service_argument: obj})

    def delete_with_service(self, actor, obj) -> None:
        self.delete_service(actor=actor, **{self.service_argument: obj})

    def has_module_permission(self, request) -> bool:
        return self.can_view(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return self.can_view(request.user, obj) or self.can_change(request.user, obj)

    def has_add_permission(self, request) -> bool:
        return self.can_add(request.user)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.can_change(request.user, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.can_delete(request.user, obj)

    def save_model(self, request, obj, form, change) -> None:
        self.save_with_service(request.user, obj)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """A service's refusal (a locked value, a query that does not read) is shown on
        the form with what was typed, as a form's own errors are, never as a 500."""
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except ValidationError as error:
            if request.method != "POST" or hasattr(request, "_service_refusal"):
                raise
            refusal = error
        # The refused save was rolled back; the same post, read again, shows the refusal.
        request._service_refusal = refusal
        return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        refusal = getattr(request, "_service_refusal", None)
        if refusal is None:
            return form

        class RefusedForm(form):
            def clean(self):
                cleaned = super().clean()
                _refusal_add(self, refusal)
                return cleaned

        return RefusedForm

    def delete_model(self, request, obj) -> None:
        self.delete_with_service(request.user, obj)

    def delete_queryset(self, request, queryset) -> None:
        for obj in queryset:
            self.delete_with_service(request.user, obj)

    def save_related(self, request, form, formsets, change) -> None:
        # Many-to-many fields and inlines belong to the record: the same right applies.
        if not self.can_change(request.user, form.instance) and not (
            not change and self.can_add(request.user)
        ):
            raise PermissionDenied
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)

    def history_related(self, obj) -> models.Q:
        """Audit entries of the rows that belong to a record and show in its history:
        its taxonomy tags here; admins add their own (an action's partners)."""
        from django.contrib.contenttypes.models import ContentType

        from pilotage.taxonomies.models import TermAssignment

        return models.Q(
            content_type=ContentType.objects.get_for_model(TermAssignment),
            additional_data__content_type_id=ContentType.objects.get_for_model(obj).pk,
            additional_data__object_id=obj.pk,
        )

    def auditlog_history_view(self, request, object_id, extra_context=None):
        """The record's audit trail with its dependent rows' (tags, partners), newest first."""
        if not is_steering(request.user):
            raise PermissionDenied
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404
        entries = (
            LogEntry.objects.filter(
                models.Q(pk__in=LogEntry.objects.get_for_object(obj).values("pk"))
                | self.history_related(obj)
            )
            .select_related("actor", "content_type")
            .order_by("-timestamp")
        )
        paginator = self.get_paginator(request, entries, self.auditlog_history_per_page)
        page = paginator.get_page(request.GET.get("p", 1))
        context = {
            **self.admin_site.each_context(request),
            "title": _("History: %s") % obj,
            "module_name": str(capfirst(self.model._meta.verbose_name_plural)),
            "page_range": paginator.get_elided_page_range(page.number),
            "page_var": "p",
            "pagination_required": paginator.count > self.auditlog_history_per_page,
            "object": obj,
            "opts": self.model._meta,
            "log_entries": page,
            "history": history_entries(page, record=obj),
            **(extra_context or {}),
        }
        return TemplateResponse(request, self.auditlog_history_template, context)

    def history_view(self, request, object_id, extra_context=None):
        # One history, the audit trail's, which has the values before and after.
        return self.auditlog_history_view(request, object_id, extra_context)


class RoleInlineMixin:
    """An inline is writable by whoever may write its parent record (`can_write`)."""

    def can_write(self, request, obj) -> bool:
        raise NotImplementedError

    def has_add_permission(self, request, obj=None) -> bool:
        return self.can_write(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.can_write(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.can_write(request, obj)

    def has_view_permission(self, request, obj=None) -> bool:
        return can_view_backoffice(request.user)


class DomainAdmin(RoleAdminMixin, TranslationAdmin):
    """The back-office of a model with multilingual fields."""


class PlainDomainAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The back-office of a model without multilingual fields."""


class RecordAdmin(PlainDomainAdmin):
    """Records written elsewhere (frozen reports, imports, breakdowns): read here only."""

    def can_add(self, user) -> bool:
        return False

    def can_change(self, user, obj=None) -> bool:
        return False

    def can_delete(self, user, obj=None) -> bool:
        return False


class ResourceTypeFilter(filters.ResourceTypeFilter):
    """auditlog's filter by type, refusing a type that is not a number as Django's own
    filters do (the list again, saying so) rather than failing in the query."""

    def queryset(self, request, queryset):
        value = self.value()
        # An id, short enough for a database integer (SQLite refuses a longer one).
        if value is not None and not re.fullmatch(r"[0-9]{1,18}", value):
            raise IncorrectLookupParameters(value)
        return super().queryset(request, queryset)


admin.site.unregister(LogEntry)


class AuditActionFilter(admin.SimpleListFilter):
    """By kind of change, named as the history names them (auditlog's are English)."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(str(value), label) for value, label in ACTIONS.items()]

    def queryset(self, request, queryset):
        value = self.value()
        if value is None:
            return queryset
        if value not in {str(action) for action in ACTIONS}:
            raise IncorrectLookupParameters(value)
        return queryset.filter(action=int(value))


@admin.register(LogEntry)
class SteeringLogEntryAdmin(LogEntryAdmin):
    """The whole audit trail, for steering staff only, read-only, as the records'
    histories read: who, when, which record, each field before and after."""

    # auditlog searches first and last names, which our user (log in by e-mail) lacks.
    search_fields = ["timestamp", "object_repr", "changes", "actor__full_name", "actor__email"]
    list_filter = [AuditActionFilter, ResourceTypeFilter]
    list_display = ["when", "record", "action_name", "msg_short", "who"]
    readonly_fields = ["when", "who", "record", "action_name", "msg"]
    fieldsets = [(None, {"fields": ["when", "who", "record", "action_name", "msg"]})]

    @admin.display(description=_("Date/time"), ordering="timestamp")
    def when(self, obj: LogEntry):
        return obj.timestamp

    @admin.display(description=_("User"))
    def who(self, obj: LogEntry) -> str:
        return str(obj.actor) if obj.actor_id else str(_("system"))

    @admin.display(description=_("Record"))
    def record(self, obj: LogEntry):
        kind = obj.content_type.model_class()
        name = capfirst(kind._meta.verbose_name) if kind else obj.content_type.model
        return f"{name} « {obj.object_repr} »"

    @admin.display(description=_("Action"), ordering="action")
    def action_name(self, obj: LogEntry) -> str:
        return str(ACTIONS.get(obj.action, obj.get_action_display()))

    @admin.display(description=_("Changes"))
    def msg_short(self, obj: LogEntry) -> str:
        # An event that changed no field (a login locked out) says what happened.
        if (obj.additional_data or {}).get("event") == "login-locked-out":
            return _("Login locked out after too many failed attempts from %(address)s.") % {
                "address": obj.remote_addr or "?"
            }
        return ", ".join(changed_labels(obj))

    @admin.display(description=_("Changes"))
    def msg(self, obj: LogEntry) -> str:
        (entry,) = history_entries([obj])
        return render_to_string("admin/history_changes.html", {"entry": entry})

    def has_module_permission(self, request) -> bool:
        return is_steering(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return is_steering(request.user)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Change)
class ChangeAdmin(RecordAdmin):
    """What the read model has followed, for diagnosis."""

    list_display = ["pk", "kind", "object_id", "created_at"]
    list_filter = ["kind"]
