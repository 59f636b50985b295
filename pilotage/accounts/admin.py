from auditlog.mixins import AuditlogHistoryAdminMixin
from axes.admin import AccessAttemptAdmin, AccessLogAdmin
from axes.models import AccessAttempt, AccessLog
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice

from pilotage.accounts import services
from pilotage.accounts.forms import BackofficeLoginForm, UserChangeForm, UserCreationForm
from pilotage.accounts.models import ApiToken, User
from pilotage.accounts.permissions import (
    can_grant_superuser,
    can_manage_users,
    can_view_backoffice,
    is_active_user,
)


@admin.register(User)
class UserAdmin(AuditlogHistoryAdminMixin, DjangoUserAdmin):
    form = UserChangeForm
    add_form = UserCreationForm
    ordering = ["email"]
    list_display = ["email", "full_name", "role", "organisation", "is_active"]
    list_filter = ["role", "is_active", "is_staff"]
    search_fields = ["email", "full_name"]
    autocomplete_fields = ["organisation"]
    show_auditlog_history_link = True
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "role", "organisation")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "role", "organisation", "password1", "password2"),
            },
        ),
    )

    def has_module_permission(self, request):
        return can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def has_add_permission(self, request):
        return can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its e-mail, its password) is a superuser's to change.
        if obj is not None and obj.is_superuser and not can_grant_superuser(request.user):
            return False
        return can_manage_users(request.user)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not can_grant_superuser(request.user):
            return False
        return can_manage_users(request.user)

    def get_readonly_fields(self, request, obj=None):
        # Left out of the form, so a forged POST cannot set them; user_save checks again.
        readonly = list(super().get_readonly_fields(request, obj))
        if not can_grant_superuser(request.user):
            readonly.append("is_superuser")
            if obj is not None and obj.pk == request.user.pk:
                readonly.append("is_staff")
        return readonly

    def save_model(self, request, obj, form, change):
        services.user_save(actor=request.user, user=obj)


# Roles decide what a user may do (see permissions.py); Django's groups are not used.
admin.site.unregister(Group)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Steering staff issue keys to partners' software, and revoke them."""

    list_display = ["name", "prefix", "user", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__email", "prefix"]
    fields = ["name", "user"]
    autocomplete_fields = ["user"]
    actions = ["revoke"]

    def has_module_permission(self, request):
        return can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def has_add_permission(self, request):
        return can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        token, key = services.token_issue(actor=request.user, user=obj.user, name=obj.name)
        obj.pk = token.pk
        self.message_user(
            request, _("The key, shown only now: %(key)s") % {"key": key}, messages.WARNING
        )

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            services.token_revoke(actor=request.user, token=token)


# django-axes' records, with our roles instead of Django's model permissions.
class _ReadByUserManagers:
    """Seen only by who manages accounts; never edited."""

    def has_module_permission(self, request):
        return can_manage_users(request.user)

    def has_view_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(AccessAttempt)
class LoginAttemptAdmin(_ReadByUserManagers, AccessAttemptAdmin):
    """Failed logins per address and account; deleting one lifts its lockout."""

    actions = []

    def has_delete_permission(self, request, obj=None):
        return can_manage_users(request.user)

    def delete_model(self, request, obj):
        services.login_attempts_clear(actor=request.user, attempts=[obj])

    def delete_queryset(self, request, queryset):
        services.login_attempts_clear(actor=request.user, attempts=list(queryset))


@admin.register(AccessLog)
class LoginAdmin(_ReadByUserManagers, AccessLogAdmin):
    """Successful logins (who, from where, when), read only."""

    def has_delete_permission(self, request, obj=None):
        return False


# Two factors, optional: whoever sets an authenticator app gives its code at each login.
admin.site.login_form = BackofficeLoginForm
admin.site.login_template = "otp/admin111/login.html"
_backoffice_login = admin.site.login


def _login_or_own_page(request, extra_context=None):
    # Jury members and readers have no back-office: their own page, not a form telling
    # them they are not authorised.
    if is_active_user(request.user) and not can_view_backoffice(request.user):
        return redirect("dashboard:account")
    return _backoffice_login(request, extra_context)


admin.site.login = _login_or_own_page

admin.site.unregister(TOTPDevice)


@admin.register(TOTPDevice)
class AuthenticatorAdmin(TOTPDeviceAdmin):
    """Each back-office user sets their own authenticator app; a superuser sees everyone's."""

    def has_module_permission(self, request):
        return can_view_backoffice(request.user)

    def has_view_permission(self, request, obj=None):
        return self._own(request, obj)

    def has_add_permission(self, request):
        return can_view_backoffice(request.user)

    def has_change_permission(self, request, obj=None):
        return self._own(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._own(request, obj)

    def _own(self, request, obj) -> bool:
        if not can_view_backoffice(request.user):
            return False
        return obj is None or obj.user_id == request.user.pk or request.user.is_superuser

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly.append("user")
        return readonly

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            obj.user = request.user
        services.totp_device_save(actor=request.user, device=obj)

    def delete_model(self, request, obj):
        services.totp_device_delete(actor=request.user, device=obj)

    def delete_queryset(self, request, queryset):
        for device in queryset:
            services.totp_device_delete(actor=request.user, device=device)
