"""Who takes a case (DESIGN.md §5): grid deputies, then a thematic station, then the head,
then the office; expertise first, then the fewest open cases."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session, joinedload

from casework.directory import EntryPoint
from casework.lifecycle import Status
from storage.models import PARTIAL, Case, Deputy, Grid, Station

__all__ = ["OPEN_STATUSES", "Assignment", "choose_deputy", "grid_for_routing", "open_case_counts"]

OPEN_STATUSES = (
    Status.SUBMITTED,
    Status.ASSIGNED,
    Status.ACCEPTED,
    Status.TRANSFERRED,
    Status.ANSWERED,
    Status.REOPENED,
)


@dataclass(frozen=True)
class Assignment:
    deputy: Deputy | None
    station_code: str | None
    reason: str  # shown in the ledger: why this deputy (or why the office)


# Built once: every submission asks it (building a statement and its cache key costs about
# as much as running it on SQLite).
_OPEN_COUNTS = (
    select(Case.deputy_code, func.count())
    .where(
        Case.deputy_code.in_(bindparam("codes", expanding=True)),
        # The partial index of open cases, its predicate as literal SQL: else SQLite
        # would walk every case the deputy ever had.
        text("cases." + PARTIAL["case_open"]),
    )
    .group_by(Case.deputy_code)
)


def open_case_counts(session: Session, codes: Sequence[str]) -> dict[str, int]:
    rows = session.execute(_OPEN_COUNTS, {"codes": list(codes)})
    counts = dict.fromkeys(codes, 0)
    counts.update({code: n for code, n in rows})
    return counts


def _pick(session: Session, deputies: Sequence[Deputy], category: str) -> tuple[Deputy, bool]:
    """Expertise match first; among equals the fewest open cases; then the code."""
    experts = [d for d in deputies if category in (d.expertise or [])]
    pool = experts or list(deputies)
    load = open_case_counts(session, [d.code for d in pool])
    return min(pool, key=lambda d: (load[d.code], d.code)), bool(experts)


def grid_for_routing(session: Session, code: str | None) -> Grid | None:
    """The grid with what routing and a case's card read of it (its station and deputies),
    in one query; the identity map answers again for it while the caller holds it."""
    if not code:
        return None
    return session.get(Grid, code, options=(joinedload(Grid.station), joinedload(Grid.deputies)))


def choose_deputy(
    session: Session, *, grid_code: str | None, category: str, entry: EntryPoint | None
) -> Assignment:
    grid = grid_for_routing(session, grid_code)
    station_code = grid.station_code if grid else (entry.station_code if entry else None)

    if entry is not None and entry.kind == "deputy":
        deputy = session.get(Deputy, entry.code)
        if deputy is not None:
            return Assignment(deputy, station_code, "居民通过代表本人二维码反映，直接交办该代表")

    if grid is not None and grid.deputies:
        deputy, expert = _pick(session, grid.deputies, category)
        why = f"{grid.name}网格代表" + ("，专业领域与问题类别相符" if expert else "")
        return Assignment(deputy, station_code, why)

    thematic = session.scalars(
        select(Station).where(Station.kind == "thematic").order_by(Station.code)
    ).all()
    for station in thematic:
        if category in (station.topics or []) and station.deputies:
            deputy, _ = _pick(session, station.deputies, category)
            why = f"网格无代表，由{station.name}（专题：{category}）承接"
            return Assignment(deputy, station.code, why)

    station = session.get(Station, station_code) if station_code else None
    if station is not None and station.heads:
        deputy, _ = _pick(session, station.heads, category)
        return Assignment(deputy, station.code, f"网格无对口代表，由{station.name}站长承接")

    return Assignment(None, station_code, "未找到对口代表，转代表工委人工交办")
