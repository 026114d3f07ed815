"""The office's figures (DESIGN.md §1): 办结率, 按时办结率, 回复率, 满意率 with 参评率 beside it,
over the cases received in a month, per deputy, station and category and in total.

Each rate is a fraction whose parts are kept (``Rate``), so a report can say how it was
computed. The figures are taken *as of* a moment: an open case whose answer limit has passed
by then can no longer be resolved on time, so it counts against 按时办结率.

- 办结率 = cases 办结 now / cases received
- 按时办结率 = cases 办结 within the answer limit / (cases 办结 + open cases past the limit)
- 回复率 = cases answered or 办结 / cases received
- 满意率 = rated 基本满意 or better / rated (未评价 is never counted as satisfied)
- 参评率 = rated / cases 办结 now (each round is rated on its own: a reopened case's old
  score does not count)
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.overdue import past_answer_limit
from storage.models import Case

__all__ = ["RATE_RULES", "Figures", "Rate", "cases_of_month", "figures", "grouped", "on_time"]

RESOLVED = ("resolved", "rated", "closed")
SATISFIED = (3, 4, 5)  # 基本满意 and better; 未评价 never counts as satisfied

# How each rate is computed, in words for the report.
RATE_RULES = {
    "办结率": "办结数 ÷ 受理数",
    "按时办结率": "在答复时限内办结的件数 ÷（办结数 + 已超时限仍未办结的件数）",
    "回复率": "已答复或已办结的件数 ÷ 受理数",
    "满意率": "评价为基本满意及以上的件数 ÷ 已评价件数（未评价不计为满意）",
    "参评率": "已评价件数 ÷ 办结数（重新办理的工单按本轮评价计）",
}


@dataclass(frozen=True)
class Rate:
    part: int
    whole: int

    @property
    def value(self) -> float | None:
        """None where the whole is 0: shown as —, never as 0 % or 100 %."""
        return self.part / self.whole if self.whole else None

    def __str__(self) -> str:
        value = self.value
        return "—" if value is None else f"{value * 100:.1f}%（{self.part}/{self.whole}）"


def on_time(case: Case) -> bool | None:
    """True: 办结 within the answer limit; False: late; None: not 办结 (yet)."""
    if case.status not in RESOLVED or case.resolved_at is None:
        return None
    return case.answer_due_at is None or case.resolved_at <= case.answer_due_at


@dataclass(frozen=True)
class Figures:
    cases: int
    resolved: int  # 办结 now (a reopened case is not)
    on_time: int
    overdue_open: int  # open, answer limit passed: can no longer be on time
    answered: int
    rated: int
    satisfied: int
    urgent: int = 0

    @property
    def resolution_rate(self) -> Rate:  # 办结率
        return Rate(self.resolved, self.cases)

    @property
    def on_time_rate(self) -> Rate:  # 按时办结率
        return Rate(self.on_time, self.resolved + self.overdue_open)

    @property
    def reply_rate(self) -> Rate:  # 回复率
        return Rate(self.answered, self.cases)

    @property
    def satisfaction_rate(self) -> Rate:  # 满意率, over rated cases
        return Rate(self.satisfied, self.rated)

    @property
    def response_rate(self) -> Rate:  # 参评率: rated among the cases 办结 now
        return Rate(self.rated, self.resolved)


def figures(cases: Iterable[Case], now: datetime) -> Figures:
    total = resolved = in_time = overdue = answered = rated = satisfied = urgent = 0
    for case in cases:
        kinds = {e.kind for e in case.events}
        total += 1
        urgent += bool(case.urgent)
        timely = on_time(case)
        if timely is not None:
            resolved += 1
            in_time += timely
        elif past_answer_limit(case, now):
            overdue += 1
        answered += bool(kinds & {"answered", "resolved"})
        if case.rating is not None and case.status in RESOLVED:
            rated += 1
            satisfied += case.rating in SATISFIED
    return Figures(total, resolved, in_time, overdue, answered, rated, satisfied, urgent)


def grouped(cases: list[Case], key: Callable[[Case], str], now: datetime) -> dict[str, Figures]:
    groups: dict[str, list[Case]] = {}
    for case in cases:
        groups.setdefault(key(case), []).append(case)
    return {name: figures(items, now) for name, items in sorted(groups.items())}


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
