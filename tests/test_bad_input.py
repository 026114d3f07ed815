"""Bad input gets a clear refusal in Chinese and changes nothing (issue: walking skeleton)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case, CaseEvent, InboundMessage

TICKET = "YS-2026-000001"


def count(sim: Simulation, model: type) -> int:
    with transaction(sim.app.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


async def submit_street_light(sim: Simulation, resident: str = "resident:alice") -> None:
    await sim.send(resident, start="ST-DL")
    await sim.say(resident, "东岭村的路灯坏了")
    await sim.say(resident, "1")


async def test_text_over_2000_characters_is_refused_and_not_stored(sqlite_sim: Simulation):
    sent = await sqlite_sim.say("resident:alice", "路灯坏了" * 600)
    assert len(sent) == 1
    assert "2400字" in sent[0].text and "2000字" in sent[0].text
    assert count(sqlite_sim, Case) == 0
    with transaction(sqlite_sim.app.sessions) as session:
        body = session.scalars(select(InboundMessage.body)).one()
    assert body == {"oversized": 2400}  # the id is kept for dedupe; the text is not


async def test_unknown_payload_is_greeted_without_a_station(sqlite_sim: Simulation):
    sent = await sqlite_sim.send("resident:alice", start="ST-NOPE-123")
    assert "阳朔县人大代表联络平台" in sent[0].text
    assert "联络站。" not in sent[0].text
    # The resident can go on as usual; the grid then comes from the text.
    summary = await sqlite_sim.say("resident:alice", "遇龙村的垃圾好几天没人清运了")
    assert "白沙镇遇龙村" in summary[0].text


async def test_deputy_cannot_act_on_another_deputys_case(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    sent = await sqlite_sim.say("deputy:D005", f"受理 {TICKET}")
    assert [(s.chat_id, s.text) for s in sent] == [
        ("deputy:D005", f"工单 {TICKET} 未交办给您，您无权办理。")
    ]
    with transaction(sqlite_sim.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.status == "assigned"
        assert [e.kind for e in case.events] == ["submitted", "assigned"]


async def test_a_resident_using_deputy_commands_is_refused(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    events_before = count(sqlite_sim, CaseEvent)
    for command in (f"受理 {TICKET}", f"办结 {TICKET} 已修好", f"转办 {TICKET} 县水利局"):
        sent = await sqlite_sim.say("resident:mallory", command)
        assert sent[0].chat_id == "resident:mallory"
        assert "仅供人大代表使用" in sent[0].text
    assert count(sqlite_sim, CaseEvent) == events_before
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalars(select(Case.status)).one() == "assigned"


async def test_a_resident_cannot_see_someone_elses_case(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    sent = await sqlite_sim.say("resident:mallory", f"查询 {TICKET}")
    assert sent[0].text == f"没有找到工单 {TICKET}，请核对工单号。"


async def test_illegal_transition_is_refused_with_the_reason(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    sent = await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 已修好")
    assert "请先签收" in sent[0].text
    await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    again = await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    assert again[0].text == "该工单当前状态为“代表已签收”，不能签收。"


async def test_same_text_twice_within_ten_minutes_is_one_case(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    sqlite_sim.clock.advance(timedelta(minutes=9))
    sent = await sqlite_sim.say("resident:alice", "东岭村的路灯坏了！")
    assert sent[0].text.startswith(f"您刚才反映的问题已登记为工单 {TICKET}")
    assert count(sqlite_sim, Case) == 1

    sqlite_sim.clock.advance(timedelta(minutes=2))  # 11 minutes: a new report is welcome
    summary = await sqlite_sim.say("resident:alice", "东岭村的路灯坏了")
    assert "请核对" in summary[0].text


async def test_another_resident_with_the_same_text_gets_their_own_case(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim, "resident:alice")
    await submit_street_light(sqlite_sim, "resident:bob")
    assert count(sqlite_sim, Case) == 2


async def test_forged_button_data_is_refused_and_changes_nothing(sqlite_sim: Simulation):
    await submit_street_light(sqlite_sim)
    forged = [
        "accept:YS-2026-000001:extra",  # wrong arity
        "drop_table:cases",  # unknown verb
        "accept:" + "9" * 80,  # too long
        "accept:YS-2026-000001'--",  # not compact ASCII
    ]
    for data in forged:
        sent = await sqlite_sim.send("deputy:D001", action=data)
        assert sent[0].text == "无法识别该按钮，请按最新的提示操作。"
    # Well-formed but not this deputy's case: refused by authorisation.
    sent = await sqlite_sim.send("deputy:D007", action=f"accept:{TICKET}")
    assert "无权办理" in sent[0].text
    # A resident pressing a deputy's button.
    sent = await sqlite_sim.send("resident:alice", action=f"accept:{TICKET}")
    assert sent[0].text == "该选项已失效，请按最新的提示操作。"
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalars(select(Case.status)).one() == "assigned"


async def test_a_typed_number_outside_the_choices_is_refused(sqlite_sim: Simulation):
    await sqlite_sim.send("resident:alice", start="ST-DL")
    await sqlite_sim.say("resident:alice", "东岭村的路灯坏了")
    sent = await sqlite_sim.say("resident:alice", "9")
    assert sent[0].text == "没有这个选项，请回复 1–4 之间的编号（也可以回复选项的文字）。"
    assert count(sqlite_sim, Case) == 0


async def test_a_redelivered_message_is_handled_once(sqlite_sim: Simulation):
    from handlers.incoming import Incoming

    incoming = Incoming(
        "console", "resident:alice", "resident:alice", "m-1", text="东岭村的路灯坏了"
    )
    first = sqlite_sim.app.dispatcher.handle(incoming)
    second = sqlite_sim.app.dispatcher.handle(incoming)
    assert (first.handled, second.handled) == (True, False)
    await sqlite_sim.sender.drain()
    assert len(sqlite_sim.recorder.take()) == 1
