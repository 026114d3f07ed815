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

        scheduler.add_job(
            run,
            "interval",
            seconds=job.interval.total_seconds(),
            id=job.name,
            max_instances=1,
            coalesce=True,
        )
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
    work to do; quiet firings are skipped, which changes nothing they would have done."""

    def __init__(
        self,
        jobs: Sequence[Job],
        clock: ManualClock,
        after_each: Callable[[], Awaitable[object]],
    ) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self.after_each = after_each

    async def advance(self, delta: timedelta) -> int:
        until = self.clock.now() + delta
        fired = 0
        last: dict[str, datetime] = {}
        while True:
            firings: list[tuple[datetime, str, Job]] = []
            for job in self.jobs:
                due = job.next_due()
                if due is None:
                    continue
                earliest = max(due, self.clock.now())
                if job.name in last:  # an interval job fires at most once per interval
                    earliest = max(earliest, last[job.name] + job.interval)
                at = _next_tick(earliest, job.interval)
                if at <= until:
                    firings.append((at, job.name, job))
            if not firings:
                break
            at = min(f[0] for f in firings)
            self.clock.set(at)
            for _at, name, job in sorted(f for f in firings if f[0] == at):
                last[name] = at
                fired += job.run()
            await self.after_each()
        self.clock.set(until)
        await self.after_each()
        return fired
