from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "pilotage.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from corsheaders.signals import check_request_enabled

        from pilotage.core.api import cors_public_read

        check_request_enabled.connect(cors_public_read, dispatch_uid="pilotage-cors-public-read")
