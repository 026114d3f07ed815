"""The office in chat (issue 12, "words and small gaps"): ``逾期`` lists what is late and
which limit it missed, ``督办 T`` pushes the deputy now (the resident hears it once a
round), ``统计`` gives this month's figures as ``grid-intake report`` computes them."""

from __future__ import annotations

from sqlalchemy import select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case

TICKET = "YS-2026-000001"


async def street_light(sim: Simulation, who: str = "resident:a") -> None:
    await sim.say(who, "东岭村的路灯坏了，晚上很黑")
    sent = await sim.say(who, "确认提交")
    assert any(s.chat_id == "deputy:D001" for s in sent)


def kinds(sim: Simulation) -> list[str]:
    with transaction(sim.app.sessions) as session:
        return [e.kind for e in session.scalars(select(Case)).one().events]


async def test_overdue_lists_late_cases_with_the_limit_they_missed(sqlite_sim: Simulation):
    assert (await sqlite_sim.say("office", "逾期"))[0].text == "目前没有逾期的工单。"
    await street_light(sqlite_sim)
    await sqlite_sim.advance("3d")  # past the 签收 limit, never accepted
    [listing] = await sqlite_sim.say("office", "逾期")
    assert listing.text.startswith("逾期工单共 1 件：")
    assert TICKET in listing.text and "逾期未签收" in listing.text and "莫小兰" in listing.text

    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    await sqlite_sim.advance("20d")  # accepted late, and now past the answer limit
    [listing] = await sqlite_sim.say("office", "逾期")
    assert "逾期未答复" in listing.text and "逾期未签收" not in listing.text


async def test_supervise_pushes_the_deputy_and_tells_the_resident_once(sqlite_sim: Simulation):
    await street_light(sqlite_sim)
    sent = await sqlite_sim.say("office", f"督办 {TICKET} 请今天联系群众")
    by = {s.chat_id: s for s in sent}
    assert by["office"].text == f"已督办工单 {TICKET}，已提醒莫小兰代表。"
    to_deputy = by["deputy:D001"]
    assert to_deputy.text.startswith(f"【督办】阳朔县人大常委会代表工作委员会督办工单 {TICKET}")
    assert "签收时限为" in to_deputy.text and "请尽快签收" in to_deputy.text
    assert "督办意见：请今天联系群众" in to_deputy.text
    assert to_deputy.choices == ("受理",)
    assert "已督办您反映的问题" in by["resident:a"].text
    assert "请今天联系群众" not in by["resident:a"].text  # internal words stay internal
    assert kinds(sqlite_sim)[-1] == "supervised"

    # A second push reaches the deputy only: the resident was told this round already.
    again = await sqlite_sim.say("office", f"督办 {TICKET}")
    assert {s.chat_id for s in again} == {"office", "deputy:D001"}


async def test_supervise_refuses_what_the_lifecycle_refuses(sqlite_sim: Simulation):
    await street_light(sqlite_sim)
    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 路灯已更换")
    before = kinds(sqlite_sim)
    [refused] = await sqlite_sim.say("office", f"督办 {TICKET}")
    assert refused.chat_id == "office"
    assert "无需督办" in refused.text
    assert kinds(sqlite_sim) == before
    [unknown] = await sqlite_sim.say("office", "督办 YS-2026-999999")
    assert "YS-2026-999999" in unknown.text and kinds(sqlite_sim) == before


async def test_supervise_after_the_limit_says_it_is_overdue(sqlite_sim: Simulation):
    await street_light(sqlite_sim)
    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    await sqlite_sim.advance("20d")
    sent = await sqlite_sim.say("office", f"督办 {TICKET}")
    [to_deputy] = [s for s in sent if s.chat_id == "deputy:D001"]
    assert "已超过答复时限" in to_deputy.text and "请尽快办理并答复群众" in to_deputy.text


async def test_figures_match_the_report_and_count_overdue_against_on_time(
    sqlite_sim: Simulation,
):
    await street_light(sqlite_sim, "resident:a")
    await street_light(sqlite_sim, "resident:b")
    second = "YS-2026-000002"
    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 路灯已更换")
    await sqlite_sim.advance("3d")  # 000002 past its 签收 limit: not yet past the answer limit
    [stats] = await sqlite_sim.say("office", "统计")
    assert stats.text.startswith("2026年11月办理情况")
    assert "受理 2 件" in stats.text and "办结 1 件" in stats.text
    assert "办结率 50.0%（1/2）" in stats.text
    assert "按时办结率 100.0%（1/1）" in stats.text
    assert "当前逾期工单 1 件" in stats.text
    await sqlite_sim.advance("20d")  # now past the answer limit too: counts against on-time
    [stats] = await sqlite_sim.say("office", "统计")  # December: nothing received yet
    assert stats.text.startswith("2026年12月办理情况") and "受理 0 件" in stats.text
    assert "办结率 —" in stats.text  # never 0 % or 100 % of nothing
    [stats] = await sqlite_sim.say("office", "统计 2026年11月")
    assert stats.text.startswith("2026年11月办理情况")
    assert "按时办结率 50.0%（1/2）" in stats.text
    assert second not in stats.text
    [refused] = await sqlite_sim.say("office", "统计 2026-13")
    assert "没有“2026-13”这个月份" in refused.text


async def test_the_office_help_lists_the_new_commands(sqlite_sim: Simulation):
    [help_text] = await sqlite_sim.say("office", "帮助")
    for word in ("逾期", "督办 工单号", "统计"):
        assert word in help_text.text
