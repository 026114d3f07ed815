"""Posters for every entry point of the county: one per station, one per deputy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import select

from storage.db import SessionFactory, transaction
from storage.models import County, Deputy, Station

__all__ = ["entry_posters", "write_posters"]

SUBTITLE = "扫码反映问题 · 人大代表为您办"


def entry_posters(
    sessions: SessionFactory, link: Callable[[str], str], code: str | None
) -> dict[str, object]:
    """Code → Poster for the station or deputy ``code``, or for all of them."""
    from office.qr_posters import Poster

    with transaction(sessions) as session:
        county = session.scalars(select(County)).first()
        footer = county.office_name if county else ""
        posters: dict[str, object] = {}
        for station in session.scalars(select(Station).order_by(Station.code)):
            if code in (None, station.code):
                posters[station.code] = Poster(station.name, SUBTITLE, link(station.code), footer)
        for deputy in session.scalars(select(Deputy).order_by(Deputy.code)):
            if code not in (None, deputy.code):
                continue
            home = deputy.stations[0].name if deputy.stations else (county.name if county else "")
            posters[deputy.code] = Poster(
                f"{deputy.name} 代表", f"{home} · {SUBTITLE}", link(deputy.code), footer
            )
    if code is not None and code not in posters:
        raise LookupError(f"no station or deputy with the code {code}")
    return posters


def write_posters(posters: dict[str, object], output: Path, *, many: bool) -> list[Path]:
    try:
        from office.qr_posters import PosterFontError, poster_filename, save_poster
    except ImportError:
        raise RuntimeError("posters need the extra: pip install 'grid-intake[posters]'") from None
    try:
        if not many:
            (poster,) = posters.values()
            return [save_poster(poster, output)]  # type: ignore[arg-type]
        output.mkdir(parents=True, exist_ok=True)
        return [save_poster(p, output / poster_filename(c)) for c, p in posters.items()]  # type: ignore[arg-type]
    except PosterFontError as error:
        raise RuntimeError(str(error)) from None
