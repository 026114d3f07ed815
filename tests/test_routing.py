"""Routing (DESIGN.md §5): which grid, then which deputy — seen as the resident and the
deputies see it."""

from __future__ import annotations

from sqlalchemy import select

from bot.simulator import Simulation
from casework.routing import choose_deputy
from storage.db import transaction
from storage.models import Case, Station


async def submit(sim: Simulation, resident: str, text: str, **first: object) -> Case:
    if first:
        await sim.send(resident, **first)
    sent = await sim.say(resident, text)
    assert "请核对" in sent[-1].text, sent
    await sim.say(resident, "确认提交")
    with transaction(sim.app.sessions) as session:
        return session.scalars(select(Case).order_by(Case.id.desc())).first()


async def test_shared_location_finds_the_grid_by_polygon(sqlite_sim: Simulation):
    await sqlite_sim.send("resident:a", location=(24.770, 110.495))
    case = await submit(sqlite_sim, "resident:a", "路灯坏了好几天")
    assert (case.grid_code, case.deputy_code) == ("G-DL-01", "D001")


async def test_location_outside_every_grid_asks_for_the_township(sqlite_sim: Simulation):
    sent = await sqlite_sim.send("resident:a", location=(25.5, 111.0))
    assert "不在本县已划定的网格内" in sent[0].text
    asked = await sqlite_sim.say("resident:a", "路灯坏了好几天")
    assert asked[-1].text.startswith("请问问题发生在哪个乡镇")


async def test_place_name_without_its_suffix_finds_the_grid(sqlite_sim: Simulation):
    sent = await sqlite_sim.say("resident:a", "遇龙那边的路灯坏了")
    assert "【位置】白沙镇遇龙村" in sent[-1].text


async def test_no_place_at_all_asks_township_then_village(sqlite_sim: Simulation):
    asked = await sqlite_sim.say("resident:a", "路灯坏了，晚上出门很不方便")
    assert "白沙镇" in asked[-1].choices
    villages = await sqlite_sim.say("resident:a", str(asked[-1].choices.index("白沙镇") + 1))
    assert "遇龙村" in villages[-1].choices
    summary = await sqlite_sim.say("resident:a", "遇龙村")  # the choice's own words work too
    assert "【位置】白沙镇遇龙村" in summary[-1].text


async def test_station_code_with_several_grids_asks_among_its_grids(sqlite_sim: Simulation):
    with transaction(sqlite_sim.app.sessions) as session:
        grids = [g.name for g in session.get(Station, "ST-BS").grids]
    assert len(grids) > 1
    await sqlite_sim.send("resident:a", start="ST-BS")
    asked = await sqlite_sim.say("resident:a", "路灯坏了，晚上出门很不方便")
    # The station's grids, and a way out for a problem elsewhere in the county.
    assert list(asked[-1].choices) == [*grids, "不在以上地方"]


async def test_expertise_decides_between_the_grid_deputies(sqlite_sim: Simulation):
    lights = await submit(sqlite_sim, "resident:a", "东岭村的路灯坏了")
    fields = await submit(sqlite_sim, "resident:b", "东岭村农田灌溉的水渠堵了，秧苗缺水")
    assert (lights.deputy_code, fields.deputy_code) == ("D001", "D002")


async def test_equal_deputies_share_the_load(sqlite_sim: Simulation):
    deputies = []
    for i, text in enumerate(["西街有商家宰客", "西街民宿乱涨价", "西街景区门票价格不透明"]):
        case = await submit(sqlite_sim, f"resident:r{i}", text)
        deputies.append(case.deputy_code)
    assert deputies == ["D006", "D008", "D006"]


async def test_uncovered_grid_goes_to_the_thematic_station_of_its_topic(sqlite_sim: Simulation):
    case = await submit(sqlite_sim, "resident:a", "浪洲村河边有人往漓江里倒垃圾，污水直排")
    assert case.grid_code == "G-YD-01"
    assert case.station_code == "ST-LJ"
    with transaction(sqlite_sim.app.sessions) as session:
        case = session.get(Case, case.id)
        assert "漓江保护人大代表联络站" in case.events[1].note
        assert "ST-LJ" in [s.code for s in case.deputy.stations]


async def test_uncovered_grid_without_a_thematic_topic_goes_to_the_station_head(
    sqlite_sim: Simulation,
):
    case = await submit(sqlite_sim, "resident:a", "大利村的路灯坏了")
    assert (case.grid_code, case.deputy_code) == ("G-JB-02", "D028")


async def test_nobody_to_route_to_goes_to_the_office_which_assigns_by_hand(sqlite_sim: Simulation):
    with transaction(sqlite_sim.app.sessions) as session:
        assignment = choose_deputy(session, grid_code=None, category="其他", entry=None)
    assert assignment.deputy is None
    assert assignment.reason == "未找到对口代表，转代表工委人工交办"


async def test_deputy_code_sends_the_case_to_that_deputy(sqlite_sim: Simulation):
    greeting = await sqlite_sim.send("resident:a", start="D003")
    assert "您正在联系" in greeting[0].text
    case = await submit(sqlite_sim, "resident:a", "东岭村的路灯坏了")
    assert case.deputy_code == "D003"
