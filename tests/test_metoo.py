"""我也遇到: a resident about to report what another resident of the same grid reported in the
last 14 days (same category, similar text, still open) may follow that case instead — by
button, typed word or number; followers hear its progress; the deputy sees how many."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.simulator import Simulation
from casework import metoo
from storage.db import transaction
from storage.models import Case, CaseFollower

FIRST = "东岭村村口那几盏路灯坏了快一个月了，晚上黑乎乎的"
SAME = "东岭村口的路灯坏了快一个月，晚上黑乎乎的，希望尽快修好"
TICKET = "YS-2026-000001"


async def report(sim: Simulation, who: str, text: str) -> list:
    await sim.send(who, start="ST-DL")
    return await sim.say(who, text)


def counts(sim: Simulation) -> tuple[int, int]:
    with transaction(sim.app.sessions) as session:
        return (
            session.scalar(select(func.count()).select_from(Case)),
            session.scalar(select(func.count()).select_from(CaseFollower)),
        )


async def first_case(sim: Simulation) -> None:
    await report(sim, "resident:alice", FIRST)
    await sim.say("resident:alice", "1")


async def test_the_offer_and_following_by_the_typed_word(sqlite_sim: Simulation):
    await first_case(sqlite_sim)
    summary = await report(sqlite_sim, "resident:bob", SAME)
    assert (
        f"【是同一问题吗？】本村（社区）居民今天已反映：“{FIRST}”（工单 {TICKET}，已交办代表）"
        in (summary[0].text)
    )
    assert summary[0].choices == ("确认提交", "我也遇到", "修改类别", "修改位置", "取消")
    followed = await sqlite_sim.say("resident:bob", "我也遇到")
    by = {s.chat_id: s.text for s in followed}
    assert by["resident:bob"].startswith(f"已为您关注工单 {TICKET}")
    assert by["deputy:D001"].startswith(
        f"工单 {TICKET}：又有一位居民反映了同一问题（我也遇到，共1人）"
    )
    assert counts(sqlite_sim) == (1, 1)

    # The deputy sees the count on the case and in 我的工单; bob hears the progress.
    mine = await sqlite_sim.say("deputy:D001", "我的工单")
    assert mine[0].text.endswith("｜我也遇到1人")
    accepted = await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    assert (
        "resident:bob",
        f"【您关注的工单 {TICKET}】莫小兰代表已签收，正在办理。",
    ) in [(s.chat_id, s.text) for s in accepted]
    office = await sqlite_sim.say("office", f"查询 {TICKET}")
    assert "我也遇到：另有1位居民反映同一问题" in office[0].text
    resolved = await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 已更换灯具")
    bob = [s for s in resolved if s.chat_id == "resident:bob"]
    assert [s.text for s in bob] == [f"【您关注的工单 {TICKET}】已办结。\n办理结果：已更换灯具"]
    assert bob[0].choices == ()  # the rating is the reporter's alone


async def test_filing_separately_makes_a_case_of_its_own(sqlite_sim: Simulation):
    await first_case(sqlite_sim)
    await report(sqlite_sim, "resident:bob", SAME)
    sent = await sqlite_sim.say("resident:bob", "1")  # 确认提交: "1" submits, as always
    assert "工单号：YS-2026-000002" in sent[0].text
    assert counts(sqlite_sim) == (2, 0)


async def test_following_twice_is_refused(sqlite_sim: Simulation):
    await first_case(sqlite_sim)
    await report(sqlite_sim, "resident:bob", SAME)
    await sqlite_sim.say("resident:bob", "2")
    again = await report(sqlite_sim, "resident:bob", SAME)
    assert "【是同一问题吗？】" not in again[0].text  # already following: not offered again
    assert counts(sqlite_sim) == (1, 1)


async def test_no_offer_across_grids_categories_own_cases_or_after_fourteen_days(
    sqlite_sim: Simulation,
):
    await first_case(sqlite_sim)
    other_grid = await report(sqlite_sim, "resident:carol", "骥马村村口那几盏路灯坏了快一个月了")
    assert "【是同一问题吗？】" not in other_grid[0].text
    await sqlite_sim.say("resident:carol", "取消")
    own = await report(sqlite_sim, "resident:alice", SAME)
    assert "【是同一问题吗？】" not in own[0].text
    await sqlite_sim.say("resident:alice", "取消")
    sqlite_sim.clock.advance(timedelta(days=15))
    late = await report(sqlite_sim, "resident:bob", SAME)
    assert "【是同一问题吗？】" not in late[0].text


async def test_a_closed_case_is_not_offered(sqlite_sim: Simulation):
    await first_case(sqlite_sim)
    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 已修好")
    summary = await report(sqlite_sim, "resident:bob", SAME)
    assert "【是同一问题吗？】" not in summary[0].text


async def test_among_reports_that_say_the_same_the_oldest_is_offered(sqlite_sim: Simulation):
    await first_case(sqlite_sim)
    await report(sqlite_sim, "resident:carol", FIRST)
    await sqlite_sim.say("resident:carol", "1")  # filed separately: YS-2026-000002, same text
    summary = await report(sqlite_sim, "resident:bob", FIRST)
    assert f"（工单 {TICKET}，已交办代表）" in summary[0].text


async def test_only_the_most_recent_texts_are_compared(
    sqlite_sim: Simulation, monkeypatch: pytest.MonkeyPatch
):
    await first_case(sqlite_sim)  # FIRST, YS-2026-000001
    await report(sqlite_sim, "resident:carol", SAME)
    await sqlite_sim.say("resident:carol", "1")  # SAME, YS-2026-000002
    # All compared, FIRST says it best; the bound at one text leaves only the newest.
    summary = await report(sqlite_sim, "resident:bob", FIRST)
    assert f"（工单 {TICKET}，已交办代表）" in summary[0].text
    await sqlite_sim.say("resident:bob", "取消")
    monkeypatch.setattr(metoo, "_CANDIDATES", metoo._CANDIDATES.limit(1))
    bounded = await report(sqlite_sim, "resident:bob", FIRST)
    assert "（工单 YS-2026-000002，已交办代表）" in bounded[0].text
