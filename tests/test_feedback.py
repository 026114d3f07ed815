"""Two-step feedback: the rating at 办结 (one reminder, 未评价 after 7 days), the recheck at four
weeks; dissatisfaction reopens the case and escalates it to the station head."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from bot.simulator import Simulation
from casework.clock import ManualClock
from storage.db import transaction
from storage.models import Case
from tests.conftest import make_app
from tests.test_time_limits import at

TICKET = "YS-2026-000001"


@pytest.fixture
async def resolved(sqlite_url: str, tmp_path: Path):
    """A 农业农村 case in 东岭村: deputy 黎建国 (D002), head 莫小兰 (D001), resolved."""
    clock = ManualClock(at("2026-11-23T09:00"))
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D002", f"受理 {TICKET}")
    sim.recorder.take()
    sent = await sim.say("deputy:D002", f"办结 {TICKET} 水渠已清淤")
    sim.resolution_messages = sent  # type: ignore[attr-defined]
    yield sim
    app.engine.dispose()


def case_of(sim: Simulation) -> Case:
    with transaction(sim.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        _ = case.events
        return case


async def test_the_resident_is_asked_to_rate_on_the_five_level_scale(resolved):
    question = resolved.resolution_messages[-1]
    assert question.chat_id == "resident:a"
    assert question.choices == ("非常不满意", "不满意", "基本满意", "满意", "非常满意")
    thanks = await resolved.say("resident:a", "5")  # typed: 5 = 非常满意
    assert thanks[0].text.startswith("感谢您的评价（非常满意）")
    assert ("deputy:D002", f"工单 {TICKET} 居民评价：非常满意。") in [
        (s.chat_id, s.text) for s in thanks
    ]
    case = case_of(resolved)
    assert (case.status, case.rating) == ("rated", 5)


async def test_a_rating_of_2_asks_why_then_reopens_and_escalates(resolved):
    asked = await resolved.say("resident:a", "2")
    assert "请简要说明原因" in asked[-1].text
    sent = await resolved.say("resident:a", "清了一半就走了，水还是过不去")
    by_recipient = {s.chat_id: s for s in sent}
    assert "已重新交办黎建国代表办理，并报莫小兰站长督办" in by_recipient["resident:a"].text
    assert by_recipient["deputy:D002"].text.startswith(f"【重新办理】工单 {TICKET}：居民评价不满意")
    assert by_recipient["deputy:D002"].choices == ("受理",)
    assert by_recipient["deputy:D001"].text.startswith(f"【督办】工单 {TICKET} 重新办理")
    case = case_of(resolved)
    # The new round has no rating yet; round one's score stays in the ledger only.
    assert (case.status, case.round, case.rating) == ("reopened", 1, None)
    assert [e.note for e in case.events if e.kind == "rated"] == ["不满意"]
    assert case.accept_due_at > resolved.clock.now()
    assert [e.kind for e in case.events][-3:] == ["rated", "reopened", "escalated_head"]
    # The deputy starts again: accept, and the reminders of the new round run.
    again = await resolved.say("deputy:D002", f"受理 {TICKET}")
    assert "已签收" in again[-1].text


async def test_a_dissatisfied_resident_who_never_says_why_still_gets_the_case_reopened(resolved):
    await resolved.say("resident:a", "1")
    sent = await resolved.advance("1h")
    assert any(s.chat_id == "deputy:D001" and s.text.startswith("【督办】") for s in sent)
    case = case_of(resolved)
    assert case.status == "reopened"
    assert "居民未说明原因" in case.events[-2].note


async def test_one_rating_reminder_then_closed_unrated_after_seven_days(resolved):
    reminder = await resolved.advance("24h")
    assert len(reminder) == 1
    assert reminder[0].text.startswith(f"【提醒】您还没有评价工单 {TICKET} 的办理结果")
    assert reminder[0].choices == ("非常不满意", "不满意", "基本满意", "满意", "非常满意")
    closed = await resolved.advance("6d")
    assert (closed[0].chat_id, closed[0].text) == (
        "resident:a",
        f"工单 {TICKET} 已结案（未评价）。如问题仍未解决，欢迎随时再次反映。",
    )
    case = case_of(resolved)
    assert (case.status, case.rating) == ("closed", None)  # never counted as satisfied


async def test_four_weeks_later_the_resident_is_asked_if_it_is_still_fixed(resolved):
    await resolved.say("resident:a", "4")
    sent = await resolved.advance("28d")
    recheck = [s for s in sent if "办结已满四周" in s.text]
    assert len(recheck) == 1 and recheck[0].choices == ("已解决", "部分解决", "未解决")
    assert recheck[0].at.astimezone(at("2026-01-01T00:00").tzinfo).hour >= 8
    done = await resolved.say("resident:a", "已解决")
    assert done[0].text.startswith("感谢您的回访反馈（已解决）")
    assert done[-1].text == f"工单 {TICKET} 已结案。"  # to the deputy
    assert case_of(resolved).status == "closed"


async def test_not_fixed_at_the_recheck_reopens_the_case(resolved):
    await resolved.say("resident:a", "4")
    await resolved.advance("28d")
    await resolved.say("resident:a", "3")  # 未解决
    sent = await resolved.say("resident:a", "下大雨又堵了")
    assert any("四周回访时居民表示问题未解决" in s.text for s in sent if s.chat_id == "deputy:D002")
    assert case_of(resolved).status == "reopened"


async def test_a_rating_is_refused_when_nothing_awaits_one(resolved):
    await resolved.say("resident:a", "5")
    sent = await resolved.send("resident:a", action=f"rate:{TICKET}:1")
    assert sent[0].text.startswith(f"工单 {TICKET} 目前没有待评价的办理结果。")
    assert case_of(resolved).rating == 5
