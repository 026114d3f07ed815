"""The jobs on their schedules: APScheduler in the worker, the virtual scheduler in the
simulator (which runs exactly the firings of an interval, in time order)."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.jobs import next_month_start
from bot.scheduler import start_scheduler
from bot.simulator import Simulation
from casework.clock import ManualClock
from tests.conftest import make_app
from tests.test_time_limits import SHANGHAI, at


async def test_the_worker_schedules_a_minute_sweep_three_monthly_jobs_and_two_daily_ones(app):
    scheduler = start_scheduler(app.jobs, "Asia/Shanghai")
    try:
        jobs = {job.id: job.trigger for job in scheduler.get_jobs()}
        assert set(jobs) == {
            "sweep", "lookback", "duty", "digest", "calendar", "receptions", "stars", "retention"
        }  # fmt: skip
        assert isinstance(jobs["sweep"], IntervalTrigger)
        assert jobs["sweep"].interval == timedelta(minutes=1)
        assert isinstance(jobs["lookback"], CronTrigger)
        # Monthly jobs wake at 09:00 every day and speak on the month's first working day
        # (the period claim keeps it once): see the simulation below.
        fire = jobs["lookback"].get_next_fire_time(None, at("2026-11-23T10:00"))
        assert fire == at("2026-11-24T09:00")
        retention = jobs["retention"].get_next_fire_time(None, at("2026-11-23T09:00"))
        assert retention == at("2026-11-24T03:00")
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)


def test_next_month_start_matches_the_cron_rule():
    assert next_month_start(at("2026-11-23T09:00"), SHANGHAI) == at("2026-12-01T09:00")
    assert next_month_start(at("2026-12-01T09:00"), SHANGHAI) == at("2027-01-01T09:00")
    assert next_month_start(at("2026-12-01T08:59"), SHANGHAI) == at("2026-12-01T09:00")


async def test_a_month_of_simulation_sends_lookback_and_duty_on_the_first_working_day(
    sqlite_url: str, tmp_path: Path
):
    clock = ManualClock(at("2026-09-14T10:00"))
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    await sim.say("resident:a", "东岭村的路灯坏了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D001", "受理 YS-2026-000001")  # accepted, never resolved
    sent = await sim.advance("50d")  # to 3 November
    office = [s for s in sent if s.chat_id == "office" and s.text.startswith("【回头看】")]
    # Not on National Day (1–7 October) nor on Sunday 1 November: on the first working day.
    # 8 October: the case is 24 days old; 2 November: 49 days. Neither is over 60 days.
    assert [(s.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), s.text) for s in office] == [
        ("10-08 09:00", "【回头看】本月没有超过60天仍未办结的工单。"),
        ("11-02 09:00", "【回头看】本月没有超过60天仍未办结的工单。"),
    ]
    duty = [s for s in sent if s.text.startswith("【履职提醒】")]
    assert len(duty) == 2 * 31  # every bound deputy, each month
    assert all(s.at.astimezone(SHANGHAI).hour == 9 for s in duty)

    later = await sim.advance("30d")  # 1 December: 78 days old
    lookback = [s for s in later if s.text.startswith("【回头看】")]
    assert "超过60天仍未办结的工单（1件）" in lookback[0].text
    assert "YS-2026-000001" in lookback[0].text and "承办：莫小兰" in lookback[0].text
    app.engine.dispose()


async def test_a_second_scheduler_does_not_repeat_a_monthly_job(sqlite_url, tmp_path):
    clock = ManualClock(at("2026-12-01T09:00"))
    first = make_app(sqlite_url, tmp_path, clock)
    second = make_app(sqlite_url, tmp_path, clock)
    Simulation.attach(first, clock)
    runs = [next(j for j in app.jobs if j.name == "duty").run() for app in (first, second)]
    assert runs == [32, 0]  # 31 deputies and the office list
    first.engine.dispose()
    second.engine.dispose()


def test_the_monthly_jobs_wait_for_the_first_working_day_of_the_month():
    """1 January, 1 May and 1 October are holidays: the digest, the duty reminder and the
    look-back speak on the first working day after them, never on the holiday."""
    from bot.jobs import next_first_working_day
    from casework.calendar import WorkingCalendar

    calendar = WorkingCalendar.from_county(SHANGHAI, None)
    assert next_first_working_day(at("2026-11-23T09:00"), calendar) == at("2026-12-01T09:00")
    # 2026: 1–3 May and 1–7 October are the holidays (chinese-calendar's schedule).
    assert next_first_working_day(at("2026-04-20T09:00"), calendar) == at("2026-05-06T09:00")
    assert next_first_working_day(at("2026-09-30T09:00"), calendar) == at("2026-10-08T09:00")
    # Still ahead in this month: this month's.
    assert next_first_working_day(at("2026-10-02T12:00"), calendar) == at("2026-10-08T09:00")
