from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "pilotage.accounts"
    label = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.accounts.models import ApiToken, User

        # Role and organisation changes matter; the password hash never goes in the log.
        auditlog.register(User, exclude_fields=["password", "last_login"])
        auditlog.register(ApiToken, exclude_fields=["key_hash", "last_used_at"])

        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from pilotage.accounts import login

        user_locked_out.connect(login.on_user_locked_out, dispatch_uid="pilotage-lockout-audit")
        user_logged_in.connect(login.on_user_logged_in, dispatch_uid="pilotage-staff-session")
