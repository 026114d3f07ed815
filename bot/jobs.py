"""Scheduled jobs: plain functions around the casework sweeps. The scheduler (APScheduler in
production, ``VirtualScheduler`` in the simulator) only decides when they run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from casework.clock import Clock
from casework.outbox import post
from casework.sweeps import expire_dialogs, next_dialog_expiry
from handlers.notifications import render
from handlers.turn import Services
from storage.db import SessionFactory, transaction

__all__ = ["Job", "build_jobs"]


@dataclass(frozen=True)
class Job:
    name: str
    interval: timedelta
    run: Callable[[], int]  # does the work due at the clock's now; returns how much it did
    next_due: Callable[[], datetime | None]  # earliest instant it will have work, if any


def build_jobs(sessions: SessionFactory, services: Services, clock: Clock) -> list[Job]:
    zone = services.casework.calendar.zone
    office = services.directory.office_name

    def expire() -> int:
        with transaction(sessions) as session:
            now = clock.now()
            events = expire_dialogs(session, now)
            for event in events:
                for message in render(event, zone, office):
                    post(session, now, message)
            return len(events)

    def expire_due() -> datetime | None:
        with transaction(sessions) as session:
            return next_dialog_expiry(session)

    return [Job("expire_dialogs", timedelta(minutes=1), expire, expire_due)]
