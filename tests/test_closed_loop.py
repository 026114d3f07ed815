"""The whole loop of DESIGN.md §1 — 受理 → 交办 → 办理 → 反馈 — as residents and deputies see it,
on SQLite and (where configured) PostgreSQL."""

from __future__ import annotations

from sqlalchemy import select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case, OutboxMessage

TICKET = "YS-2026-000001"


async def test_resident_scans_station_code_and_the_village_deputy_resolves_it(sim: Simulation):
    sent = await sim.send("resident:alice", start="ST-DL")
    assert [s.chat_id for s in sent] == ["resident:alice"]
    assert "东岭片区人大代表联络站" in sent[0].text

    await sim.verify_dialog(
        [
            (
                ("resident:alice", "东岭村的路灯坏了"),
                [("resident:alice", "【类别】城乡建设"), ("resident:alice", "阳朔镇东岭村")],
            ),
            (
                ("resident:alice", "1"),
                [
                    ("resident:alice", f"工单号：{TICKET}"),
                    ("deputy:D001", "【新交办工单】"),
                ],
            ),
            (
                ("deputy:D001", f"受理 {TICKET}"),
                [("resident:alice", "莫小兰代表已签收"), ("deputy:D001", "已签收")],
            ),
            (
                ("deputy:D001", f"回复 {TICKET} 已联系供电所，明天上午来修"),
                [("resident:alice", "已联系供电所，明天上午来修"), ("deputy:D001", "已转达居民")],
            ),
            (
                ("resident:alice", f"回复 {TICKET} 好的，谢谢"),
                [("resident:alice", "已转达"), ("deputy:D001", "好的，谢谢")],
            ),
            (
                ("deputy:D001", f"办结 {TICKET} 路灯已更换"),
                [("resident:alice", "已办结"), ("resident:alice", "路灯已更换")],
            ),
            (("resident:alice", f"查询 {TICKET}"), [("resident:alice", "状态：已办结")]),
        ]
    )
    with transaction(sim.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.status == "resolved"
        assert case.grid_code == "G-DL-01"
        assert case.deputy_code == "D001"
        assert [e.kind for e in case.events] == [
            "submitted",
            "assigned",
            "accepted",
            "answered",
            "resident_wrote",
            "resolved",
        ]


async def test_deputy_uses_buttons_instead_of_commands(sim: Simulation):
    await sim.send("resident:bo", start="ST-DL")
    await sim.say("resident:bo", "东岭村的路灯坏了")
    assignment = [s for s in await sim.say("resident:bo", "1") if s.chat_id == "deputy:D001"]
    assert assignment[0].choices == ("受理",)

    accepted = await sim.send("deputy:D001", action=assignment[0].actions[0])
    to_deputy = next(s for s in accepted if s.chat_id == "deputy:D001")
    assert to_deputy.choices == ("回复居民", "转办部门", "办结")

    # 转办 by typed choice "2", then the department by number.
    departments = await sim.say("deputy:D001", "2")
    assert "请选择承办部门" in departments[0].text
    # The four departments that handle 城乡建设 are listed first.
    assert set(departments[0].choices[:4]) == {
        "县水利局", "县住房和城乡建设局", "县自然资源局", "县综合行政执法局"
    }  # fmt: skip
    number = departments[0].choices.index("县住房和城乡建设局") + 1
    transferred = await sim.say("deputy:D001", str(number))
    assert "县住房和城乡建设局" in transferred[0].text
    assert transferred[0].chat_id == "resident:bo"

    # A transferred case offers only what the lifecycle allows: 回复居民, 办结.
    assert transferred[1].choices == ("回复居民", "办结")
    prompt = await sim.say("deputy:D001", "2")  # 办结
    assert "请输入办理结果说明" in prompt[0].text
    done = await sim.say("deputy:D001", "住建局已更换灯具")
    assert any("住建局已更换灯具" in s.text and s.chat_id == "resident:bo" for s in done)


async def test_every_message_of_the_loop_is_in_the_outbox_and_sent_once(sim: Simulation):
    delivered = []
    delivered += await sim.send("resident:c", start="ST-DL")
    delivered += await sim.say("resident:c", "东岭村的路灯坏了")
    delivered += await sim.say("resident:c", "1")
    delivered += await sim.say("deputy:D001", f"受理 {TICKET}")
    with transaction(sim.app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
    assert [r.status for r in rows] == ["sent"] * 6
    assert [(r.chat_id, r.text) for r in rows] == [(s.chat_id, s.text) for s in delivered]
