from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "pilotage.dashboard"
    label = "dashboard"
    verbose_name = _("Public dashboard")

    def ready(self) -> None:
        # Registers the SQLite search function on every new connection.
        from pilotage.dashboard import search  # noqa: F401
