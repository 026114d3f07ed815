"""Running the jobs: APScheduler 3.11 in the worker, a virtual scheduler in the simulator.

One scheduler process only (APScheduler 3 cannot share a job store); job bodies claim
their rows atomically anyway, so an accidental second scheduler sends nothing twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.jobs import Job
from casework.clock import ManualClock

__all__ = ["VirtualScheduler", "start_scheduler"]

log = logging.getLogger(__name__)


def start_scheduler(jobs: Sequence[Job], zone: str) -> AsyncIOScheduler:
    """Start APScheduler on the running event loop; job bodies run in threads (they block)."""
    scheduler = AsyncIOScheduler(timezone=zone)
    for job in jobs:

        async def run(job: Job = job) -> None:
            try:
                await asyncio.to_thread(job.run)
            except Exception:
                log.exception("job %s failed", job.name)

        if job.interval is not None:
            trigger: dict = {"trigger": "interval", "seconds": job.interval.total_seconds()}
        else:
            trigger = {"trigger": "cron", **(job.cron or {})}
        scheduler.add_job(run, id=job.name, max_instances=1, coalesce=True, **trigger)
    scheduler.start()
    return scheduler


def _next_tick(instant: datetime, interval: timedelta) -> datetime:
    """The first firing of an interval job at or after ``instant`` (ticks on the epoch grid)."""
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    step = interval.total_seconds()
    elapsed = (instant - epoch).total_seconds()
    ticks = -(-elapsed // step)  # ceiling
    return epoch + timedelta(seconds=ticks * step)


class VirtualScheduler:
    """Moves a ManualClock and runs, in time order, exactly the firings that would have had
    work to do; quiet firings of interval jobs are skipped, which changes nothing they
    would have done. Calendar jobs fire at every one of their instants."""

    def __init__(
        self,
        jobs: Sequence[Job],
        clock: ManualClock,
        after_each: Callable[[], Awaitable[object]],
    ) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.after_each = after_each
        self._last: dict[str, datetime] = {}

    def _next_firing(self, job: Job) -> datetime | None:
        now = self.clock.now()
        last = self._last.get(job.name)
        if job.next_fire is not None:
            return job.next_fire(last if last is not None and last >= now else now)
        assert job.interval is not None and job.next_due is not None
        due = job.next_due()
        if due is None:
            return None
        earliest = max(due, now)
        if last is not None:  # an interval job fires at most once per interval
            earliest = max(earliest, last + job.interval)
        return _next_tick(earliest, job.interval)

    async def advance(self, delta: timedelta) -> int:
        until = self.clock.now() + delta
        fired = 0
        while True:
            firings = [(self._next_firing(job), job) for job in self.jobs]
            due = [(at, job) for at, job in firings if at is not None and at <= until]
            if not due:
                break
            at = min(at for at, _ in due)
            self.clock.set(at)
            for when, job in due:
                if when == at:
                    self._last[job.name] = at
                    fired += job.run()
            await self.after_each()
        self.clock.set(until)
        await self.after_each()
        return fired
