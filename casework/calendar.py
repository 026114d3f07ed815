"""China's working-day calendar, 调休 make-up days included, from ``chinese-calendar``.

The package carries the State Council's published schedule. A county may list dates in its
county file (``calendar: {holidays: […], workdays: […]}``); those override the package, so an
office can enter next year's schedule the day it is published, before the package knows it.
A year neither knows falls back to Monday–Friday without the holidays fixed by the
《全国年节及纪念日放假办法》 that need no lunar calendar (元旦 1 January, 清明 on its solar
term, 劳动节 1–2 May, 国庆节 1–3 October), and says so once in the log (``logging``, never
stdout), rather than refusing to compute a deadline. 春节, 端午 and 中秋 follow the lunar
calendar, and the 调休 days are decided each year: those wait for the published schedule
(the office is told, ``handlers.reminders``).

"Working time" is the time of working days: the span from a moment to the same moment
``n`` working days later holds ``n`` × 24 hours of it. Reminders fall at working *moments*:
a working day, inside the county's reminder hours.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

__all__ = ["WorkingCalendar", "package_knows"]

log = logging.getLogger(__name__)

# No real schedule has a year without a working day; the bound only stops a loop over a
# county calendar that lists every day as a holiday.
_SEARCH_DAYS = 3 * 366


def package_knows(year: int) -> bool:
    """Whether the installed ``chinese-calendar`` carries ``year``'s official schedule."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


# (month, day) of the statutory holidays on fixed dates (2024 revision, in force 2025).
_FIXED = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


@functools.cache
def _fixed_holidays(year: int) -> frozenset[date]:
    """The statutory holidays of ``year`` that need no lunar calendar: the fixed dates and
    清明 (the day of its solar term)."""
    days = {date(year, month, day) for month, day in _FIXED}
    try:
        terms = chinese_calendar.get_solar_terms(date(year, 4, 1), date(year, 4, 10))
    except Exception:  # outside the package's astronomical tables: the fixed dates only
        terms = []
    days.update(day for day, name in terms if name == "清明")
    return frozenset(days)


class WorkingCalendar:
    def __init__(
        self,
        zone: ZoneInfo,
        *,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
    ) -> None:
        self.zone = zone
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        both = self.holidays & self.workdays
        if both:
            raise ValueError(f"dates listed as both holiday and workday: {sorted(both)}")
        self._county_years = {d.year for d in self.holidays | self.workdays}
        self._warned: set[int] = set()
        # chinese-calendar scans its whole schedule on every call (the years it covers): a
        # case's deadlines and alarms ask about some 70 days. The answers cannot change for
        # this calendar (both date lists are frozen, the package's schedule is installed);
        # the days asked about span a few years, a few thousand entries at most.
        self._working: dict[date, bool] = {}

    @classmethod
    def from_county(cls, zone: ZoneInfo, calendar: dict | None) -> WorkingCalendar:
        """The calendar with a county's stored ``calendar:`` section (ISO date strings)."""
        calendar = calendar or {}
        return cls(
            zone,
            holidays=(date.fromisoformat(d) for d in calendar.get("holidays") or ()),
            workdays=(date.fromisoformat(d) for d in calendar.get("workdays") or ()),
        )

    def knows(self, year: int) -> bool:
        """Whether ``year``'s schedule is known: to the package, or listed by the county."""
        return year in self._county_years or package_knows(year)

    def is_working_day(self, day: date) -> bool:
        known = self._working.get(day)
        if known is None:
            known = self._working[day] = self._is_working_day(day)
        return known

    def _is_working_day(self, day: date) -> bool:
        if day in self.holidays:
            return False
        if day in self.workdays:
            return True
        try:
            return bool(chinese_calendar.is_workday(day))
        except NotImplementedError:
            if day.year not in self._county_years and day.year not in self._warned:
                self._warned.add(day.year)
                log.warning(
                    "no official holiday schedule for %s yet; using Monday-Friday without"
                    " the fixed-date holidays",
                    day.year,
                )
            return day.weekday() < 5 and day not in _fixed_holidays(day.year)

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

    # --- working time ---------------------------------------------------------------------

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.zone)

    def working_time(self, start: datetime, end: datetime) -> timedelta:
        """How much of ``[start, end)`` lies on working days."""
        total = timedelta()
        cursor = start.astimezone(self.zone)
        end = end.astimezone(self.zone)
        while cursor < end:
            day_end = self._midnight(cursor.date() + timedelta(days=1))
            if self.is_working_day(cursor.date()):
                total += min(day_end, end) - cursor
            cursor = day_end
        return total

    def add_working_time(self, start: datetime, amount: timedelta) -> datetime:
        """The instant by which ``amount`` of working time has passed since ``start``."""
        cursor = start.astimezone(self.zone)
        remaining = amount
        for _ in range(_SEARCH_DAYS):
            day_end = self._midnight(cursor.date() + timedelta(days=1))
            if self.is_working_day(cursor.date()):
                if remaining <= day_end - cursor:
                    return (cursor + remaining).astimezone(start.tzinfo)
                remaining -= day_end - cursor
            cursor = day_end
        raise ValueError("no working day within three years")

    def is_working_moment(self, instant: datetime, opens: time, closes: time) -> bool:
        """On a working day and within ``[opens, closes)`` local time."""
        local = instant.astimezone(self.zone)
        return self.is_working_day(local.date()) and opens <= local.time() < closes

    def next_working_moment(self, instant: datetime, opens: time, closes: time) -> datetime:
        """``instant`` if it is a working moment, else the next ``opens`` of a working day
        (21:30 on the eve of National Day → 08:00 on 8 October, not on 1 October)."""
        if self.is_working_moment(instant, opens, closes):
            return instant
        local = instant.astimezone(self.zone)
        day = local.date()
        if not (self.is_working_day(day) and local.time() < opens):
            day += timedelta(days=1)
            for _ in range(_SEARCH_DAYS):
                if self.is_working_day(day):
                    break
                day += timedelta(days=1)
            else:
                raise ValueError("no working day within three years")
        return datetime.combine(day, opens, tzinfo=self.zone).astimezone(instant.tzinfo)
