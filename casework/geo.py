"""Point-in-polygon lookup of grids through shapely's STRtree (no loop over all grids)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from shapely import STRtree
from shapely.geometry import Point, Polygon

__all__ = ["GridLocator"]


class GridLocator:
    def __init__(self, polygons: Iterable[tuple[str, Sequence[Sequence[float]]]]) -> None:
        """``polygons``: (grid code, ring of [lon, lat]) pairs, GeoJSON order."""
        self._codes: list[str] = []
        shapes: list[Polygon] = []
        for code, ring in polygons:
            if ring and len(ring) >= 3:
                self._codes.append(code)
                shapes.append(Polygon([(float(lon), float(lat)) for lon, lat in ring]))
        self._tree = STRtree(shapes)

    def grid_at(self, latitude: float, longitude: float) -> str | None:
        """The grid containing the point, or None; the first by code if polygons overlap."""
        hits = self._tree.query(Point(longitude, latitude), predicate="within")
        codes = sorted(self._codes[i] for i in hits)
        return codes[0] if codes else None

    def __len__(self) -> int:
        return len(self._codes)
