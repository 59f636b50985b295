"""`pilotage skos_import FILE --actor EMAIL`: import the concept schemes of a SKOS file."""

from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from pilotage.accounts.models import User
from pilotage.core.datafiles import DataFileError, problem_lines
from pilotage.taxonomies.services import taxonomy_import_skos


class Command(BaseCommand):
    help = "Import a SKOS file (Turtle or JSON-LD), all or nothing, as a steering-staff account."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=["turtle", "json-ld"], help="Default: from the suffix."
        )
        parser.add_argument(
            "--actor", required=True, help="E-mail of the steering account importing."
        )

    def handle(self, *args, file: Path, format, actor, **options):
        user = User.objects.filter(email=actor.lower()).first()
        if user is None:
            raise CommandError(f"No account {actor!r}.")
        try:
            report = taxonomy_import_skos(
                actor=user, text=file.read_bytes(), format=format, file=str(file)
            )
        except PermissionDenied as error:
            raise CommandError(str(error)) from error
        except DataFileError as error:
            raise CommandError(problem_lines(error)) from error
        for line in report.lines():
            self.stdout.write(line)
