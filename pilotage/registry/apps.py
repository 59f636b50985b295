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

        from pilotage.registry.permissions import can_change_organisation
        from pilotage.taxonomies.services import tagging_permission_register

        tagging_permission_register(Organisation, can_change_organisation)

        from pilotage.core.loading import data_folder_register
        from pilotage.registry.loaders import ORGANISATION_FOLDER

        data_folder_register(ORGANISATION_FOLDER)
