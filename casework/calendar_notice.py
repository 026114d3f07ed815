"""The office keeps the calendar current: from 1 December, if next year's holiday schedule is
known neither to ``chinese-calendar`` nor to the county file, the office is told once (and
so for the current year, if a year starts without one)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session

from casework.cases import Casework
from casework.events import CalendarUnknown, Event
from casework.sweeps import claim_period

__all__ = ["calendar_notice", "year_to_check"]


def year_to_check(day: date) -> int:
    """December looks ahead to next year; the other months check their own."""
    return day.year + 1 if day.month == 12 else day.year


def calendar_notice(cw: Casework, session: Session, now: datetime) -> list[Event]:
    """Once per year (claimed like the monthly jobs), on a working day."""
    local = now.astimezone(cw.calendar.zone)
    if not cw.calendar.is_working_day(local.date()):
        return []
    year = year_to_check(local.date())
    if cw.calendar.knows(year) or not claim_period(session, "calendar", str(year), now):
        return []
    return [CalendarUnknown(year)]
