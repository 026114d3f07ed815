"""The monthly digest of hometown suggestions (每月汇总报送) and the suggestion figures.

On the 1st at 09:00 (``bot.jobs``), claimed per month like the other monthly jobs: each
station's deputies with a bound chat (and the deputy a group was bound to) get that
station's digest of the month before: the month's suggestions, repeats counted as supports,
and the older ones still without an answer. The office gets the county's. What enters a
digest for the first time moves to ``in_digest`` and its author is told.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.suggestion_events import (
    DigestItem,
    DigestPrepared,
    SuggestionDigested,
    SuggestionEvent,
)
from casework.suggestions import RESULTS, TRANSITIONS, supporters
from casework.sweeps import claim_period
from storage.models import ChatIdentity, HometownGroup, Station, Suggestion
from storage.models import SuggestionEvent as LedgerRow

__all__ = [
    "StationFigures",
    "month_bounds",
    "monthly_digests",
    "previous_month",
    "station_digest",
    "suggestion_figures",
]


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) of a YYYY-MM month in local time."""
    year, number = (int(part) for part in month.split("-"))
    start = datetime.combine(date(year, number, 1), time(0), tzinfo=zone)
    following = date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)
    return start, datetime.combine(following, time(0), tzinfo=zone)


def previous_month(now: datetime, zone: ZoneInfo) -> str:
    local = now.astimezone(zone).date().replace(day=1)
    year, month = (local.year - 1, 12) if local.month == 1 else (local.year, local.month - 1)
    return f"{year:04d}-{month:02d}"


def _originals(session: Session, station_code: str | None):
    query = select(Suggestion).where(
        Suggestion.hidden_at.is_(None), Suggestion.merged_into_id.is_(None)
    )
    if station_code is not None:
        query = query.where(Suggestion.station_code == station_code)
    return query


def station_digest(
    session: Session,
    station: Station | None,
    month: str,
    zone: ZoneInfo,
    recipients: tuple[str, ...] = (),
    note: str = "",
) -> DigestPrepared:
    """A station's digest of ``month`` (the county's when ``station`` is None); read-only."""
    start, end = month_bounds(month, zone)
    code = station.code if station is not None else None
    new = session.scalars(
        _originals(session, code)
        .where(Suggestion.created_at >= start, Suggestion.created_at < end)
        .order_by(Suggestion.category, Suggestion.id)
    ).all()
    earlier = session.scalars(
        _originals(session, code)
        .where(
            Suggestion.created_at < start,
            Suggestion.status.in_(("collected", "in_digest")),
        )
        .order_by(Suggestion.id)
    ).all()
    return DigestPrepared(
        station,
        month,
        tuple(DigestItem(s, supporters(s)) for s in new),
        tuple(DigestItem(s, supporters(s)) for s in earlier),
        recipients,
        note,
    )


def _deputies_of(session: Session, station: Station) -> tuple[str, ...]:
    """The station's deputies and the deputies its groups were bound to, with a chat."""
    codes = {d.code for d in station.deputies}
    codes |= set(
        session.scalars(
            select(HometownGroup.deputy_code).where(
                HometownGroup.station_code == station.code, HometownGroup.deputy_code.is_not(None)
            )
        )
    )
    bound = set(
        session.scalars(
            select(ChatIdentity.deputy_code).where(
                ChatIdentity.role == "deputy", ChatIdentity.deputy_code.in_(codes)
            )
        )
    )
    return tuple(f"deputy:{code}" for code in sorted(codes & bound))


def monthly_digests(session: Session, now: datetime, zone: ZoneInfo) -> list[SuggestionEvent]:
    """The digests of last month, once per month whatever the number of schedulers.

    Hidden suggestions never count; a suggestion moves to ``in_digest`` (and its author is
    told) the first time a digest lists it."""
    month = previous_month(now, zone)
    if not claim_period(session, "suggestion_digest", month, now):
        return []
    stations = session.scalars(
        select(Station)
        .where(
            Station.code.in_(select(Suggestion.station_code).where(Suggestion.hidden_at.is_(None)))
        )
        .order_by(Station.code)
    ).all()
    if not stations:  # a county without hometown groups hears nothing about them
        return []
    events: list[SuggestionEvent] = []
    reached: dict[int, Suggestion] = {}
    for station in stations:
        recipients = _deputies_of(session, station)
        note = ""
        if not recipients:
            recipients, note = ("office",), "该站代表均未绑定聊天账号，请代为转交。"
        digest = station_digest(session, station, month, zone, recipients, note)
        if not digest.new and not digest.earlier:
            continue
        events.append(digest)
        for item in (*digest.new, *digest.earlier):
            reached.setdefault(item.suggestion.id, item.suggestion)
    events.append(station_digest(session, None, month, zone, ("office",)))
    for suggestion in reached.values():
        if suggestion.status != "collected":
            continue
        suggestion.status = TRANSITIONS[("collected", "digest")]
        suggestion.digested_at = now
        suggestion.events.append(
            LedgerRow(
                at=now, kind="digested", actor="system", status_after=suggestion.status,
                note=month,
            )
        )  # fmt: skip
        author = suggestion.author_identity
        if author is not None and not author.group_only:
            events.append(SuggestionDigested(suggestion, (author,)))
    return events


# --- figures ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class StationFigures:
    station: str
    suggestions: int  # originals received in the month (repeats are supports)
    answered: int  # with a result code, or turned into a case
    results: dict[str, int]  # A/B/C/D
    adopted: int

    @property
    def answer_rate(self) -> float | None:  # 答复率
        return self.answered / self.suggestions if self.suggestions else None


def suggestion_figures(session: Session, month: str, zone: ZoneInfo) -> list[StationFigures]:
    """答复率 and the A/B/C/D split of the month's suggestions, per station, then 合计."""
    start, end = month_bounds(month, zone)
    rows = session.scalars(
        _originals(session, None)
        .where(Suggestion.created_at >= start, Suggestion.created_at < end)
        .order_by(Suggestion.station_code, Suggestion.id)
    ).all()
    per: dict[str, list[Suggestion]] = {}
    for row in rows:
        per.setdefault(row.station.name, []).append(row)

    def figures(name: str, items: list[Suggestion]) -> StationFigures:
        results = {code: sum(1 for s in items if s.result == code) for code in RESULTS}
        adopted = sum(1 for s in items if s.case_id is not None)
        answered = sum(1 for s in items if s.result is not None or s.case_id is not None)
        return StationFigures(name, len(items), answered, results, adopted)

    table = [figures(name, items) for name, items in per.items()]
    return [*table, figures("合计", list(rows))]
