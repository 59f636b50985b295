"""`pilotage skos_export CODE [CODE...]`: taxonomies as SKOS (Turtle or JSON-LD), in one file."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.taxonomies.models import Taxonomy
from pilotage.taxonomies.skos import graph_serialise, taxonomies_graph


class Command(BaseCommand):
    help = (
        "Export taxonomies as SKOS in the D4WTA-AP profile (or every language with --profile "
        "full); several codes give one file, as a file holding several schemes was imported."
    )

    def add_arguments(self, parser):
        parser.add_argument("codes", nargs="+", help="The taxonomies' codes, e.g. provinces.")
        parser.add_argument("--format", choices=["turtle", "json-ld"], default="turtle")
        parser.add_argument("--profile", choices=["d4wta", "full"], default="d4wta")
        parser.add_argument("--output", "-o", type=Path, help="File to write (default: stdout).")

    def handle(self, *args, codes, format, profile, output, **options):
        taxonomies = list(Taxonomy.objects.filter(code__in=codes))
        missing = sorted(set(codes) - {taxonomy.code for taxonomy in taxonomies})
        if missing:
            known = ", ".join(Taxonomy.objects.values_list("code", flat=True))
            raise CommandError(
                f"No taxonomy {', '.join(map(repr, missing))}. "
                f"Known: {known or 'none (run pilotage load)'}."
            )
        text = graph_serialise(taxonomies_graph(taxonomies, profile=profile), format=format)
        if output:
            output.write_text(text, encoding="utf-8")
            self.stderr.write(f"Wrote {output}.")
        else:
            self.stdout.write(text)
