"""An idle dialog ends after 30 minutes with a polite message; the draft is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case


async def test_an_idle_draft_expires_politely_after_thirty_minutes(sqlite_sim: Simulation):
    await sqlite_sim.send("resident:a", start="ST-DL")
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    assert await sqlite_sim.advance("29m") == []
    sent = await sqlite_sim.advance("2m")
    assert [s.chat_id for s in sent] == ["resident:a"]
    assert "超过30分钟未确认提交" in sent[0].text
    assert "东岭村的路灯坏了" in sent[0].text
    assert sent[0].choices == ("继续提交",)
    # Sent at the first scheduler tick after the limit, within the minute.
    expected = sqlite_sim.clock.now() - timedelta(minutes=1)
    assert expected <= sent[0].at <= expected + timedelta(minutes=1)
    assert await sqlite_sim.advance("1d") == []  # told once only


async def test_the_resident_resumes_the_kept_draft_and_submits(sqlite_sim: Simulation):
    await sqlite_sim.send("resident:a", start="ST-DL")
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    await sqlite_sim.advance("45m")
    summary = await sqlite_sim.say("resident:a", "1")  # 继续提交
    assert "【问题】东岭村的路灯坏了" in summary[0].text
    receipt = await sqlite_sim.say("resident:a", "确认提交")
    assert "工单号：YS-2026-000001" in receipt[0].text


async def test_a_new_message_after_expiry_starts_afresh(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    await sqlite_sim.advance("31m")
    summary = await sqlite_sim.say("resident:a", "遇龙村的垃圾没人清运")
    assert "【问题】遇龙村的垃圾没人清运" in summary[0].text
    assert "路灯" not in summary[0].text


async def test_an_idle_chat_without_a_dialog_gets_no_message(sqlite_sim: Simulation):
    await sqlite_sim.say("resident:a", "查询")
    assert await sqlite_sim.advance("2h") == []
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0
