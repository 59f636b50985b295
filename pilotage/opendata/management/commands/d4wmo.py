"""`pilotage d4wmo export [--format json-ld] [--output FILE]` and
`pilotage d4wmo import FILE --actor EMAIL [--dry-run]`: Digital Wallonia's data model (D4WMO-AP)."""

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
        parser.add_argument(
            "--dry-run", action="store_true", help="check and count the import, write nothing"
        )

    def handle(self, *args, direction, file, format, output, actor, dry_run, **options):
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
                actor=user,
                content=path.read_bytes(),
                format=format,
                name=path.name,
                dry_run=dry_run,
            )
        except D4wmoError as error:
            raise CommandError("\n".join(error.problems)) from error
        verb = "would be" if dry_run else "were"
        for kind, statuses in sorted(counts.items()):
            said = ", ".join(f"{count} {verb} {status}" for status, count in statuses.items())
            self.stdout.write(f"{kind}: {said}")
        if dry_run:
            self.stdout.write("Nothing was written (dry run).")
