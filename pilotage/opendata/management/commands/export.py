"""`pilotage export FORMAT COLLECTION [--output PATH]`, `pilotage export zip` and
`pilotage export dcat`: the same bytes as /exports/, from the same generators."""

from __future__ import annotations

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from pilotage.opendata.dcat import catalogue_export
from pilotage.opendata.exports import COLLECTIONS
from pilotage.opendata.formats import FORMATS, export_chunks, filename, formats_of, zip_chunks


class Command(BaseCommand):
    # A read, like dumpdata: no system checks before it.
    requires_system_checks = []
    help = (
        "Export a public collection (csv, xlsx, json, parquet, geojson), every collection "
        "as a zip with its data package (zip), or the DCAT-AP catalogue (dcat)."
    )

    def add_arguments(self, parser):
        parser.add_argument("format", choices=[*FORMATS, "zip", "dcat"])
        parser.add_argument("collection", nargs="?", help=f"one of: {', '.join(COLLECTIONS)}")
        parser.add_argument(
            "--output",
            help="the file to write (default: the web's file name in the current folder; "
            "- for standard output)",
        )
        parser.add_argument(
            "--rdf-format",
            choices=["turtle", "json-ld"],
            default="turtle",
            help="for dcat: Turtle (default) or JSON-LD",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, format, collection, output, rdf_format, no_progress, **options):
        if format == "dcat":
            name = "catalogue.jsonld" if rdf_format == "json-ld" else "catalogue.ttl"
            self._write([catalogue_export(format=rdf_format).encode()], output or name)
            return
        if format == "zip":
            total = sum(c.count() for c in COLLECTIONS.values())
            with self._bar(total, "pilotage.zip", no_progress) as bar:
                self._write(zip_chunks(bar.update), output or "pilotage.zip")
            return
        found = COLLECTIONS.get(collection or "")
        if found is None:
            raise CommandError(f"Name a collection: {', '.join(COLLECTIONS)}.")
        if format not in formats_of(found):
            raise CommandError(
                f"{found.name} comes as {', '.join(formats_of(found))}, not {format}."
            )
        name = filename(found, format)
        with self._bar(found.count(), name, no_progress) as bar:
            self._write(export_chunks(found, format, bar.update), output or name)

    def _bar(self, total: int, name: str, hidden: bool) -> tqdm:
        return tqdm(
            total=total, desc=name, unit=" rows", unit_scale=True, disable=hidden, file=sys.stderr
        )

    def _write(self, chunks, output: str) -> None:
        if output == "-":
            target = getattr(self.stdout, "buffer", None) or self.stdout._out.buffer
            for chunk in chunks:
                target.write(chunk)
            target.flush()
            return
        path = Path(output)
        with path.open("wb") as file:
            for chunk in chunks:
                file.write(chunk)
        self.stderr.write(f"{path} ({path.stat().st_size:,} bytes)")
