"""`pilotage load`: load the data files of every app (see pilotage.core.loading)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pilotage.core.datafiles import DataFileError
from pilotage.core.loading import shipped_data_load


class Command(BaseCommand):
    help = "Load the data files (idempotent: records are matched by code)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--data-dir",
            type=Path,
            default=settings.PILOTAGE_DATA_DIR,
            help="Folder holding taxonomies/, organisations/, strategies/ (default: data/).",
        )
        parser.add_argument("--no-progress", action="store_true", help="No progress bars.")

    def handle(self, *args, data_dir: Path, no_progress: bool, verbosity: int, **options):
        show = verbosity > 0 and not no_progress

        def progress(items):
            return tqdm(items, disable=not show, leave=False, file=self.stderr._out)

        try:
            stats = shipped_data_load(data_dir, progress=progress)
        except DataFileError as error:
            raise CommandError(
                f"Nothing was loaded: {len(error.errors)} problem(s) in the data files.\n{error}"
            ) from error
        for key in sorted(stats):
            self.stdout.write(f"{key}: {stats[key]}")
        self.stdout.write(self.style.SUCCESS(f"Loaded {data_dir}."))
