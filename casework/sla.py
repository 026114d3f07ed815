"""Time limits (DESIGN.md §6): when a case must be accepted and first answered."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from casework.calendar import WorkingCalendar

__all__ = ["DueTimes", "SlaPolicy"]


def _default_answer_days() -> dict[str, int]:
    # Guangdong 12345 rules (2022): 咨询 2 working days, 求助/建议 10, 投诉/举报 15.
    return {"咨询": 2, "求助": 10, "建议": 10, "投诉": 15, "举报": 15}


@dataclass(frozen=True)
class DueTimes:
    accept_by: datetime
    answer_by: datetime


@dataclass(frozen=True)
class SlaPolicy:
    accept_working_days: int = 1
    urgent_accept_within: timedelta = timedelta(hours=2)
    answer_working_days: dict[str, int] = field(default_factory=_default_answer_days)
    # "Same day" for urgent cases; one reported late at night still gets a few hours.
    urgent_answer_min: timedelta = timedelta(hours=4)

    def due_times(
        self, calendar: WorkingCalendar, created: datetime, *, urgent: bool, request_type: str
    ) -> DueTimes:
        if urgent:
            local = created.astimezone(calendar.zone)
            end_of_day = datetime.combine(local.date(), time(23, 59), tzinfo=calendar.zone)
            answer_by = max(end_of_day.astimezone(created.tzinfo), created + self.urgent_answer_min)
            return DueTimes(created + self.urgent_accept_within, answer_by)
        days = self.answer_working_days.get(request_type, self.answer_working_days["求助"])
        return DueTimes(
            calendar.add_working_days(created, self.accept_working_days),
            calendar.add_working_days(created, days),
        )
