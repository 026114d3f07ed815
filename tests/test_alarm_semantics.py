"""What reminders say and when (issue 11 item 6, issue 12 items 2, 6, 8, 13, 16): after an
outage overdue alarms wait for 08:00 and say the current state once; each notice is worded
for its limit and named by its step; the resident hears once per supervisor; a transferred
case is chased through its deputy and the department's contact."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.bootstrap import SAMPLE_COUNTY, build_app
from bot.channels.recording import Sent
from bot.scheduler import VirtualScheduler
from bot.simulator import Simulation
from casework.clock import ManualClock
from storage.db import transaction
from storage.models import Case
from tests.conftest import make_app, make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
OFFICE = "阳朔县人大常委会代表工作委员会"
LAMP = "东岭村的路灯坏了"  # 城乡建设 → 莫小兰 (D001), who heads 东岭片区 herself
CANAL = "东岭村的水渠堵了，农田灌溉不了"  # 农业农村 → 黎建国 (D002); his head is D001


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def when(sent: Sent) -> str:
    return sent.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M")


def to(sent: list[Sent], chat: str) -> list[Sent]:
    """What ``chat`` got about cases (not the monthly and yearly notices)."""
    return [s for s in sent if s.chat_id == chat and "YS-2026-" in s.text]


def about_cases(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if "YS-2026-" in s.text]


@pytest.fixture
def sim(sqlite_url: str, tmp_path: Path):
    clock = ManualClock(at("2026-11-23T09:00"))  # Monday
    app = make_app(sqlite_url, tmp_path, clock)
    yield Simulation.attach(app, clock)
    app.engine.dispose()


async def submit(sim: Simulation, resident: str, text: str) -> None:
    await sim.say(resident, text)
    await sim.say(resident, "确认提交")


def sweep(sim: Simulation):
    return next(j for j in sim.app.jobs if j.name == "sweep")


# --- quiet hours after an outage ----------------------------------------------------------------


async def test_overdue_alarms_after_an_outage_wait_for_8_and_say_the_current_state_once(sim):
    await submit(sim, "resident:a", LAMP)  # YS-2026-000001, D001
    await submit(sim, "resident:b", CANAL)  # YS-2026-000002, D002
    # The worker was down from Monday 09:00: the 75% (Tuesday 08:00) and the limit
    # (Tuesday 09:00) of both acceptances are overdue when it restarts at 04:50 on Wednesday.
    sim.clock.set(at("2026-11-25T04:50"))
    assert sweep(sim).run() == 0  # nothing is sent at 04:50
    assert sweep(sim).next_due() == at("2026-11-25T08:00")  # and the simulator knows when

    sent = await sim.advance("4h")  # to 08:50
    reminders = [s for s in sent if s.text.startswith("【")]
    assert [(when(s), s.chat_id) for s in reminders] == [
        ("11-25 08:00", "deputy:D001"),
        ("11-25 08:00", "deputy:D002"),
    ]
    for reminder in reminders:  # one message each, saying the limit has passed
        assert "已超过签收时限（11月24日（周二）09:00到期），请尽快签收。" in reminder.text
        assert "即将到期" not in reminder.text
        assert reminder.choices == ("受理",)


async def test_a_reminder_weeks_late_is_not_sent_the_escalations_say_where_things_stand(sim):
    await submit(sim, "resident:b", CANAL)
    sim.clock.set(at("2026-12-28T04:00"))  # every step of both limits is overdue
    sent = about_cases(await sim.advance("5h"))
    assert {when(s) for s in sent} == {"12-28 08:00"}
    assert not [s for s in sent if s.text.startswith("【提醒】")]  # no stale "将到"
    assert [s.text.split("时限")[0][-30:] for s in to(sent, "deputy:D001")] == [
        "【督办】工单 YS-2026-000001 已超过签收",
        "【督办】工单 YS-2026-000001 已超过答复",
    ]
    assert [s.text.split("\n")[0] for s in to(sent, "office")] == [
        "【通报】工单 YS-2026-000001 已超过签收时限5个工作日，承办代表：黎建国。",
        "【通报】工单 YS-2026-000001 已超过答复时限5个工作日，承办代表：黎建国。",
    ]
    # The deputy hears once per limit, the latest step; the resident once in all.
    assert [s.text for s in to(sent, "deputy:D002")] == [
        f"工单 YS-2026-000001 已超过签收时限5个工作日，{OFFICE}已通报，请尽快办理。",
        f"工单 YS-2026-000001 已超过答复时限5个工作日，{OFFICE}已通报，请尽快办理。",
    ]
    assert [s.text for s in to(sent, "resident:b")] == [
        f"工单 YS-2026-000001：您反映的问题未能在时限内签收，已报{OFFICE}督办，"
        "我们会继续跟进并及时告知您进展。"
    ]


async def test_the_simulator_neither_spins_nor_skips_while_alarms_wait_for_the_morning(sim):
    await submit(sim, "resident:a", LAMP)
    sim.clock.set(at("2026-11-25T04:50"))
    runs: list[str] = []

    def counted(job):
        def run() -> int:
            runs.append(f"{job.name} {sim.clock.now().astimezone(SHANGHAI):%H:%M}")
            return job.run()

        return dataclasses.replace(job, run=run)

    scheduler = VirtualScheduler([counted(j) for j in sim.app.jobs], sim.clock, sim.sender.drain)
    await scheduler.advance(at("2026-11-25T08:59") - sim.clock.now())
    assert runs == ["sweep 08:00"]
    assert [when(s) for s in sim.recorder.take()] == ["11-25 08:00"]


# --- named by the step, worded for the limit ------------------------------------------------------


async def test_each_office_notice_is_named_by_its_step(sim):
    await submit(sim, "resident:a", LAMP)
    sent = to(await sim.advance("10d"), "office")
    assert [(when(s), s.text.split("\n")[0]) for s in sent] == [
        (
            "11-25 09:00",
            "【督办】工单 YS-2026-000001 已超过签收时限1个工作日，承办代表：莫小兰"
            f"（承办代表即站长）。请{OFFICE}督办。",
        ),
        ("12-01 09:00", "【通报】工单 YS-2026-000001 已超过签收时限5个工作日，承办代表：莫小兰。"),
    ]
    assert "签收时限：11月24日（周二）09:00（已逾期）" in sent[0].text  # the card says it too


async def test_reminders_are_worded_for_their_limit_and_offer_what_the_status_allows(sim):
    await submit(sim, "resident:b", CANAL)  # never accepted
    await submit(sim, "resident:c", "东岭村的灌溉水渠漏水了")  # accepted, never answered
    await sim.say("deputy:D002", "受理 YS-2026-000002")
    sent = [s for s in await sim.advance("15d") if s.text.startswith("【提醒】")]
    lines = {(s.text.split("）", 1)[1], s.choices) for s in sent}
    assert lines == {
        ("签收时限为11月24日（周二）09:00，即将到期，请尽快签收。", ("受理",)),
        ("签收时限已到（11月24日（周二）09:00），请尽快签收。", ("受理",)),
        (
            "尚未签收，答复时限为12月7日（周一）09:00，即将到期。请先签收，再尽快答复居民。",
            ("受理",),
        ),
        ("尚未签收，答复时限已到（12月7日（周一）09:00）。请先签收，再尽快答复居民。", ("受理",)),
        (
            "答复时限为12月7日（周一）09:00，即将到期，请尽快答复居民。",
            ("回复居民", "转办部门", "办结"),
        ),
        (
            "答复时限已到（12月7日（周一）09:00），请尽快答复居民。",
            ("回复居民", "转办部门", "办结"),
        ),
    }


async def test_the_resident_hears_once_per_supervisor_that_a_late_case_is_pushed(sim):
    await submit(sim, "resident:b", CANAL)
    sent = to(await sim.advance("30d"), "resident:b")
    assert [(when(s), s.text) for s in sent] == [
        (
            "11-25 09:00",  # one working day late: the station head
            "工单 YS-2026-000001：您反映的问题未能在时限内签收，"
            "已提请东岭片区人大代表联络站站长督办，我们会继续跟进并及时告知您进展。",
        ),
        (
            "12-01 09:00",  # five: the office; the answer limit's steps add nothing new
            f"工单 YS-2026-000001：您反映的问题未能在时限内签收，已报{OFFICE}督办，"
            "我们会继续跟进并及时告知您进展。",
        ),
    ]


async def test_a_late_acceptance_says_the_answer_limit_is_overdue_with_its_time(
    sqlite_url: str, tmp_path: Path
):
    clock = ManualClock(at("2026-12-03T18:40"))  # Thursday evening
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    await submit(sim, "resident:a", "请问东岭村的路灯坏了归哪个部门管？")
    with transaction(app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert (case.request_type, case.deputy_code) == ("咨询", "D001")
        assert case.answer_due_at == at("2026-12-07T18:40")  # 2 working days
    clock.set(at("2026-12-08T10:00"))
    accepted = to(await sim.say("deputy:D001", "受理 YS-2026-000001"), "deputy:D001")
    assert accepted[0].text == (
        "已签收工单 YS-2026-000001（已超过签收时限，已记录）。"
        "答复时限已于12月7日（周一）18:40到期（已逾期），请尽快答复居民。"
    )
    app.engine.dispose()


# --- transferred cases ----------------------------------------------------------------------------


async def test_a_transferred_case_is_chased_through_its_deputy_and_the_office(sim):
    await submit(sim, "resident:b", CANAL)
    await sim.say("deputy:D002", "受理 YS-2026-000001")
    await sim.say("deputy:D002", "回复 YS-2026-000001 已联系县人社局，请耐心等待")
    moved = await sim.say("deputy:D002", "转办 YS-2026-000001 县人力资源和社会保障局")
    assert [s.text.split("\n")[0] for s in to(moved, "office")] == [
        "【转办】工单 YS-2026-000001 已由黎建国代表转县人力资源和社会保障局办理，"
        "请转告县人力资源和社会保障局并跟进，结果由黎建国代表答复居民。"
    ]
    sent = about_cases(await sim.advance("30d"))
    chased = [(when(s), s.chat_id, s.text[:4]) for s in sent if s.text.startswith("【")]
    assert chased == [
        ("12-03 08:00", "deputy:D002", "【提醒】"),  # 75% of the answer limit
        ("12-03 08:00", "office", "【提醒】"),  # the office relays to the department
        ("12-07 09:00", "deputy:D002", "【提醒】"),  # the limit
        ("12-07 09:00", "office", "【提醒】"),
        ("12-08 09:00", "deputy:D001", "【督办】"),  # the station head
        ("12-08 09:00", "office", "【督办】"),  # a copy for the office to relay
        ("12-14 09:00", "office", "【通报】"),
    ]
    texts = [s.text for s in sent]
    assert (
        "【提醒】工单 YS-2026-000001（东岭村的水渠堵了，农田灌溉不了）"
        "已转办县人力资源和社会保障局，答复时限已到（12月7日（周一）09:00）。"
        "请督促县人力资源和社会保障局办理，并将结果答复居民。" in texts
    )
    assert any("转办部门：县人力资源和社会保障局" in t and "【通报】" in t for t in texts)
    assert next(s.choices for s in sent if s.chat_id == "deputy:D002") == ("回复居民", "办结")


async def test_a_case_transferred_after_its_limit_passed_is_chased_at_once(sim):
    await submit(sim, "resident:b", CANAL)
    await sim.say("deputy:D002", "受理 YS-2026-000001")
    await sim.say("deputy:D002", "回复 YS-2026-000001 正在联系相关部门")
    assert about_cases(await sim.advance("14d1h")) == []  # answered in time: nothing chased
    await sim.say("deputy:D002", "转办 YS-2026-000001 县人力资源和社会保障局")  # 12-07 10:00
    sent = about_cases(await sim.advance("2m"))
    assert [(s.chat_id, "已超过答复时限（12月7日（周一）09:00到期）" in s.text) for s in sent] == [
        ("deputy:D002", True),
        ("office", True),
    ]


async def test_a_department_with_a_contact_deputy_is_chased_through_that_deputy(tmp_path: Path):
    county = tmp_path / "county.yaml"
    county.write_text(
        SAMPLE_COUNTY.read_text("utf-8").replace(
            "name: 县人力资源和社会保障局, categories: [劳动和社会保障], contact: office",
            "name: 县人力资源和社会保障局, categories: [劳动和社会保障], contact: D005",
        ),
        "utf-8",
    )
    clock = ManualClock(at("2026-11-23T09:00"))
    settings = make_settings(f"sqlite:///{tmp_path / 'contact.sqlite3'}", tmp_path)
    app = build_app(settings, clock, county_file=county)
    sim = Simulation.attach(app, clock)
    await submit(sim, "resident:b", CANAL)
    await sim.say("deputy:D002", "受理 YS-2026-000001")
    moved = await sim.say("deputy:D002", "转办 YS-2026-000001 县人力资源和社会保障局")
    assert [s.text[:4] for s in to(moved, "deputy:D005")] == ["【转办】"]
    assert to(moved, "office") == []
    sent = await sim.advance("15d")
    assert [(when(s), s.chat_id) for s in sent if s.text.startswith("【提醒】")] == [
        ("12-03 08:00", "deputy:D002"),
        ("12-03 08:00", "deputy:D005"),
        ("12-07 09:00", "deputy:D002"),
        ("12-07 09:00", "deputy:D005"),
    ]
    app.engine.dispose()


async def test_a_status_card_marks_a_limit_already_over_as_overdue(sim):
    await submit(sim, "resident:b", CANAL)
    await sim.advance("2d")  # the acceptance limit (Tuesday 09:00) has passed
    deputy = to(await sim.say("deputy:D002", "查询 YS-2026-000001"), "deputy:D002")
    assert "签收时限：11月24日（周二）09:00（已逾期）" in deputy[0].text
    assert "答复时限：12月7日（周一）09:00\n" in deputy[0].text + "\n"  # not over yet
    resident = to(await sim.say("resident:b", "查询 YS-2026-000001"), "resident:b")
    assert "（已逾期）" not in resident[0].text  # the resident's answer limit is not over
    await sim.advance("14d")
    resident = to(await sim.say("resident:b", "查询 YS-2026-000001"), "resident:b")
    assert "答复时限：12月7日（周一）09:00（已逾期）" in resident[0].text
