"""The map of provinces, drawn on the server as SVG: it needs no script and no tile
server, and the page puts the same numbers in a table beside it."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from django.utils.translation import get_language

from pilotage.registry.geo import feature_polygons, province_features

WIDTH = 400.0
# Five classes of a sequential blue scale; the darkest keep white labels readable.
SHADES = ("#e8f0f9", "#b9d0ea", "#7ea9d8", "#3f78b8", "#1f4f86")
EMPTY = "#f4f4f4"


@dataclass(frozen=True)
class ProvinceShape:
    code: str
    names: dict[str, str]
    path: str
    label_x: float
    label_y: float


@lru_cache(maxsize=1)
def province_shapes() -> tuple[tuple[ProvinceShape, ...], float]:
    """The provinces projected to SVG paths (equirectangular, scaled at the mean latitude),
    and the drawing's height for a width of WIDTH."""
    features = province_features()
    rings_of = {
        feature["properties"]["code"]: [
            ring for polygon in feature_polygons(feature) for ring in polygon
        ]
        for feature in features
    }
    points = [point for rings in rings_of.values() for ring in rings for point in ring]
    west, east = min(p[0] for p in points), max(p[0] for p in points)
    south, north = min(p[1] for p in points), max(p[1] for p in points)
    shrink = math.cos(math.radians((south + north) / 2))
    scale = WIDTH / ((east - west) * shrink)
    height = (north - south) * scale

    def project(point):
        return ((point[0] - west) * shrink * scale, (north - point[1]) * scale)

    shapes = []
    for feature in features:
        properties = feature["properties"]
        rings = rings_of[properties["code"]]
        path = " ".join(
            "M" + " L".join(f"{x:.1f},{y:.1f}" for x, y in map(project, ring)) + " Z"
            for ring in rings
        )
        outer = [project(point) for point in rings[0]]
        shapes.append(
            ProvinceShape(
                code=properties["code"],
                names={key[5:]: value for key, value in properties.items() if key[:5] == "name_"},
                path=path,
                label_x=sum(x for x, _ in outer) / len(outer),
                label_y=sum(y for _, y in outer) / len(outer),
            )
        )
    return tuple(shapes), height


def province_map(counts: dict[str, int]) -> dict:
    """What the map template draws: each province with its name, count and shade."""
    shapes, height = province_shapes()
    language = (get_language() or "fr")[:2]
    top = max(counts.values(), default=0)
    provinces = []
    for shape in shapes:
        count = counts.get(shape.code, 0)
        shade = EMPTY if not count else SHADES[min(4, math.ceil(count / top * 5) - 1)]
        provinces.append(
            {
                "code": shape.code,
                "name": shape.names.get(language) or shape.names.get("fr", shape.code),
                "count": count,
                "path": shape.path,
                "fill": shade,
                "dark": shade in SHADES[3:],
                "label_x": round(shape.label_x, 1),
                "label_y": round(shape.label_y, 1),
            }
        )
    return {"width": WIDTH, "height": round(height, 1), "provinces": provinces, "top": top}
