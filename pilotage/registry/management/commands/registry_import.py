"""`pilotage registry_import KIND FILE --actor EMAIL [--dry-run]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.core.datafiles import DataFileError, problem_lines, report_lines
from pilotage.core.management.actors import command_actor
from pilotage.registry.imports import KINDS, registry_import


class Command(BaseCommand):
    help = "Import organisations, persons or relations from CSV or XLSX, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=KINDS)
        parser.add_argument("file")
        parser.add_argument("--actor", required=True, help="e-mail of a steering account")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")

    def handle(self, *args, kind, file, actor, dry_run, **options):
        user = command_actor(actor)
        path = Path(file)
        try:
            report = registry_import(
                actor=user, kind=kind, name=path.name, content=path.read_bytes(), dry_run=dry_run
            )
        except DataFileError as error:
            raise CommandError(problem_lines(error)) from error
        for line in report_lines(report, verbosity=options["verbosity"]):
            self.stdout.write(line)
