"""`pilotage budget_import FILE --actor EMAIL [--dry-run]`."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.budgets.imports import budget_lines_import
from pilotage.core.datafiles import DataFileError, problem_lines, report_lines
from pilotage.core.management.actors import command_actor


class Command(BaseCommand):
    help = "Import budget lines from CSV or XLSX, all or nothing (see pilotage.budgets.imports)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--actor", required=True, help="e-mail of a steering account")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")

    def handle(self, *args, file, actor, dry_run, **options):
        user = command_actor(actor)
        path = Path(file)
        try:
            report = budget_lines_import(
                actor=user, name=path.name, content=path.read_bytes(), dry_run=dry_run
            )
        except DataFileError as error:
            raise CommandError(problem_lines(error)) from error
        for line in report_lines(report, verbosity=options["verbosity"]):
            self.stdout.write(line)
