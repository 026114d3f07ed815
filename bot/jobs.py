"""Scheduled jobs: plain functions around the casework sweeps. The scheduler (APScheduler in
production, ``VirtualScheduler`` in the simulator) only decides when they run.

- ``sweep`` every minute: idle dialogs, reminders and escalations, surveys.
- ``lookback`` on the month's first working day at 09:00: cases open over 60 days, to the
  office.
- ``duty`` on the month's first working day at 09:00: the duty reminder to each deputy who
  did not do last month's duties (casework.duties), naming what; the list of them to the
  office.
- ``calendar`` every day at 09:00: tells the office once a year when a year's holiday
  schedule is unknown (from 1 December for the next year).
- ``receptions`` every day at 09:00: the reminder of a reception day to its deputies, on the
  last working day before it.
- ``stars`` on 31 December at 10:00: the year's 履职之星 (top N of each level) to the office.
- ``digest`` on the month's first working day at 09:00: last month's hometown suggestions to each
  station's deputies and the county's to the office (汇总报送).
- ``retention`` every day at 03:00: sent outbox rows older than the county's
  ``outbox_retention_days`` (default 90) move to ``outbox_archive``; stored Telegram
  updates handled more than 7 days ago are deleted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from casework.calendar import WorkingCalendar
from casework.calendar_notice import calendar_notice
from casework.clock import Clock
from casework.outbox import archive_sent, post
from casework.suggestion_digest import monthly_digests
from casework.sweeps import (
    claim_period,
    duty_reminders,
    expire_dialogs,
    fire_alarms,
    lookback,
    next_alarm_firing,
    next_dialog_expiry,
    next_survey_firing,
    run_surveys,
)
from handlers.duty import stars_message
from handlers.notifications import render
from handlers.receptions import due_reminder_messages
from handlers.suggestion_messages import render_suggestion_event
from handlers.turn import Services
from storage.db import SessionFactory, transaction

__all__ = ["Job", "build_jobs", "next_day_at", "next_month_start"]


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[], int]  # does the work due at the clock's now; returns how much it did
    # Interval jobs: run every ``interval``; ``next_due`` tells the simulator when the
    # next run will have work (so it can skip the idle minutes).
    interval: timedelta | None = None
    next_due: Callable[[], datetime | None] | None = None
    # Calendar jobs: APScheduler cron fields, and the same rule as a function for the
    # simulator (the first firing strictly after an instant).
    cron: dict[str, int] | None = None
    next_fire: Callable[[datetime], datetime] | None = None


def next_month_start(after: datetime, zone, at: time = time(9, 0)) -> datetime:
    """The first 1st-of-month at ``at`` (local) strictly after ``after``."""
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date().replace(day=1), at, tzinfo=zone)
    if candidate <= local:
        first = local.date().replace(day=1)
        year, month = (first.year + 1, 1) if first.month == 12 else (first.year, first.month + 1)
        candidate = datetime.combine(first.replace(year=year, month=month), at, tzinfo=zone)
    return candidate.astimezone(after.tzinfo)


def next_first_working_day(
    after: datetime, calendar: WorkingCalendar, at: time = time(9, 0)
) -> datetime:
    """The first working day of a month at ``at`` (local), strictly after ``after``: the
    monthly jobs never speak on New Year's Day, Labour Day or National Day."""
    zone = calendar.zone
    start = next_month_start(after, zone, at).astimezone(zone)
    local = after.astimezone(zone)
    this_month = datetime.combine(local.date().replace(day=1), at, tzinfo=zone)
    for first in (this_month, start):
        day = first.date()
        while not calendar.is_working_day(day):
            day += timedelta(days=1)
        candidate = datetime.combine(day, at, tzinfo=zone)
        if candidate > local:
            return candidate.astimezone(after.tzinfo)
    raise AssertionError("unreachable: next month's first working day is after ``after``")


def next_day_at(after: datetime, zone, at: time = time(9, 0)) -> datetime:
    """The first ``at`` (local) strictly after ``after``."""
    local = after.astimezone(zone)
    candidate = datetime.combine(local.date(), at, tzinfo=zone)
    if candidate <= local:
        candidate = datetime.combine(local.date() + timedelta(days=1), at, tzinfo=zone)
    return candidate.astimezone(after.tzinfo)


def build_jobs(sessions: SessionFactory, services: Services, clock: Clock) -> list[Job]:
    cw = services.casework
    zone = cw.calendar.zone
    office = services.directory.office_name

    def deliver(session, events) -> int:
        now = clock.now()
        known: dict[str, list[tuple[str, str]]] = {}  # nothing binds a chat during a sweep
        for event in events:
            for message in render(event, zone, office, now=now):
                post(session, now, message, known)
        return len(events)

    def sweep() -> int:
        with transaction(sessions) as session:
            now = clock.now()
            events = expire_dialogs(cw, session, now)
            events += fire_alarms(cw, session, now)
            events += run_surveys(cw, session, now)
            return deliver(session, events)

    def sweep_due() -> datetime | None:
        with transaction(sessions) as session:
            now = clock.now()
            times = [
                next_dialog_expiry(session),
                next_alarm_firing(cw, session, now),
                next_survey_firing(cw, session, now),
            ]
        return min((t for t in times if t is not None), default=None)

    def on_working_day() -> bool:
        # The monthly jobs run at 09:00 on the month's early working days; the period claim
        # makes the first of them the one that speaks (or the next, after an outage). Past
        # the 10th (National Day's week is the longest holiday) a new install stays quiet.
        today = clock.now().astimezone(zone).date()
        return today.day <= 10 and cw.calendar.is_working_day(today)

    def period() -> str:
        return clock.now().astimezone(zone).strftime("%Y-%m")

    def monthly_lookback() -> int:
        if not on_working_day():
            return 0
        with transaction(sessions) as session:
            return deliver(session, lookback(cw, session, clock.now(), period()))

    def monthly_duty() -> int:
        if not on_working_day():
            return 0
        with transaction(sessions) as session:
            return deliver(session, duty_reminders(session, clock.now(), period(), zone))

    def monthly_digest() -> int:
        if not on_working_day():
            return 0
        with transaction(sessions) as session:
            now = clock.now()
            events = monthly_digests(session, now, zone)
            for event in events:
                for message in render_suggestion_event(event):
                    post(session, now, message)
            return len(events)

    def first_of_month(after: datetime) -> datetime:
        return next_first_working_day(after, cw.calendar)

    def yearly_calendar() -> int:
        with transaction(sessions) as session:
            return deliver(session, calendar_notice(cw, session, clock.now()))

    def next_morning(after: datetime) -> datetime:
        return next_day_at(after, zone)

    def year_end_stars() -> int:
        with transaction(sessions) as session:
            now = clock.now()
            year = now.astimezone(zone).year
            if not claim_period(session, "stars", str(year), now):
                return 0
            post(session, now, stars_message(session, year, zone, now))
            return 1

    def next_new_years_eve(after: datetime) -> datetime:
        local = after.astimezone(zone)
        candidate = datetime(local.year, 12, 31, 10, 0, tzinfo=zone)
        if candidate <= local:
            candidate = datetime(local.year + 1, 12, 31, 10, 0, tzinfo=zone)
        return candidate.astimezone(after.tzinfo)

    def reception_reminders() -> int:
        with transaction(sessions) as session:
            now = clock.now()
            messages = due_reminder_messages(session, cw.calendar, now)
            for message in messages:
                post(session, now, message)
            return len(messages)

    def outbox_retention() -> int:
        """Sent rows past the county's retention, to the archive, and handled webhook
        updates past a week, deleted; a bounded batch a time."""
        from bot.channels.telegram.stored import purge_handled

        moved = 0
        for step in (
            lambda session: archive_sent(session, clock.now(), cw.sla.outbox_retention_days),
            lambda session: purge_handled(session, clock.now()),
        ):
            while True:
                with transaction(sessions) as session:
                    batch = step(session)
                moved += batch
                if not batch:
                    break
        return moved

    def night(after: datetime) -> datetime:
        return next_day_at(after, zone, time(3, 0))

    monthly = {"hour": 9, "minute": 0}  # every day; on_working_day and the claim pick one
    daily = {"hour": 9, "minute": 0}
    year_end = {"month": 12, "day": 31, "hour": 10, "minute": 0}
    return [
        Job("sweep", sweep, interval=timedelta(minutes=1), next_due=sweep_due),
        Job("lookback", monthly_lookback, cron=monthly, next_fire=first_of_month),
        Job("duty", monthly_duty, cron=monthly, next_fire=first_of_month),
        Job("calendar", yearly_calendar, cron={"hour": 9, "minute": 0}, next_fire=next_morning),
        Job("digest", monthly_digest, cron=monthly, next_fire=first_of_month),
        Job("receptions", reception_reminders, cron=daily, next_fire=next_morning),
        Job("stars", year_end_stars, cron=year_end, next_fire=next_new_years_eve),
        Job("retention", outbox_retention, cron={"hour": 3, "minute": 0}, next_fire=night),
    ]
