"""Convert the Digital Wallonia province boundaries into one GeoJSON FeatureCollection.

The source folder (``shared/geo/wallonia-provinces/``, BSD 3-Clause, see LICENSE next to
this script) holds one JSON file per area, each shaped as
``{"location": {"type": "polygon" | "multiPolygon", "coordinates": [...]}}`` with WGS84
longitude/latitude rings. This script writes an RFC 7946 FeatureCollection with the
geometry types spelt "Polygon" / "MultiPolygon", the coordinates left unchanged, and
for each feature the properties ``code`` (term code in data/taxonomies/provinces.yaml),
``name_fr``, ``name_nl``, ``name_de``, ``name_en`` and ``nis`` (NIS code, a string).

Usage (from anywhere; the defaults are relative to the repository):

    python3 data/geo/convert.py [SOURCE_DIR] [DESTINATION_FILE]

Standard library only.
"""

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_SOURCE = REPO.parent / "shared" / "geo" / "wallonia-provinces"
DEFAULT_DESTINATION = HERE / "provinces.geojson"

# source file -> (code, name_fr, name_nl, name_de, name_en, nis), in output order. The names
# and NIS codes are the provinces taxonomy's labels and notations (../taxonomies/provinces.yaml),
# one name per province in each language: pilotage/core/tests/test_data_translations.py checks it.
AREAS = [
    (
        "brabantWallon.json",
        "brabant-wallon",
        "Brabant wallon",
        "Waals-Brabant",
        "Wallonisch-Brabant",
        "Walloon Brabant",
        "20002",
    ),
    ("hainaut.json", "hainaut", "Hainaut", "Henegouwen", "Hennegau", "Hainaut", "50000"),
    ("liege.json", "liege", "Liège", "Luik", "Lüttich", "Liège", "60000"),
    (
        "luxembourg.json",
        "luxembourg",
        "Luxembourg",
        "Luxemburg",
        "Luxemburg",
        "Luxembourg",
        "80000",
    ),
    ("namur.json", "namur", "Namur", "Namen", "Namur", "Namur", "90000"),
    (
        "bruxelles.json",
        "bruxelles-capitale",
        "Région de Bruxelles-Capitale",
        "Brussels Hoofdstedelijk Gewest",
        "Region Brüssel-Hauptstadt",
        "Brussels-Capital Region",
        "04000",
    ),
]

GEOMETRY_TYPES = {"polygon": "Polygon", "multipolygon": "MultiPolygon"}


def read_geometry(path):
    """Return the RFC 7946 geometry of one source file."""
    with open(path, encoding="utf-8") as handle:
        location = json.load(handle)["location"]
    kind = GEOMETRY_TYPES.get(location["type"].lower())
    if kind is None:
        raise ValueError(f"{path}: unsupported geometry type {location['type']!r}")
    return {"type": kind, "coordinates": location["coordinates"]}


def convert(source, destination):
    features = []
    for filename, code, fr, nl, de, en, nis in AREAS:
        features.append(
            {
                "type": "Feature",
                "properties": {
                    "code": code,
                    "name_fr": fr,
                    "name_nl": nl,
                    "name_de": de,
                    "name_en": en,
                    "nis": nis,
                },
                "geometry": read_geometry(Path(source) / filename),
            }
        )
    collection = {"type": "FeatureCollection", "features": features}
    with open(destination, "w", encoding="utf-8") as handle:
        json.dump(collection, handle, ensure_ascii=False)
        handle.write("\n")
    return len(features)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "source",
        nargs="?",
        default=str(DEFAULT_SOURCE),
        help=f"folder of source JSON files (default: {DEFAULT_SOURCE})",
    )
    parser.add_argument(
        "destination",
        nargs="?",
        default=str(DEFAULT_DESTINATION),
        help=f"GeoJSON file to write (default: {DEFAULT_DESTINATION})",
    )
    args = parser.parse_args(argv)
    count = convert(args.source, args.destination)
    print(f"wrote {count} features to {args.destination}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
