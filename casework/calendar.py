"""China's working-day calendar, 调休 make-up days included, from ``chinese-calendar``.

The package carries the State Council's published schedule; a year it does not know yet
(each year's schedule is published in the preceding November or December) falls back to
Monday–Friday, and says so once in the log, rather than refusing to compute a deadline.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = ["WorkingCalendar"]

log = logging.getLogger(__name__)


class WorkingCalendar:
    def __init__(self, zone: ZoneInfo) -> None:
        self.zone = zone
        self._warned: set[int] = set()

    def is_working_day(self, day: date) -> bool:
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "no official holiday schedule for %s yet; using Monday-Friday", day.year
                )
            return day.weekday() < 5

    def add_working_days(self, start: datetime, days: int) -> datetime:
        """The instant ``days`` working days after ``start``: the same local time of day on the
        ``days``-th following working day (a limit of 1 working day given on Friday 15:00 is
        due on Monday 15:00, or on the make-up Saturday if there is one)."""
        local = start.astimezone(self.zone)
        day = local.date()
        remaining = days
        while remaining > 0:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)
