from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IndicatorsConfig(AppConfig):
    name = "pilotage.indicators"
    label = "indicators"
    verbose_name = _("Indicators")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.core.loading import data_folder_register
        from pilotage.indicators.loaders import INDICATOR_FOLDER
        from pilotage.indicators.models import (
            Indicator,
            Observation,
            ObservationImport,
            ObservationPart,
            QuarterlyReport,
            ReportingCampaign,
            Target,
        )

        auditlog.register(ReportingCampaign)
        auditlog.register(QuarterlyReport, exclude_fields=["snapshot"])
        auditlog.register(Indicator)
        auditlog.register(Target)
        auditlog.register(Observation)
        auditlog.register(ObservationPart)
        auditlog.register(ObservationImport)
        data_folder_register(INDICATOR_FOLDER)
