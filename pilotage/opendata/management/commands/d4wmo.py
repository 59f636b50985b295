"""`pilotage d4wmo export [--format json-ld] [--output FILE]` and
`pilotage d4wmo import FILE --actor EMAIL`: Digital Wallonia's data model (D4WMO-AP)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.core.management.actors import command_actor
from pilotage.opendata.d4wmo import D4wmoError, d4wmo_export, d4wmo_import


class Command(BaseCommand):
    help = "Export or import records in the D4WMO-AP model (Turtle or JSON-LD)."

    def add_arguments(self, parser):
        parser.add_argument("direction", choices=["export", "import"])
        parser.add_argument("file", nargs="?", help="the file to import")
        parser.add_argument("--format", choices=["turtle", "json-ld"], default="turtle")
        parser.add_argument("--output", help="write the export here instead of stdout")
        parser.add_argument("--actor", help="e-mail of the steering account importing")

    def handle(self, *args, direction, file, format, output, actor, **options):
        if direction == "export":
            text = d4wmo_export(format=format)
            if output:
                Path(output).write_text(text, encoding="utf-8")
            else:
                self.stdout.write(text)
            return
        if not file or not actor:
            raise CommandError("An import needs a FILE and --actor EMAIL.")
        user = command_actor(actor)
        path = Path(file)
        try:
            counts = d4wmo_import(
                actor=user, content=path.read_bytes(), format=format, name=path.name
            )
        except D4wmoError as error:
            raise CommandError("\n".join(error.problems)) from error
        for what, count in sorted(counts.items()):
            self.stdout.write(f"{what}: {count}")
