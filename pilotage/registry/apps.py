from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "pilotage.registry"
    label = "registry"
    verbose_name = _("Ecosystem registry")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.registry.models import (
            Affiliation,
            Event,
            Magnet,
            Organisation,
            Person,
            Publication,
            Relation,
        )

        for model in (Organisation, Person, Affiliation, Event, Publication, Relation, Magnet):
            auditlog.register(model)

        from pilotage.registry import signals

        signals.connect()

        from pilotage.registry.permissions import can_change_organisation
        from pilotage.taxonomies.services import tagging_permission_register

        tagging_permission_register(Organisation, can_change_organisation)
        for model in (Person, Event, Publication):
            tagging_permission_register(model, lambda user, _record: can_change_organisation(user))

        from pilotage.core.loading import data_folder_register
        from pilotage.registry.loaders import ORGANISATION_FOLDER

        data_folder_register(ORGANISATION_FOLDER)
