"""`pilotage demo_registry --organisations N`: realistic demo organisations and relations."""

from django.core.management.base import BaseCommand
from tqdm import tqdm

from pilotage.registry.demo import demo_registry_generate


class Command(BaseCommand):
    help = "Add demo organisations, relations, persons and events to the registry."

    def add_arguments(self, parser):
        parser.add_argument("--organisations", type=int, default=1000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, organisations, seed, no_progress, **options):
        def progress(items, **kwargs):
            return items if no_progress else tqdm(items, unit=" rows", **kwargs)

        stats = demo_registry_generate(organisations, seed=seed, progress=progress)
        self.stdout.write(
            f"{stats.organisations} organisations, {stats.relations} relations, "
            f"{stats.assignments} terms applied, {stats.persons} persons, "
            f"{stats.events} events added."
        )
