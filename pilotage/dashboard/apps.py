from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "pilotage.dashboard"
    label = "dashboard"
    verbose_name = _("Public dashboard")

    def ready(self) -> None:
        # Registers the SQLite search function on every new connection.
        # The progress figures the pages keep in cache depend on these records.
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from pilotage.core.revisions import revision_bump
        from pilotage.dashboard import search  # noqa: F401
        from pilotage.indicators.models import Indicator, Observation, ObservationPart, Target
        from pilotage.strategies.models import Action, Strategy, StrategyNode

        def progress_changed(sender, **kwargs):
            revision_bump("progress")

        for model in (
            Observation,
            ObservationPart,
            Indicator,
            Target,
            Action,
            StrategyNode,
            Strategy,
        ):
            for signal in (post_save, post_delete):
                signal.connect(
                    progress_changed,
                    sender=model,
                    weak=False,  # a function defined here would otherwise be collected
                    dispatch_uid=f"progress-{model.__name__}-{signal is post_save}",
                )
        m2m_changed.connect(
            progress_changed, sender=Action.nodes.through, weak=False, dispatch_uid="progress"
        )
