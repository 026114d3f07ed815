"""The office's figures (DESIGN.md §1): 办结率, 按时办结率, 回复率, 满意率 with 参评率 beside it,
over the cases received in a month, per deputy, station, category and in total."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Case

__all__ = ["Figures", "cases_of_month", "figures", "grouped"]

RESOLVED = ("resolved", "rated", "closed")
SATISFIED = (3, 4, 5)  # 基本满意 and better; 未评价 never counts as satisfied


@dataclass(frozen=True)
class Figures:
    cases: int
    resolved: int  # 办结 now (a reopened case is not)
    on_time: int
    answered: int
    ever_resolved: int  # reached 办结 at least once: those asked for a rating
    rated: int
    satisfied: int

    @staticmethod
    def _rate(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def resolution_rate(self) -> float | None:  # 办结率
        return self._rate(self.resolved, self.cases)

    @property
    def on_time_rate(self) -> float | None:  # 按时办结率
        return self._rate(self.on_time, self.resolved)

    @property
    def reply_rate(self) -> float | None:  # 回复率
        return self._rate(self.answered, self.cases)

    @property
    def satisfaction_rate(self) -> float | None:  # 满意率, over rated cases
        return self._rate(self.satisfied, self.rated)

    @property
    def response_rate(self) -> float | None:  # 参评率: rated among those asked to rate
        return self._rate(self.rated, self.ever_resolved)


def figures(cases: Iterable[Case]) -> Figures:
    total = resolved = on_time = answered = ever_resolved = rated = satisfied = 0
    for case in cases:
        kinds = {e.kind for e in case.events}
        total += 1
        if case.status in RESOLVED:
            resolved += 1
            if case.resolved_at and case.answer_due_at and case.resolved_at <= case.answer_due_at:
                on_time += 1
        answered += bool(kinds & {"answered", "resolved"})
        ever_resolved += "resolved" in kinds
        if case.rating is not None:
            rated += 1
            satisfied += case.rating in SATISFIED
    return Figures(total, resolved, on_time, answered, ever_resolved, rated, satisfied)


def grouped(cases: list[Case], key: Callable[[Case], str]) -> dict[str, Figures]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return {name: figures(items) for name, items in sorted(groups.items())}


def month_bounds(month: str, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """Local month ``YYYY-MM`` as [start, end) instants; ValueError when malformed."""
    year, number = (int(part) for part in month.split("-"))
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    return (
        datetime.combine(start, time(0), tzinfo=zone),
        datetime.combine(end, time(0), tzinfo=zone),
    )


def cases_of_month(session: Session, month: str, zone: ZoneInfo) -> list[Case]:
    """Cases received in the month, withdrawn ones left out."""
    start, end = month_bounds(month, zone)
    return list(
        session.scalars(
            select(Case)
            .where(Case.created_at >= start, Case.created_at < end, Case.status != "cancelled")
            .order_by(Case.id)
        )
    )
