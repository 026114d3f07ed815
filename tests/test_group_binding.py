"""Who may (re)bind a hometown group (issue 11): its creator or an administrator, a deputy of
the target station, the office — by ``/start CODE`` or the typed ``绑定 CODE`` (station or
deputy code); anyone else is told how, and nothing changes. And an unbound group's notice
comes at most once in ten minutes, however fast people post."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.simulator import Simulation
from casework.hometown_groups import HOW_TO_BIND
from storage.db import transaction
from storage.models import HometownGroup

GROUP = "group:home"


def binding(sim: Simulation) -> tuple[str, str | None, str] | None:
    with transaction(sim.app.sessions) as session:
        group = session.scalars(select(HometownGroup)).first()
        return (group.station_code, group.deputy_code, group.bound_by) if group else None


async def test_an_ordinary_member_cannot_rebind_a_bound_group(sqlite_sim: Simulation):
    await sqlite_sim.step({"from": GROUP, "start": "ST-DL"})
    before = binding(sqlite_sim)
    for step in (
        {"from": GROUP, "user": "wang", "start": "ST-BS"},
        {"from": GROUP, "user": "wang", "text": "绑定 ST-BS"},
    ):
        sent = await sqlite_sim.step(step)
        assert [s.text for s in sent] == [HOW_TO_BIND]
    assert binding(sqlite_sim) == before == ("ST-DL", None, "admin")


async def test_an_ordinary_member_cannot_bind_an_unbound_group(sqlite_sim: Simulation):
    sent = await sqlite_sim.step({"from": GROUP, "user": "wang", "text": "绑定 ST-DL"})
    assert sent[0].text.startswith("只有本群群主或管理员、本联络站的人大代表或代表工委可以绑定本群")
    assert "绑定方法" in sent[0].text
    assert binding(sqlite_sim) is None


async def test_a_deputy_binds_to_their_own_station_only(sqlite_sim: Simulation):
    other = await sqlite_sim.step({"from": GROUP, "user": "deputy:D010", "text": "绑定 ST-DL"})
    assert other[0].text == "您不是东岭片区人大代表联络站的代表，不能把本群绑定到该站。"
    assert binding(sqlite_sim) is None
    own = await sqlite_sim.step({"from": GROUP, "user": "deputy:D001", "text": "绑定 ST-DL"})
    assert own[0].text.startswith("本群已绑定为东岭片区人大代表联络站的")
    assert binding(sqlite_sim) == ("ST-DL", None, "deputy:D001")


async def test_binding_by_a_deputy_code_makes_it_that_deputys_group(sqlite_sim: Simulation):
    sent = await sqlite_sim.step({"from": GROUP, "text": "绑定 D004"})
    assert sent[0].text.startswith("本群已绑定为覃海波代表（东岭片区人大代表联络站）的")
    assert binding(sqlite_sim) == ("ST-DL", "D004", "admin")
    # The group's own deputy may re-bind it; the office may too.
    rebound = await sqlite_sim.step({"from": GROUP, "user": "deputy:D004", "start": "ST-DL"})
    assert rebound[0].text.startswith("本群已绑定为东岭片区人大代表联络站的")
    office = await sqlite_sim.step({"from": GROUP, "user": "office", "text": "绑定 ST-BS"})
    assert office[0].text.startswith("本群已绑定为白沙片区人大代表联络站的")
    assert binding(sqlite_sim) == ("ST-BS", None, "office")


async def test_an_unknown_code_is_refused_to_those_who_may_bind(sqlite_sim: Simulation):
    sent = await sqlite_sim.step({"from": GROUP, "text": "绑定 ST-NOPE"})
    assert sent[0].text == "没有代码为“ST-NOPE”的联络站或代表，请使用联络站提供的邀请链接。"
    assert binding(sqlite_sim) is None


async def test_unbound_notices_are_rate_limited_per_group(sqlite_sim: Simulation):
    first = await sqlite_sim.step({"from": GROUP, "user": "wang", "text": "#建议 路该修了"})
    second = await sqlite_sim.step({"from": GROUP, "user": "li", "text": "#建议 灯该换了"})
    assert [s.text[:11] for s in first] == ["本群尚未绑定家乡联络站"]
    assert second == []
    elsewhere = await sqlite_sim.step({"from": "group:other", "user": "li", "text": "#建议 x"})
    assert len(elsewhere) == 1  # per group
    sqlite_sim.clock.advance(timedelta(minutes=10))
    later = await sqlite_sim.step({"from": GROUP, "user": "li", "text": "#建议 灯该换了"})
    assert len(later) == 1
