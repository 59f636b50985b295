from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "pilotage.registry"
    label = "registry"
    verbose_name = _("Ecosystem registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.registry.models import Organisation

        auditlog.register(Organisation)
