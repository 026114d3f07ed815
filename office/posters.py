"""Posters for every entry point of the county: one per station, one per deputy.

A station's poster says, besides its code, where the station is, when deputies receive
residents, its phone and the deputies who sit there: a person without the app still knows
where to go. Its main code comes first (WeChat in mainland China); ``also`` adds smaller
codes of other channels (Telegram now, QQ when it lands)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select

from storage.db import SessionFactory, transaction
from storage.models import County, Deputy, Station

__all__ = ["entry_posters", "station_details", "write_posters"]

SUBTITLE = "扫码反映问题 · 人大代表为您办"
_NAMES_ON_A_POSTER = 12


def station_details(station: Station) -> tuple[str, ...]:
    lines = []
    if station.address:
        lines.append(f"地址：{station.address}")
    if station.hours:
        lines.append(f"接待时间：{station.hours}")
    if station.phone:
        lines.append(f"电话：{station.phone}")
    names = [d.name for d in station.deputies]
    if names:
        shown = "、".join(names[:_NAMES_ON_A_POSTER])
        more = f"等{len(names)}位" if len(names) > _NAMES_ON_A_POSTER else ""
        lines.append(f"驻站代表：{shown}{more}")
    return tuple(lines)


def entry_posters(
    sessions: SessionFactory,
    link: Callable[[str], str],
    code: str | None,
    *,
    channel: str = "",
    also: Sequence[tuple[str, Callable[[str], str]]] = (),
) -> dict[str, object]:
    """Code → Poster for the station or deputy ``code``, or for all of them. ``channel``
    names the main code's app in the subtitle (微信); ``also``: (label, link) of further codes."""
    from office.qr_posters import Poster

    subtitle = f"{channel}{SUBTITLE}"

    def extra(scene: str) -> tuple[tuple[str, str], ...]:
        return tuple((label, other(scene)) for label, other in also)

    with transaction(sessions) as session:
        county = session.scalars(select(County)).first()
        footer = county.office_name if county else ""
        posters: dict[str, object] = {}
        for station in session.scalars(select(Station).order_by(Station.code)):
            if code in (None, station.code):
                posters[station.code] = Poster(
                    station.name,
                    subtitle,
                    link(station.code),
                    footer,
                    details=station_details(station),
                    also=extra(station.code),
                )
        for deputy in session.scalars(select(Deputy).order_by(Deputy.code)):
            if code not in (None, deputy.code):
                continue
            home = deputy.stations[0].name if deputy.stations else (county.name if county else "")
            where = station_details(deputy.stations[0])[:2] if deputy.stations else ()
            posters[deputy.code] = Poster(
                f"{deputy.name} 代表",
                f"{home} · {subtitle}",
                link(deputy.code),
                footer,
                details=where,
                also=extra(deputy.code),
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
