"""Issue 9's "done when": the example script's whole loop, on SQLite and PostgreSQL — a group
bound to ST-DL, two similar suggestions merged and one different, supports, the digest on the
1st to each of the station's deputies, a B answer back to the group and the authors, and a
suggestion turned into a case that reaches the grid's deputy."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.simulator import Simulation
from storage.db import transaction
from storage.models import ChatIdentity, OutboxMessage, Suggestion

SCRIPT = Path(__file__).resolve().parent.parent / "examples" / "hometown-suggestions.jsonl"
GROUP = "group:dl-hometown"
STATION_DEPUTIES = ["deputy:D001", "deputy:D002", "deputy:D003", "deputy:D004", "deputy:D005"]


def to(transcript: list[dict], who: str) -> list[str]:
    return [line["text"] for line in transcript if line["to"] == who]


async def test_the_example_script_closes_the_loop(sim: Simulation):
    transcript = await sim.run_script(SCRIPT.read_text(encoding="utf-8").splitlines())
    group = to(transcript, GROUP)
    assert group[0].startswith("本群已绑定为东岭片区人大代表联络站")
    assert group[1].startswith("已收到wang的建议 JY-2026-000001（城乡建设）")
    assert "与建议 JY-2026-000001" in group[2] and "现2人支持" in group[2]
    assert group[3].startswith("已记录chen对建议 JY-2026-000001") and "现3人支持" in group[3]
    assert group[4].startswith("已收到zhao的建议 JY-2026-000003（交通运输）")
    assert "现2人支持" in group[5]

    # On the 1st at 09:00 every deputy of the station gets one digest with both numbers.
    for deputy in STATION_DEPUTIES:
        digests = [t for t in to(transcript, deputy) if t.startswith("【建议汇总")]
        assert len(digests) == 1, deputy
        lines = digests[0].splitlines()
        assert lines[0] == "【建议汇总｜东岭片区人大代表联络站｜2026年11月】"
        merged = next(line for line in lines if "JY-2026-000001" in line)
        other = next(line for line in lines if "JY-2026-000003" in line)
        assert "｜3人支持｜" in merged and "｜2人支持｜" in other
        assert "JY-2026-000002" not in digests[0]  # the repeat is a support, not a line
    digest_line = next(line for line in transcript if line["text"].startswith("【建议汇总｜东岭"))
    assert digest_line["at"] == "2026-12-01T09:00:00+08:00"
    assert digest_line["choices"] == ["答复 1", "答复 2"]
    assert any(t.startswith("【建议汇总｜全县｜2026年11月】") for t in to(transcript, "office"))
    assert not any("【建议汇总" in t for t in to(transcript, "deputy:D010"))  # another station
    # Its author hears the status change (汇总报送); li's repeat is not itself in a digest.
    assert any("JY-2026-000001" in t and "已汇总报送" in t for t in to(transcript, "resident:wang"))
    assert not any("已汇总报送" in t for t in to(transcript, "resident:li"))

    # The B answer: in the group, quoting the suggestion and its number; to the authors.
    answer = next(t for t in group if t.startswith("【建议答复】"))
    assert answer.startswith("【建议答复】建议 JY-2026-000001（wang：东岭村村口那几盏路灯坏了")
    assert (
        "莫小兰代表答复（B 正在办理或已列入计划）：\n已联系供电所，本月底前更换村口路灯" in answer
    )
    assert any("您提出的建议 JY-2026-000001 已获答复" in t for t in to(transcript, "resident:wang"))
    assert any("您附议的建议 JY-2026-000001 已获答复" in t for t in to(transcript, "resident:li"))

    # The other one became a case that reached the grid's deputy (骥马村: D004, D005).
    assigned = [t for t in to(transcript, "deputy:D004") if t.startswith("【新交办工单】")]
    assert len(assigned) == 1 and "骥马村到镇上的那段路坑坑洼洼" in assigned[0]
    assert any(t.startswith("【建议转办】建议 JY-2026-000003") for t in group)
    assert "答复（B 正在办理或已列入计划）" in to(transcript, "resident:wang")[-1]

    with transaction(sim.app.sessions) as session:
        first = session.scalars(
            select(Suggestion).where(Suggestion.number == "JY-2026-000001")
        ).one()
        assert [e.kind for e in first.events] == [
            "collected", "supported", "supported", "digested", "answered",
        ]  # fmt: skip
        assert (first.status, first.result) == ("answered", "B")
        third = session.scalars(
            select(Suggestion).where(Suggestion.number == "JY-2026-000003")
        ).one()
        assert third.status == "adopted" and third.case.deputy_code == "D004"
        # Members who never wrote to the bot in private were sent nothing privately: no row
        # was made that could never be delivered.
        group_only = dict(
            session.execute(
                select(ChatIdentity.id, ChatIdentity.external_id).where(
                    ChatIdentity.group_only.is_(True)
                )
            ).all()
        )
        assert sorted(group_only.values()) == [
            "group:dl-hometown/admin", "resident:chen", "resident:sun", "resident:zhao",
        ]  # fmt: skip
        undeliverable = session.scalars(
            select(OutboxMessage).where(
                OutboxMessage.recipient.in_([f"identity:{i}" for i in group_only])
            )
        ).all()
        assert undeliverable == []
        assert (
            session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held")).all() == []
        )
