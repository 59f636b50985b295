"""`pilotage values_import FILE --actor EMAIL [--dry-run]`: a bulk import of values."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from pilotage.core.datafiles import DataFileError, problem_lines, report_lines
from pilotage.core.management.actors import command_actor
from pilotage.indicators.bulk import observations_import


class Command(BaseCommand):
    help = (
        "Import the values of indicators from CSV or XLSX (indicator, period_start, "
        "period_end, value, comment), as submitted, all or nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--actor", required=True, help="e-mail of the account reporting")
        parser.add_argument("--dry-run", action="store_true", help="check and report only")
        parser.add_argument(
            "--exclusive",
            action="store_true",
            help="PostgreSQL, for a big first load: check the foreign keys once for the whole "
            "table (faster), locking observations, indicators and accounts meanwhile",
        )

    def handle(self, *args, file, actor, dry_run, exclusive, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No file {file}.")
        try:
            report = observations_import(
                actor=command_actor(actor),
                name=path.name,
                path=path,
                dry_run=dry_run,
                exclusive=exclusive,
            )
        except DataFileError as error:
            raise CommandError(problem_lines(error)) from error
        for line in report_lines(report, verbosity=options["verbosity"]):
            self.stdout.write(line)
