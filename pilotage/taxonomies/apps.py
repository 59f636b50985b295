from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TaxonomiesConfig(AppConfig):
    name = "pilotage.taxonomies"
    label = "taxonomies"
    verbose_name = _("Taxonomies")

    def ready(self) -> None:
        from auditlog.registry import auditlog

        from pilotage.taxonomies.models import Taxonomy, Term, TermAssignment

        auditlog.register(Taxonomy)
        auditlog.register(Term)
        auditlog.register(TermAssignment)

        from pilotage.core.loading import data_folder_register
        from pilotage.taxonomies.loaders import TAXONOMY_FOLDER

        data_folder_register(TAXONOMY_FOLDER)
