"""`pilotage skos_export CODE`: a taxonomy as SKOS (Turtle or JSON-LD)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.taxonomies.models import Taxonomy
from pilotage.taxonomies.skos import taxonomy_export


class Command(BaseCommand):
    help = (
        "Export a taxonomy as SKOS in the D4WTA-AP profile (or every language with --profile full)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The taxonomy's code, e.g. provinces.")
        parser.add_argument("--format", choices=["turtle", "json-ld"], default="turtle")
        parser.add_argument("--profile", choices=["d4wta", "full"], default="d4wta")
        parser.add_argument("--output", "-o", type=Path, help="File to write (default: stdout).")

    def handle(self, *args, code, format, profile, output, **options):
        taxonomy = Taxonomy.objects.filter(code=code).first()
        if taxonomy is None:
            known = ", ".join(Taxonomy.objects.values_list("code", flat=True))
            raise CommandError(
                f"No taxonomy {code!r}. Known: {known or 'none (run pilotage load)'}."
            )
        text = taxonomy_export(taxonomy, format=format, profile=profile)
        if output:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text)
