"""Time limits that hold (DESIGN.md §6): reminders at 75% and at the limit, the station head
one working day late, the office five working days late — on China's working-day calendar,
only between 08:00 and 21:00, each sent once even with two workers."""

from __future__ import annotations

import asyncio
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.simulator import Simulation
from casework.clock import ManualClock
from storage.db import transaction
from storage.models import Case, CaseAlarm, CaseEvent, OutboxMessage
from tests.conftest import make_app

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


async def submit(sim: Simulation, text: str) -> None:
    await sim.say("resident:a", text)
    await sim.say("resident:a", "确认提交")


def alerts(sent, *prefixes: str) -> list[tuple[str, str, str]]:
    """(local time, recipient, headline) of reminders and escalations."""
    return [
        (s.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), s.chat_id, s.text.split("工单")[0])
        for s in sent
        if s.text.startswith(prefixes or ("【提醒】", "【督办】", "【通报】"))
    ]


@pytest.fixture
def national_day(sqlite_url: str, tmp_path: Path):
    """The sample county, the clock on Wednesday 30 September 2026, 10:00, before the
    National Day holiday (1–7 October off; Saturday 10 October a make-up working day)."""
    clock = ManualClock(at("2026-09-30T10:00"))
    app = make_app(sqlite_url, tmp_path, clock)
    yield Simulation.attach(app, clock)
    app.engine.dispose()


async def test_an_untouched_case_climbs_reminder_head_office_across_national_day(national_day):
    sim = national_day
    # 农业农村 in 东岭村 goes to 黎建国 (D002); the station head is 莫小兰 (D001).
    await submit(sim, "东岭村的水渠堵了，农田灌溉不了")
    with transaction(sim.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.deputy_code == "D002"
        # 签收: 1 working day → Thursday 8 October; 答复 (求助): 10 → Tuesday 20 October,
        # counting the make-up Saturday 10 October.
        assert case.accept_due_at == at("2026-10-08T10:00")
        assert case.answer_due_at == at("2026-10-20T10:00")

    sent = await sim.advance("30d")
    assert alerts(sent) == [
        # 75% of the acceptance window in working time: of its 24 working hours (14 on
        # 30 September, 10 on 8 October) 18 have passed at 04:00 on 8 October; the
        # reminder waits for 08:00. Nothing falls in the holiday (it fell on 6 October when
        # measured in calendar time).
        ("10-08 08:00", "deputy:D002", "【提醒】"),
        ("10-08 10:00", "deputy:D002", "【提醒】"),  # the acceptance limit
        ("10-09 10:00", "deputy:D001", "【督办】"),  # +1 working day: the station head
        ("10-14 10:00", "office", "【通报】"),  # +5 working days (9, 10 Sat, 12, 13, 14)
        # 75% of the answer window's 240 working hours: 22:00 on 15 October → 08:00 on 16th.
        ("10-16 08:00", "deputy:D002", "【提醒】"),
        ("10-20 10:00", "deputy:D002", "【提醒】"),  # the answer limit
        ("10-21 10:00", "deputy:D001", "【督办】"),
        ("10-27 10:00", "office", "【通报】"),
    ]
    with transaction(sim.app.sessions) as session:
        kinds = [e.kind for e in session.scalars(select(Case)).one().events]
    assert kinds.count("reminded") == 4
    assert kinds.count("escalated_head") == 2 and kinds.count("escalated_office") == 2


async def test_accepting_and_answering_stops_the_reminders_and_late_acceptance_is_recorded(
    national_day,
):
    sim = national_day
    await submit(sim, "东岭村的水渠堵了，农田灌溉不了")
    sent = await sim.advance("9d")  # to 9 October 10:00: the head has been told
    assert [a[1] for a in alerts(sent)] == ["deputy:D002", "deputy:D002", "deputy:D001"]
    accepted = await sim.say("deputy:D002", "受理 YS-2026-000001")
    assert "已超过签收时限，已记录" in accepted[-1].text
    await sim.say("deputy:D002", "回复 YS-2026-000001 已联系水利站清淤")
    later = await sim.advance("30d")
    assert alerts(later) == []
    with transaction(sim.app.sessions) as session:
        accepted_event = [
            e for e in session.scalars(select(Case)).one().events if e.kind == "accepted"
        ]
    assert accepted_event[0].note == "逾期签收"


async def test_no_reminder_is_sent_between_21_00_and_08_00(sqlite_url: str, tmp_path: Path):
    clock = ManualClock(at("2026-11-23T20:30"))
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    await submit(sim, "东岭村停电了，整条街都黑了")  # urgent: accept within 2 hours (22:30)
    sent = await sim.advance("3d")
    times = [(s.at.astimezone(SHANGHAI), s.text[:4]) for s in sent if s.text.startswith("【")]
    assert times, "the urgent case must be chased"
    assert all(8 <= t.hour < 21 for t, _ in times), times
    # What fell due at night (22:00, 22:30, 23:59) went out at 08:00 the next morning.
    assert times[0][0] == at("2026-11-24T08:00")
    app.engine.dispose()


async def test_two_workers_send_each_reminder_once(db_url: str, tmp_path: Path):
    """Two schedulers on one database, every step of both limits of 12 untouched cases:
    each alarm fires once, and no chat gets a row that repeats an earlier row's case and
    text. (The "360 repeated rows" of issue 11 were not double sends: the deputy who heads
    the station was told the identical "已超过…时限，已报代表工委督办" at the head step and
    again at the office step of each limit.)"""
    clock = ManualClock(at("2026-11-23T09:00"))
    first = make_app(db_url, tmp_path, clock)
    second = make_app(db_url, tmp_path, clock)
    sim = Simulation.attach(first, clock)
    for i in range(12):
        # Lamps go to 莫小兰 (D001), who heads the station; canals to 黎建国 (D002).
        text = f"东岭村{i}号路灯坏了" if i % 2 else f"东岭村{i}组的水渠堵了，农田灌溉不了"
        await sim.say(f"resident:r{i}", text)
        await sim.say(f"resident:r{i}", "确认提交")
    sweeps = [next(j for j in app.jobs if j.name == "sweep").run for app in (first, second)]
    with transaction(first.sessions) as session:
        instants = sorted(set(session.scalars(select(CaseAlarm.due_at))))
    for instant in instants:  # each alarm at its own time, both workers at the same moment
        clock.set(instant)
        for _ in range(2):
            await asyncio.gather(*(asyncio.to_thread(run) for run in sweeps))
    with transaction(first.sessions) as session:
        statuses = session.scalars(select(CaseAlarm.status)).all()
        ledger = [e.kind for e in session.scalars(select(CaseEvent))]
        rows = session.execute(
            select(OutboxMessage.recipient, OutboxMessage.case_id, OutboxMessage.text).order_by(
                OutboxMessage.id
            )
        ).all()
    assert statuses == ["fired"] * 12 * 8
    assert ledger.count("reminded") == 12 * 4
    assert ledger.count("escalated_head") + ledger.count("escalated_office") == 12 * 4
    assert len(set(rows)) == len(rows)  # no row repeats another's recipient, case and text
    office = "阳朔县人大常委会代表工作委员会"
    told = [t for r, _, t in rows if r == "deputy:D001" and "工单 YS-2026-000002 已超过" in t]
    assert [t.removeprefix("工单 YS-2026-000002 已超过") for t in told] == [
        f"签收时限1个工作日，已报{office}督办，请尽快办理。",
        f"签收时限5个工作日，{office}已通报，请尽快办理。",
        f"答复时限1个工作日，已报{office}督办，请尽快办理。",
        f"答复时限5个工作日，{office}已通报，请尽快办理。",
    ]
    first.engine.dispose()
    second.engine.dispose()


def county_with(tmp_path: Path, sla: str) -> Path:
    from bot.bootstrap import SAMPLE_COUNTY

    path = tmp_path / "county.yaml"
    path.write_text(SAMPLE_COUNTY.read_text("utf-8") + sla, "utf-8")
    return path


async def test_a_county_sets_its_own_limits_and_reminder_hours(tmp_path: Path):
    from bot.bootstrap import build_app
    from tests.conftest import make_settings

    sla = "sla: {answer_working_days: {求助: 5}, reminders_from: '09:30', accept_working_days: 2}\n"
    clock = ManualClock(at("2026-11-23T09:00"))
    settings = make_settings(f"sqlite:///{tmp_path / 'sla.sqlite3'}", tmp_path)
    app = build_app(settings, clock, county_file=county_with(tmp_path, sla))
    sim = Simulation.attach(app, clock)
    await submit(sim, "东岭村的路灯坏了")
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.accept_due_at == at("2026-11-25T09:00")  # 2 working days
        assert case.answer_due_at == at("2026-11-30T09:00")  # 5 working days
    sent = await sim.advance("3d")
    # 75% of the acceptance window is Tuesday 21:00 and the limit Wednesday 09:00: both
    # wait for the county's reminder hours, which start at 09:30, and then say where things
    # stand in one message: the limit has passed.
    reminders = [s for s in sent if s.text.startswith("【提醒】")]
    assert alerts(reminders) == [("11-25 09:30", "deputy:D001", "【提醒】")]
    assert "已超过签收时限（11月25日（周三）09:00到期）" in reminders[0].text
    app.engine.dispose()


def test_a_county_file_with_an_unknown_limit_is_refused(tmp_path: Path):
    from casework.sla import SlaPolicy
    from nlp.classifier import DEFAULT_CATEGORIES
    from storage.county_file import CountyFileError, load_county_file

    path = county_with(tmp_path, "sla: {answer_days: 3}\n")
    line = path.read_text("utf-8").splitlines().index("sla: {answer_days: 3}") + 1
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, DEFAULT_CATEGORIES, SlaPolicy.from_overrides)
    assert refused.value.errors == [f"第{line}行：sla 设置有误：unknown sla settings: answer_days"]
