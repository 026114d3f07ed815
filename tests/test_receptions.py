"""Reception days (进站接待): scheduled by CLI or by a head in chat, refused when past or for
a deputy of another station, reminded on the last working day before, told to residents."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from bot.cli import main
from storage.db import transaction
from storage.models import Reception
from tests.conftest import SHANGHAI


def _receptions(sim) -> int:
    with transaction(sim.app.sessions) as session:
        return session.scalar(select(func.count(Reception.id))) or 0


async def test_a_head_schedules_in_chat_and_the_deputies_are_told_then_reminded(sqlite_sim):
    sim = sqlite_sim  # Monday 23 November 2026, 09:00
    sent = await sim.say("deputy:D001", "接待 2026-11-26 09:00-11:30 D001,D002")
    texts = {(s.chat_id, s.text) for s in sent}
    assert any(c == "deputy:D001" and "已安排东岭片区人大代表联络站进站接待" in t for c, t in texts)
    assert any(c == "deputy:D002" and t.startswith("【接待安排】") for c, t in texts)
    assert _receptions(sim) == 1

    quiet = await sim.advance("47h")  # Wednesday 08:00: not yet
    assert not [s for s in quiet if s.text.startswith("【接待提醒】")]
    later = await sim.advance("2h")  # Wednesday 09:00, the day before
    reminders = [s for s in later if s.text.startswith("【接待提醒】")]
    assert sorted(s.chat_id for s in reminders) == ["deputy:D001", "deputy:D002"]
    times = {s.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M") for s in reminders}
    assert times == {"11-25 09:00"}
    assert "11月26日（周四）09:00–11:30" in reminders[0].text
    again = await sim.advance("1d")
    assert not [s for s in again if s.text.startswith("【接待提醒】")]


async def test_a_monday_reception_is_reminded_on_the_friday_before(sqlite_sim):
    sim = sqlite_sim
    await sim.say("deputy:D001", "接待 2026-11-30 09:00-11:30 D002")
    sent = await sim.advance("5d")  # to Saturday 28 November 09:00
    reminders = [s for s in sent if s.text.startswith("【接待提醒】")]
    assert [s.at.astimezone(SHANGHAI).strftime("%m-%d") for s in reminders] == ["11-27"]


async def test_bad_receptions_are_refused_and_nothing_is_stored(sqlite_sim):
    sim = sqlite_sim
    cases = [
        ("deputy:D001", "接待 2026-11-20 09:00-11:30 D001", "已经过去"),
        ("deputy:D001", "接待 2026-11-26 09:00-11:30 D006", "不是东岭片区人大代表联络站的代表"),
        ("deputy:D001", "接待 2026-11-26 11:30-09:00 D001", "开始时间应早于结束时间"),
        ("deputy:D001", "接待 2026-13-01 09:00-11:30 D001", "不是有效日期"),
        ("deputy:D001", "接待 2026-11-26 09:00-11:30 D999", "没有找到代表 D999"),
        ("deputy:D002", "接待 2026-11-26 09:00-11:30 D002", "只有联络站站长"),
        ("deputy:D001", "接待 ST-XJ 2026-11-26 09:00-11:30 D006", "您不是 ST-XJ 的站长"),
        ("office", "接待 2026-11-26 09:00-11:30 D001", "请写明联络站编号"),
    ]
    for actor, text, expected in cases:
        [reply] = await sim.say(actor, text)
        assert expected in reply.text, (text, reply.text)
    assert _receptions(sim) == 0


async def test_the_office_schedules_and_residents_of_the_station_hear_of_it(sqlite_sim):
    sim = sqlite_sim
    await sim.say("office", "接待 ST-DL 2026-12-15 09:00-11:30 D001,D002")
    [welcome] = await sim.send("resident:alice", start="ST-DL")
    assert "本站下次代表接待：12月15日（周二）09:00–11:30，接待代表：莫小兰、黎建国" in welcome.text
    [other] = await sim.send("resident:bob", start="ST-XJ")
    assert "下次代表接待" not in other.text
    [listing] = await sim.say("deputy:D002", "接待安排")
    assert "东岭片区人大代表联络站｜12月15日（周二）09:00–11:30｜莫小兰、黎建国" in listing.text


def test_reception_add_on_the_command_line(sqlite_url: str, tmp_path: Path, capsys, monkeypatch):
    monkeypatch.setenv("GRID_INTAKE_DATA", str(tmp_path / "var"))
    now = "2026-11-23T09:00:00"
    args = ["--db", sqlite_url, "reception", "add", "ST-DL", "2026-12-15", "09:00-11:30"]
    assert main([*args, "D001,D002", "--as-of", now]) == 0
    assert "已安排东岭片区人大代表联络站进站接待：12月15日（周二）" in capsys.readouterr().out
    assert main([*args, "D001,D006", "--as-of", now]) == 1
    assert "唐志强代表（D006）不是东岭片区人大代表联络站的代表" in capsys.readouterr().err
    past = ["--db", sqlite_url, "reception", "add", "ST-DL", "2026-11-01", "09:00-11:30"]
    assert main([*past, "D001", "--as-of", now]) == 1
    assert "已经过去" in capsys.readouterr().err
    assert main(["--db", sqlite_url, "reception", "list", "--as-of", now]) == 0
    assert capsys.readouterr().out.count("ST-DL") == 1
