"""Which province a point lies in: point-in-polygon on the shipped province boundaries
(data/geo/provinces.geojson, converted from ../shared/geo/, BSD licence)."""

from __future__ import annotations

import json
from functools import lru_cache

from django.conf import settings

Ring = list[tuple[float, float]]


@lru_cache(maxsize=1)
def province_features() -> list[dict]:
    """The shipped GeoJSON features of the provinces (code and names in `properties`)."""
    with open(settings.PILOTAGE_DATA_DIR / "geo" / "provinces.geojson", encoding="utf-8") as file:
        return json.load(file)["features"]


def feature_polygons(feature: dict) -> list[list[Ring]]:
    """A Polygon or MultiPolygon feature's polygons, each a list of rings (outer first,
    then holes), points as (longitude, latitude)."""
    geometry = feature["geometry"]
    shapes = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [[[(float(x), float(y)) for x, y in ring] for ring in shape] for shape in shapes]


@lru_cache(maxsize=1)
def province_polygons() -> dict[str, list[list[Ring]]]:
    """Province code → its polygons."""
    return {f["properties"]["code"]: feature_polygons(f) for f in province_features()}


def _inside(ring: Ring, x: float, y: float) -> bool:
    """Ray casting: a point is inside when a ray from it crosses the ring an odd number of
    times."""
    inside = False
    j = len(ring) - 1
    for i in range(len(ring)):
        xi, yi = ring[i]
        xj, yj = ring[j]
        if (yi > y) != (yj > y) and x < (xj - xi) * (y - yi) / (yj - yi) + xi:
            inside = not inside
        j = i
    return inside


def province_at(latitude: float, longitude: float) -> str | None:
    """The code of the province the point lies in, or None outside every province."""
    for code, shapes in province_polygons().items():
        for rings in shapes:
            if _inside(rings[0], longitude, latitude) and not any(
                _inside(hole, longitude, latitude) for hole in rings[1:]
            ):
                return code
    return None
