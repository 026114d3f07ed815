"""The county as the conversation needs it: lookups built once from the database.

Rebuilt after a county import (``CountyDirectory.load``; running processes follow the
county's revision through ``casework.live_county``); cheap for a county's size.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.geo import GridLocator
from nlp.places import Gazetteer
from nlp.similarity import Places
from storage.models import County, Deputy, Grid, Station, Township

__all__ = ["CountyDirectory", "EntryPoint"]


@dataclass(frozen=True)
class EntryPoint:
    """Where a resident came in from (QR code / deep link): a station or a deputy."""

    code: str
    kind: str  # "station" | "deputy"
    name: str
    station_code: str | None
    grid_codes: tuple[str, ...]


@dataclass(frozen=True)
class CountyDirectory:
    county_code: str
    county_name: str
    office_name: str
    gazetteer: Gazetteer
    locator: GridLocator
    townships: tuple[tuple[str, str], ...]  # (code, name) in the county file's order
    grids_by_township: dict[str, tuple[tuple[str, str], ...]]  # township → (grid code, name)
    entry_points: dict[str, EntryPoint]
    places: Places  # grids and townships, for telling whether two texts name one place
    revision: int = 0  # the county's revision this was built from

    @classmethod
    def load(cls, session: Session) -> CountyDirectory:
        county = session.scalars(select(County).order_by(County.code)).first()
        grids = session.scalars(select(Grid).order_by(Grid.code)).all()
        stations = session.scalars(select(Station).order_by(Station.code)).all()
        deputies = session.scalars(select(Deputy).order_by(Deputy.code)).all()
        townships = session.scalars(
            select(Township).order_by(Township.position, Township.code)
        ).all()
        places = [(place, grid.code) for grid in grids for place in [grid.name, *grid.places]]
        by_township: dict[str, list[tuple[str, str]]] = {}
        for grid in grids:
            by_township.setdefault(grid.station.township_code, []).append((grid.code, grid.name))
        entries: dict[str, EntryPoint] = {}
        for station in stations:
            codes = tuple(g.code for g in station.grids)
            entries[station.code] = EntryPoint(
                station.code, "station", station.name, station.code, codes
            )
        for deputy in deputies:
            home = deputy.stations[0].code if deputy.stations else None
            codes = tuple(g.code for g in deputy.grids)
            entries[deputy.code] = EntryPoint(deputy.code, "deputy", deputy.name, home, codes)
        gazetteer = Gazetteer(places)
        return cls(
            county_code=county.code if county else "XX",
            county_name=county.name if county else "",
            office_name=county.office_name if county else "人大常委会代表工委",
            gazetteer=gazetteer,
            locator=GridLocator((g.code, g.polygon) for g in grids if g.polygon),
            townships=tuple((t.code, t.name) for t in townships if t.code in by_township),
            grids_by_township={k: tuple(v) for k, v in by_township.items()},
            entry_points=entries,
            revision=county.revision if county else 0,
            places=Places(
                grids=gazetteer,
                townships=Gazetteer((t.name, t.code) for t in townships),
                township_of={g.code: g.station.township_code for g in grids},
            ),
        )

    @property
    def empty(self) -> bool:
        """No county imported yet (or one without a single grid)."""
        return not self.grids_by_township

    def entry_point(self, payload: str | None) -> EntryPoint | None:
        """The station or deputy a deep-link / QR payload names, or None if unknown."""
        if not payload:
            return None
        return self.entry_points.get(payload.strip())
