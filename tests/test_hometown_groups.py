"""Hometown groups (我为家乡建言献策): bound to a station by its group link; "#建议", "/jy" and
replies to the bot become classified suggestions, acknowledged at most once a minute."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.simulator import Simulation
from casework.identities import migrate_chat
from storage.db import transaction
from storage.models import HometownGroup, Suggestion

GROUP = "group:hometown-ys"


def suggestions(sim: Simulation) -> list[tuple[str, str, str]]:
    with transaction(sim.app.sessions) as session:
        rows = session.scalars(select(Suggestion).order_by(Suggestion.id)).all()
        return [(s.author_name, s.text, s.category) for s in rows]


async def bound(sim: Simulation) -> None:
    sent = await sim.step({"from": GROUP, "start": "ST-DL"})  # no user: the group's creator
    assert sent[0].text.startswith("本群已绑定为东岭片区人大代表联络站的“我为家乡建言献策”群")


async def test_suggestions_are_collected_classified_and_acknowledged(sqlite_sim: Simulation):
    await bound(sqlite_sim)
    sent = await sqlite_sim.step(
        {"from": GROUP, "user": "wang", "text": "#建议 村里的路该修了，坑太多"}
    )
    assert [(s.chat_id, s.text) for s in sent] == [
        (
            GROUP,
            "已收到wang的建议 JY-2026-000001（交通运输）：村里的路该修了，坑太多。谢谢！\n"
            "赞同的群友可回复本消息“附议”。",
        )
    ]
    await sqlite_sim.step({"from": GROUP, "user": "li", "text": "/jy 建议在村小学门口装个红绿灯"})
    await sqlite_sim.step(
        {"from": GROUP, "user": "zhao", "text": "金桔今年价格太低了", "reply_to_bot": True}
    )
    assert suggestions(sqlite_sim) == [
        ("wang", "村里的路该修了，坑太多", "交通运输"),
        ("li", "建议在村小学门口装个红绿灯", "交通运输"),
        ("zhao", "金桔今年价格太低了", "农业农村"),
    ]


async def test_ordinary_chatter_is_ignored(sqlite_sim: Simulation):
    await bound(sqlite_sim)
    sent = await sqlite_sim.step({"from": GROUP, "user": "wang", "text": "大家新年好！"})
    assert sent == []
    assert suggestions(sqlite_sim) == []


async def test_one_acknowledgement_per_member_per_minute(sqlite_sim: Simulation):
    await bound(sqlite_sim)
    acks = []
    for text in ("#建议 路灯太暗", "#建议 垃圾桶太少", "#建议 公交太少"):
        acks += await sqlite_sim.step({"from": GROUP, "user": "wang", "text": text})
    assert len(acks) == 1 and len(suggestions(sqlite_sim)) == 3
    sqlite_sim.clock.advance(timedelta(minutes=1))
    later = await sqlite_sim.step({"from": GROUP, "user": "wang", "text": "#建议 多种树"})
    assert len(later) == 1


async def test_an_unbound_group_is_told_how_to_bind(sqlite_sim: Simulation):
    sent = await sqlite_sim.step({"from": GROUP, "user": "wang", "text": "#建议 路该修了"})
    assert sent[0].text.startswith("本群尚未绑定家乡联络站")
    unknown = await sqlite_sim.step({"from": GROUP, "start": "ST-NOPE"})
    assert unknown[0].text.startswith("没有代码为“ST-NOPE”的联络站")


async def test_a_supergroup_migration_keeps_the_binding(sqlite_sim: Simulation):
    await bound(sqlite_sim)
    with transaction(sqlite_sim.app.sessions) as session:
        migrate_chat(session, "console", GROUP, "group:hometown-ys-super")
    sent = await sqlite_sim.step(
        {"from": "group:hometown-ys-super", "user": "wang", "text": "#建议 路该修了"}
    )
    assert sent[0].text.startswith("已收到wang的建议")
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalars(select(HometownGroup.chat_id)).all() == ["group:hometown-ys-super"]
