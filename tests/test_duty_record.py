"""The duty record end to end (examples/duty-record.jsonl): reception, reminder, 代录, the
claim, the 1st-of-month duties only to those who missed them, 我的积分 as the ledger implies;
recomputing points from the ledger gives the same totals; the county file's rules."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select

from bot.cli import main
from bot.simulator import Simulation
from casework.points import sync, totals
from storage.county_file import CountyFileError, load_county_file
from storage.db import transaction
from storage.models import PointsEntry
from tests.conftest import SHANGHAI

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "duty-record.jsonl"
SAMPLE = Path(__file__).resolve().parent.parent / "storage" / "data" / "yangshuo.yaml"


def _to(transcript: list[dict], who: str, fragment: str) -> list[dict]:
    return [line for line in transcript if line["to"] == who and fragment in line["text"]]


async def test_the_duty_record_example(sqlite_sim: Simulation):
    sim = sqlite_sim  # Monday 23 November 2026, 09:00
    transcript = await sim.run_script(EXAMPLE.read_text(encoding="utf-8").splitlines())

    reminders = [line for line in transcript if line["text"].startswith("【接待提醒】")]
    assert sorted(line["to"] for line in reminders) == ["deputy:D001", "deputy:D003"]
    assert {line["at"][:16] for line in reminders} == {"2026-11-25T09:00"}
    assert _to(transcript, "deputy:D003", "已代录工单 YS-2026-000001，认领码：")
    assert _to(transcript, "deputy:D001", "【新交办工单】")
    assert _to(transcript, "deputy:D003", "【代录工单 YS-2026-000001｜请转告群众】")
    assert _to(transcript, "resident:alice", "认领成功")
    assert _to(transcript, "resident:alice", "已办结。\n办理结果：路灯已更换")

    duty = [line for line in transcript if line["text"].startswith("【履职提醒】")]
    told = {line["to"] for line in duty}
    assert "deputy:D001" not in told  # received, reported: nothing missing
    assert "deputy:D002" in told and len(told) == 30
    [d003] = [line for line in duty if line["to"] == "deputy:D003"]
    assert "尚未完成：报送社情民意（0/1条）" in d003["text"] and "进站接待" not in d003["text"]
    [office] = _to(transcript, "office", "【履职情况】2026年11月未完成履职任务的代表（30位）")
    assert "莫小兰" not in office["text"]

    [points] = _to(transcript, "deputy:D001", "本年度积分：")
    assert "本年度积分：10 分" in points["text"]  # 接待2 社情民意2 签收1 答复2 满意3
    assert "站内排名：第1名" in points["text"] and "全县排名：第1名（共31位）" in points["text"]
    with transaction(sim.app.sessions) as session:
        rules = set(
            session.scalars(select(PointsEntry.rule).where(PointsEntry.deputy_code == "D001"))
        )
        assert rules == {"按时答复", "按时签收", "办结且满意", "接待", "社情民意"}
        before = totals(session, 2026)
        assert (before["D001"], before["D003"]) == (10, 3)  # 赵桂芬: 接待2 代录1
        session.execute(delete(PointsEntry))
        now = sim.clock.now()
        assert sync(session, 2026, SHANGHAI, now) == before  # recomputed from the ledger
        assert sync(session, 2026, SHANGHAI, now) == before  # and again: nothing changes
        assert sum(sync(session, 2027, SHANGHAI, now).values()) == 0  # a new year starts at 0


async def test_dissatisfied_reopen_and_overdue_cost_points(sqlite_sim: Simulation):
    sim = sqlite_sim
    await sim.say("resident:a", "东岭村的路灯坏了")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D001", "受理 YS-2026-000001")
    await sim.say("deputy:D001", "办结 YS-2026-000001 已修")
    await sim.say("resident:a", "1")  # 非常不满意
    await sim.say("resident:a", "根本没修")
    sent = await sim.advance("20d")  # the reopened round runs past its limits
    assert any("通报" in s.text for s in sent)
    [reply] = await sim.say("deputy:D001", "我的积分")
    assert "不满意重办 -2" in reply.text and "逾期通报 -3" in reply.text


async def test_observation_is_classified_stored_and_refused_when_empty(sqlite_sim):
    sim = sqlite_sim
    [refused] = await sim.say("deputy:D002", "社情民意")
    assert "请在“社情民意”后写明" in refused.text
    sent = await sim.say("deputy:D002", "社情民意 村里农田灌溉水渠年久失修，群众反映强烈")
    assert any("已登记您报送的社情民意（类别：农业农村）" in s.text for s in sent)
    assert any(s.chat_id == "office" and s.text.startswith("【社情民意】黎建国代表") for s in sent)
    [resident] = await sim.say("resident:a", "我的积分")
    assert "仅供人大代表" in resident.text


async def test_year_end_stars_go_to_the_office(sqlite_sim: Simulation):
    sim = sqlite_sim
    await sim.say("deputy:D002", "社情民意 村里农田灌溉水渠年久失修，群众反映强烈")
    sent = await sim.advance("39d")  # past 31 December 10:00
    [stars] = [s for s in sent if s.text.startswith("【履职之星】")]
    assert stars.chat_id == "office" and "乡镇级代表：黎建国（2分）" in stars.text
    assert stars.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") == "12-31 10:00"


def test_points_rules_in_the_county_file(tmp_path: Path):
    text = SAMPLE.read_text(encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_text(
        text + "points: {按时签收: 2, 逾期通报: -5}\nduties: {receptions: 2}\nstars: 5\n"
    )
    categories = "城乡建设 交通运输 农业农村 商贸旅游 环境保护 教育文体 劳动和社会保障 卫生计生"
    data = load_county_file(good, [*categories.split(), "矛盾纠纷", "其他"])
    assert data.points == {"按时签收": 2, "逾期通报": -5}
    assert (data.duties, data.stars) == ({"receptions": 2}, 5)
    bad = tmp_path / "bad.yaml"
    lines = len(text.splitlines())
    bad.write_text(text + "points:\n  按时签收: 1\n  开会: 3\n")
    with pytest.raises(CountyFileError) as error:
        load_county_file(bad, ["城乡建设"])
    assert f"第{lines + 3}行：points 中有未知名称“开会”" in str(error.value)


def test_points_on_the_command_line(sqlite_url: str, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("GRID_INTAKE_DATA", str(tmp_path / "var"))
    xlsx = tmp_path / "points.xlsx"
    assert main(["--db", sqlite_url, "points", "--year", "2026", "--xlsx", str(xlsx)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("2026年度履职积分") and "已写入" in out and xlsx.exists()
    _ = json  # the transcript lines are JSON in the example test above
