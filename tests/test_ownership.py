"""Who owns a case (issue 12, item 1): a station head who acts on a member's case takes it
over — a ``reassigned`` ledger row, the member and the resident told — and 查询, the case list
and the report then all name the head. The office's reassignment reads the same way."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import SAMPLE_COUNTY
from bot.cli import main
from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case

TICKET = "YS-2026-000001"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


async def members_case(sim: Simulation) -> None:
    """A 农业农村 case of 东岭村: routed to 黎建国 (D002); 莫小兰 (D001) heads ST-DL."""
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    sent = await sim.say("resident:a", "确认提交")
    assert any(s.chat_id == "deputy:D002" for s in sent)


def the_case(sim: Simulation) -> Case:
    with transaction(sim.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        _ = case.events, case.deputy
        return case


async def test_a_head_accepting_a_members_case_takes_it_over_and_everyone_is_told(
    sqlite_sim: Simulation,
):
    """D001 accepted D002's case: the resident heard 莫小兰 while 查询 still named 黎建国, and
    D002 was never told."""
    await members_case(sqlite_sim)
    sent = await sqlite_sim.say("deputy:D001", f"受理 {TICKET}")
    to = {(s.chat_id, s.text) for s in sent}
    assert ("resident:a", f"工单 {TICKET}：改由东岭片区人大代表联络站莫小兰代表办理。") in to
    assert (
        "deputy:D002",
        f"工单 {TICKET} 已由莫小兰站长接手办理，您无需再办理。",
    ) in to
    assert any(c == "resident:a" and "莫小兰代表已签收" in t for c, t in to)
    case = the_case(sqlite_sim)
    assert case.deputy_code == "D001"
    assert [e.kind for e in case.events][-2:] == ["reassigned", "accepted"]
    assert case.events[-2].actor == "deputy:D001"

    looked_up = await sqlite_sim.say("resident:a", f"查询 {TICKET}")
    assert "承办代表：莫小兰" in looked_up[0].text
    # The member no longer has it; acting on it now is refused.
    refused = await sqlite_sim.say("deputy:D002", f"办结 {TICKET} 已清淤")
    assert refused[0].text == f"工单 {TICKET} 未交办给您，您无权办理。"


async def test_a_head_resolving_a_members_accepted_case_takes_it_over(sqlite_sim: Simulation):
    await members_case(sqlite_sim)
    await sqlite_sim.say("deputy:D002", f"受理 {TICKET}")
    sent = await sqlite_sim.say("deputy:D001", f"办结 {TICKET} 已协调水利站清淤")
    result = next(s for s in sent if s.chat_id == "resident:a" and "已办结" in s.text)
    assert "承办代表：莫小兰" in result.text
    assert any(s.chat_id == "deputy:D002" and "接手" in s.text for s in sent)
    assert the_case(sqlite_sim).deputy_code == "D001"


async def test_a_head_looking_a_case_up_takes_nothing_over(sqlite_sim: Simulation):
    await members_case(sqlite_sim)
    shown = await sqlite_sim.say("deputy:D001", f"查询 {TICKET}")
    assert "承办代表：黎建国" in shown[0].text
    assert the_case(sqlite_sim).deputy_code == "D002"


async def test_office_reassignment_tells_the_resident_who_handles_it_and_the_one_who_lost_it(
    sqlite_sim: Simulation,
):
    """交办 T D004 sent the resident a second "已受理" and told D002 nothing."""
    await members_case(sqlite_sim)
    sent = await sqlite_sim.say("office", f"交办 {TICKET} D004")
    by = {s.chat_id: s.text for s in sent}
    assert by["resident:a"] == f"工单 {TICKET}：改由东岭片区人大代表联络站覃海波代表办理。"
    assert "已受理" not in by["resident:a"] and "已登记" not in by["resident:a"]
    assert by["deputy:D002"].startswith(f"工单 {TICKET} 已由")
    assert "改派覃海波代表办理，您无需再办理" in by["deputy:D002"]
    assert by["deputy:D004"].startswith("【新交办工单】")
    case = the_case(sqlite_sim)
    assert (case.deputy_code, case.events[-1].kind) == ("D004", "reassigned")


async def test_a_deputy_hands_a_case_back_to_the_office_with_a_reason(sqlite_sim: Simulation):
    await members_case(sqlite_sim)
    bare = await sqlite_sim.say("deputy:D002", f"退回 {TICKET}")
    assert "请说明退回的理由" in bare[0].text
    sent = await sqlite_sim.say("deputy:D002", f"退回 {TICKET} 水渠属于骥马村，不在本网格")
    by = {s.chat_id: s.text for s in sent}
    assert by["office"].startswith(f"【退回】黎建国代表退回工单 {TICKET}，理由：水渠属于骥马村")
    assert f"交办 {TICKET} 代表编号" in by["office"]
    assert "重新安排承办代表" in by["resident:a"]
    case = the_case(sqlite_sim)
    assert (case.status, case.deputy_code) == ("submitted", None)
    # The office assigns it again: the resident hears "改由", not a second registration.
    again = await sqlite_sim.say("office", f"交办 {TICKET} D004")
    told = next(s.text for s in again if s.chat_id == "resident:a")
    assert told == f"工单 {TICKET}：改由东岭片区人大代表联络站覃海波代表办理。"


def test_the_takeover_example_agrees_in_lookup_case_list_and_report(tmp_path: Path, capsys):
    """examples/head-takes-over.jsonl: 查询, cases list --json and the report name one deputy."""
    db = f"sqlite:///{tmp_path / 'takeover.sqlite3'}"
    script = EXAMPLES / "head-takes-over.jsonl"
    start = "2026-11-23T09:00"
    args = ["simulate", str(script), "--db", db, "--county", str(SAMPLE_COUNTY), "--start", start]
    assert main(args) == 0
    transcript = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    lookup = [t for t in transcript if t["to"] == "resident:alice" and "承办代表：" in t["text"]]
    assert "承办代表：莫小兰" in lookup[-1]["text"]
    assert any(t["to"] == "deputy:D002" and "接手" in t["text"] for t in transcript)

    assert main(["cases", "list", "--json", "--db", db]) == 0
    [listed] = json.loads(capsys.readouterr().out)
    assert listed["deputy"] == "D001"
    assert [e["kind"] for e in listed["events"]].count("reassigned") == 1

    assert main(["report", "--month", "2026-11", "--db", db, "--as-of", "2026-11-30T09:00"]) == 0
    out = capsys.readouterr().out.splitlines()
    by_deputy = out[out.index("【按代表】") + 2 :]
    assert by_deputy[0].startswith("D001 莫小兰\t1\t")
    assert not any(line.startswith("D002") for line in by_deputy)
