"""代录: a deputy files for a resident met offline; the recorder relays until the resident
claims the case with its code; wrong codes lock the claim for an hour."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.db import transaction
from storage.models import Case

CODE = re.compile(r"认领码：(\d{6})")


async def _file(sim) -> tuple[str, str, list]:
    [prompt] = await sim.say("deputy:D003", "代录 139-1234-5678")
    assert prompt.text.startswith("【代录】")
    [summary] = await sim.say("deputy:D003", "东岭村的路灯坏了，晚上很黑")
    assert summary.text.startswith("请核对代录的群众反映：")
    assert "【群众电话】13912345678" in summary.text
    sent = await sim.say("deputy:D003", "1")
    [filed] = [s for s in sent if s.chat_id == "deputy:D003" and "已代录工单" in s.text]
    ticket = re.search(r"YS-2026-\d{6}", filed.text).group(0)
    return ticket, CODE.search(filed.text).group(1), sent


def _case(sim, ticket: str) -> Case:
    with transaction(sim.app.sessions) as session:
        case = session.scalars(select(Case).where(Case.ticket == ticket)).one()
        _ = [e.kind for e in case.events]
        return case


async def test_offline_case_relayed_by_the_recorder_until_claimed(sqlite_sim):
    sim = sqlite_sim
    ticket, code, sent = await _file(sim)
    # The grid's deputy (莫小兰, D001) gets the case; the resident's news goes to the recorder.
    assert any(s.chat_id == "deputy:D001" and "【新交办工单】" in s.text for s in sent)
    relay = [s for s in sent if s.chat_id == "deputy:D003" and "【代录工单" in s.text]
    assert relay and f"工单号：{ticket}" in relay[0].text and not relay[0].choices
    case = _case(sim, ticket)
    assert (case.source, case.recorded_by, case.resident_phone) == (
        "offline",
        "D003",
        "13912345678",
    )
    assert code not in (case.claim_digest or "")

    sent = await sim.say("deputy:D001", f"受理 {ticket}")
    assert any(s.chat_id == "deputy:D003" and "莫小兰代表已签收" in s.text for s in sent)
    sent = await sim.say("deputy:D001", f"回复 {ticket} 已联系供电所")
    assert any(s.chat_id == "deputy:D003" and "【代录工单" in s.text for s in sent)
    assert "relayed" in [e.kind for e in _case(sim, ticket).events]

    [wrong] = await sim.say(
        "resident:alice", f"查询 {ticket} 000000" if code != "000000" else f"查询 {ticket} 111111"
    )
    assert "认领码不正确，还可再试4次" in wrong.text
    sent = await sim.say("resident:alice", f"查询 {ticket} {code}")
    assert any(s.chat_id == "resident:alice" and "认领成功" in s.text for s in sent)
    assert any(s.chat_id == "deputy:D003" and "已由群众认领" in s.text for s in sent)

    sent = await sim.say("deputy:D001", f"办结 {ticket} 路灯已更换")
    assert any(s.chat_id == "resident:alice" and "已办结" in s.text for s in sent)
    assert not any(s.chat_id == "deputy:D003" for s in sent)
    kinds = [e.kind for e in _case(sim, ticket).events]
    assert kinds[:3] == ["submitted", "assigned", "recorded_offline"]
    assert "claimed" in kinds and kinds.count("relayed") == 1  # the answer before the claim
    [again] = await sim.say("resident:bob", f"查询 {ticket} {code}")
    assert "已被认领" in again.text


async def test_five_wrong_codes_lock_the_claim_for_an_hour(sqlite_sim):
    sim = sqlite_sim
    ticket, code, _ = await _file(sim)
    wrong = "000000" if code != "000000" else "111111"
    replies = [(await sim.say("resident:eve", f"查询 {ticket} {wrong}"))[0].text for _ in range(5)]
    assert "还可再试1次" in replies[3]
    assert "认领已锁定" in replies[4]
    [locked] = await sim.say("resident:alice", f"查询 {ticket} {code}")
    assert "认领已锁定" in locked.text
    await sim.advance("61m")
    sent = await sim.say("resident:alice", f"查询 {ticket} {code}")
    assert any("认领成功" in s.text for s in sent)


async def test_only_deputies_file_offline_and_a_draft_can_be_cancelled(sqlite_sim):
    sim = sqlite_sim
    [refused] = await sim.say("resident:alice", "代录")
    assert "代录仅供人大代表使用" in refused.text
    [office] = await sim.say("office", "代录")
    assert "代录仅供人大代表使用" in office.text
    await sim.say("deputy:D003", "代录")
    await sim.say("deputy:D003", "东岭村的路灯坏了")
    [cancelled] = await sim.say("deputy:D003", "取消")
    assert "已取消" in cancelled.text
    with transaction(sim.app.sessions) as session:
        assert session.scalars(select(Case)).all() == []
    [help_text] = await sim.say("deputy:D003", "东岭村的路灯坏了")  # not in a 代录: the help
    assert "代表常用指令" in help_text.text
