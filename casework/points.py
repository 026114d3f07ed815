"""履职积分: computed from the ledger (case events, receptions, 社情民意, suggestion answers)
into one ``PointsEntry`` per ledger row and deputy, by calendar year (each year starts at 0).

``sync`` recomputes a year and brings the stored entries to exactly that (inserting,
correcting, deleting), so recomputing from scratch always gives the same rows and totals.

Case events, replayed per case in ledger order:

- 按时签收: ``accepted`` not marked 逾期签收, to who accepted;
- 按时答复: the first ``answered``/``resolved`` of a round before any 答复时限 reminder or
  escalation of that round (and, in the current round, before the answer limit);
- 办结且满意: ``rated`` 基本满意 or better, to who resolved the round;
- 不满意重办: ``reopened``, to who resolved the round before;
- 逾期通报: ``escalated_office`` that is a 通报, to whoever held the case then;
- 代录: ``submitted`` by a deputy.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.duty_rules import DEFAULT_POINTS
from storage.models import (
    Case,
    CaseEvent,
    County,
    Deputy,
    Observation,
    PointsEntry,
    Reception,
    Station,
    Suggestion,
    SuggestionEvent,
)

__all__ = ["Entry", "Standing", "compute", "rules_of", "standing", "sync", "totals"]

_SATISFIED = ("非常满意", "满意", "基本满意")
_ACTS = ("accepted", "answered", "transferred", "resolved", "reassigned")


@dataclass(frozen=True)
class Entry:
    deputy_code: str
    source: str
    at: datetime
    rule: str
    reason: str
    case_id: int | None = None


def rules_of(session: Session) -> dict[str, int]:
    county = session.scalars(select(County)).first()
    return {**DEFAULT_POINTS, **((county.points if county else None) or {})}


def _deputy(actor: str) -> str | None:
    return actor.removeprefix("deputy:") if actor.startswith("deputy:") else None


def _case_entries(case: Case, events: list[CaseEvent]) -> list[Entry]:
    out: list[Entry] = []
    late = answered = False
    resolver: str | None = None
    holder: str | None = None
    for e in events:
        who = _deputy(e.actor)
        key = f"case_event:{e.id}"

        def add(deputy: str | None, rule: str, why: str, e: CaseEvent = e, key: str = key) -> None:
            if deputy:
                out.append(Entry(deputy, key, e.at, rule, f"{why} {case.ticket}", case.id))

        if e.kind == "reopened":
            add(resolver, "不满意重办", "群众不满意，重新办理")
            late = answered = False
            resolver = None
            continue
        if e.kind in ("reminded", "escalated_head", "escalated_office") and (
            "答复时限已" in e.note or "超过答复时限" in e.note
        ):
            late = True
        if e.kind == "escalated_office" and "通报" in e.note and "重新办理" not in e.note:
            add(holder or case.deputy_code, "逾期通报", "逾期被通报")
        if e.kind == "submitted" and who:
            add(who, "代录", "代录群众反映")
        if e.kind == "accepted" and who and e.note != "逾期签收":
            add(who, "按时签收", "按时签收")
        if e.kind in ("answered", "resolved") and who and not answered:
            answered = True
            current = _round(events, e) == case.round
            overdue = current and case.answer_due_at is not None and e.at > case.answer_due_at
            if not late and not overdue:
                add(who, "按时答复", "按时答复")
        if e.kind == "resolved" and who:
            resolver = who
        if e.kind == "rated" and e.note in _SATISFIED:
            add(resolver, "办结且满意", f"办结且群众{e.note}")
        if e.kind in _ACTS and who:
            holder = who
    return out


def _round(events: list[CaseEvent], target: CaseEvent) -> int:
    """The round ``target`` belongs to: reopenings before it."""
    n = 0
    for e in events:
        if e is target:
            return n
        if e.kind == "reopened":
            n += 1
    return n


def _year_span(year: int, zone) -> tuple[datetime, datetime]:
    return (
        datetime.combine(date(year, 1, 1), time(0), tzinfo=zone),
        datetime.combine(date(year + 1, 1, 1), time(0), tzinfo=zone),
    )


def compute(session: Session, year: int, zone, now: datetime) -> list[Entry]:
    """The entries ``year`` implies, from the ledger alone (whatever rule is set to 0 too)."""
    start, end = _year_span(year, zone)
    out: list[Entry] = []
    case_ids = select(CaseEvent.case_id).where(CaseEvent.at >= start, CaseEvent.at < end)
    by_case: dict[int, list[CaseEvent]] = defaultdict(list)
    for e in session.scalars(
        select(CaseEvent).where(CaseEvent.case_id.in_(case_ids)).order_by(CaseEvent.id)
    ):
        by_case[e.case_id].append(e)
    for case_id, events in by_case.items():
        case = session.get(Case, case_id)
        assert case is not None
        out += [x for x in _case_entries(case, events) if start <= x.at < end]
    today = now.astimezone(zone).date()
    for r in session.scalars(
        select(Reception).where(Reception.day >= start.date(), Reception.day < end.date())
    ):
        if r.day > today:
            continue  # not held yet
        at = datetime.combine(r.day, time.fromisoformat(r.starts), tzinfo=zone)
        station = session.get(Station, r.station_code)
        label = station.name if station else r.station_code
        for code in r.deputies:
            why = f"进站接待 {label} {r.day.month}月{r.day.day}日"
            out.append(Entry(code, f"reception:{r.id}", at, "接待", why))
    for o in session.scalars(
        select(Observation).where(Observation.created_at >= start, Observation.created_at < end)
    ):
        why = f"报送社情民意（{o.category}）"
        out.append(Entry(o.deputy_code, f"observation:{o.id}", o.created_at, "社情民意", why))
    for e, number in session.execute(
        select(SuggestionEvent, Suggestion.number)
        .join(Suggestion, Suggestion.id == SuggestionEvent.suggestion_id)
        .where(SuggestionEvent.kind == "answered", SuggestionEvent.at >= start)
        .where(SuggestionEvent.at < end)
    ):
        who = _deputy(e.actor)
        if who:
            out.append(
                Entry(who, f"suggestion_event:{e.id}", e.at, "建议答复", f"答复建议 {number}")
            )
    known = set(session.scalars(select(Deputy.code)))
    return [x for x in out if x.deputy_code in known]


def sync(session: Session, year: int, zone, now: datetime) -> dict[str, int]:
    """Store exactly the entries ``year`` implies under the county's rules; the totals."""
    rules = rules_of(session)
    wanted = {
        (x.source, x.deputy_code): x for x in compute(session, year, zone, now) if rules[x.rule]
    }
    stored = {
        (row.source, row.deputy_code): row
        for row in session.scalars(select(PointsEntry).where(PointsEntry.year == year))
    }
    stale = [row.id for key, row in stored.items() if key not in wanted]
    if stale:
        session.execute(delete(PointsEntry).where(PointsEntry.id.in_(stale)))
    for key, x in wanted.items():
        row = stored.get(key)
        values = {"at": x.at, "rule": x.rule, "delta": rules[x.rule], "reason": x.reason}
        if row is None:
            session.add(
                PointsEntry(deputy_code=x.deputy_code, year=year, source=x.source,
                            case_id=x.case_id, **values)
            )  # fmt: skip
        else:
            for name, value in values.items():
                if getattr(row, name) != value:
                    setattr(row, name, value)
    session.flush()
    return totals(session, year)


def totals(session: Session, year: int) -> dict[str, int]:
    """Every deputy's total for ``year`` (0 for those with no entry)."""
    result = dict.fromkeys(session.scalars(select(Deputy.code).order_by(Deputy.code)), 0)
    for code, delta in session.execute(
        select(PointsEntry.deputy_code, PointsEntry.delta).where(PointsEntry.year == year)
    ):
        result[code] = result.get(code, 0) + delta
    return result


def _rank(total: int, others: list[int]) -> int:
    return 1 + sum(1 for t in others if t > total)


@dataclass(frozen=True)
class Standing:
    total: int
    station: Station | None
    station_rank: int
    station_size: int
    county_rank: int
    county_size: int
    recent: list[PointsEntry]


def standing(session: Session, deputy: Deputy, year: int, all_totals: dict[str, int]) -> Standing:
    total = all_totals.get(deputy.code, 0)
    station = deputy.stations[0] if deputy.stations else None
    peers = [all_totals.get(d.code, 0) for d in station.deputies] if station else [total]
    recent = list(
        session.scalars(
            select(PointsEntry)
            .where(PointsEntry.year == year, PointsEntry.deputy_code == deputy.code)
            .order_by(PointsEntry.at.desc(), PointsEntry.id.desc())
            .limit(5)
        )
    )
    return Standing(
        total, station, _rank(total, peers), len(peers),
        _rank(total, list(all_totals.values())), len(all_totals), recent,
    )  # fmt: skip
