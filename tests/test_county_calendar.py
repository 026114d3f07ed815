"""The county keeps the calendar current (issue 11, item 4): a ``calendar:`` section in the
county file overrides chinese-calendar for the dates it lists, parsed defensively, stored,
exported and used by every process; from 1 December the office is told once when next
year's schedule is unknown to both. Also departments' ``contact:`` (issue 12, item 2)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import SAMPLE_COUNTY, build_app
from bot.simulator import Simulation
from casework.clock import ManualClock
from nlp.classifier import KeywordModel
from storage.county_file import (
    CountyFileError,
    dump_county_yaml,
    export_county,
    import_county,
    load_county_file,
)
from storage.db import SessionFactory, make_engine, migrate, transaction
from storage.models import Case, County, Department, JobRun
from tests.conftest import make_app, make_settings

SHANGHAI = ZoneInfo("Asia/Shanghai")
CATEGORIES = KeywordModel.load().categories
SAMPLE_TEXT = SAMPLE_COUNTY.read_text("utf-8")
RS = "name: 县人力资源和社会保障局, categories: [劳动和社会保障], contact: office"


def with_contact(contact: str) -> str:
    return SAMPLE_TEXT.replace(RS, RS.replace("office", contact))


# An ILLUSTRATIVE 2027 National Day, not the official schedule (published each November or
# December by the State Council's General Office): 1–7 October off, Saturday 9 October worked.
CALENDAR_2027 = """
calendar:
  holidays: [2027-10-01, 2027-10-02, 2027-10-03, 2027-10-04, 2027-10-05, 2027-10-06,
             2027-10-07]
  workdays:
    - 2027-10-09
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def county_file(tmp_path: Path, extra: str = "", *, name: str = "county.yaml") -> Path:
    path = tmp_path / name
    path.write_text(SAMPLE_TEXT + extra, "utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    lines = path.read_text("utf-8").splitlines()
    return next(i for i, line in enumerate(lines, start=1) if fragment in line)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    engine = make_engine(f"sqlite:///{tmp_path / 'county.sqlite3'}")
    migrate(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()


# --- parsing ----------------------------------------------------------------------------


def test_a_calendar_section_is_read_as_sorted_iso_dates(tmp_path: Path):
    data = load_county_file(county_file(tmp_path, CALENDAR_2027), CATEGORIES)
    assert data.calendar == {
        "holidays": [f"2027-10-0{d}" for d in range(1, 8)],
        "workdays": ["2027-10-09"],
    }


@pytest.mark.parametrize(
    ("section", "marker", "fragments"),
    [
        pytest.param(
            "calendar:\n  holiday: [2027-10-01]\n",
            "holiday:",
            ["calendar 中有未知字段“holiday”", "holidays"],
            id="misspelt key",
        ),
        pytest.param(
            "calendar:\n  holidays:\n    - 2027-10-01\n    - 2027-02-30\n",
            "2027-02-30",
            ["“2027-02-30”不是有效日期", "YYYY-MM-DD"],
            id="no such day",
        ),
        pytest.param(
            "calendar:\n  holidays: [2027/10/01]\n",
            "2027/10/01",
            ["“2027/10/01”不是有效日期"],
            id="slashes",
        ),
        pytest.param(
            "calendar:\n  workdays: [20271009]\n", "20271009", ["不是有效日期"], id="no dashes"
        ),
        pytest.param(
            "calendar:\n  holidays: [2027-10-09]\n  workdays:\n    - 2027-10-09\n",
            "    - 2027-10-09",
            ["2027-10-09 同时列在 holidays", "和 workdays 中"],
            id="in both lists",
        ),
        pytest.param(
            "calendar:\n  holidays: 2027-10-01\n",
            "holidays: 2027-10-01",
            ["“holidays”应为日期列表"],
            id="not a list",
        ),
        pytest.param(
            "calendar: [2027-10-01]\n", "calendar:", ["calendar 应为“键: 值”的映射"], id="list"
        ),
    ],
)
def test_a_bad_calendar_is_refused_naming_its_line_and_nothing_is_imported(
    sessions: SessionFactory, tmp_path: Path, section: str, marker: str, fragments: list[str]
):
    path = county_file(tmp_path, section)
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, CATEGORIES)
    assert len(refused.value.errors) == 1, refused.value.errors
    error = refused.value.errors[0]
    assert error.startswith(f"第{line_of(path, marker)}行："), error
    assert [f for f in fragments if f not in error] == []
    with transaction(sessions) as session:
        assert session.scalar(select(func.count()).select_from(County)) == 0


def test_a_calendar_key_is_suggested_among_the_sections(tmp_path: Path):
    path = county_file(tmp_path, "calender: {holidays: [2027-10-01]}\n")
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, CATEGORIES)
    assert refused.value.errors == [
        f"第{line_of(path, 'calender')}行：未知字段“calender”（是否应为“calendar”？）"
    ]


# --- stored, exported, used --------------------------------------------------------------------


def test_the_calendar_and_a_contact_are_stored_and_exported(sessions: SessionFactory, tmp_path):
    text = with_contact("D005") + CALENDAR_2027
    path = tmp_path / "county.yaml"
    path.write_text(text, "utf-8")
    with transaction(sessions) as session:
        import_county(session, load_county_file(path, CATEGORIES))
    with transaction(sessions) as session:
        assert session.get(County, "YS").calendar["workdays"] == ["2027-10-09"]
        assert session.get(Department, "DEP-RS").contact == "D005"
        exported = export_county(session)
    assert exported["calendar"]["holidays"][0] == "2027-10-01"
    again = tmp_path / "again.yaml"
    again.write_text(dump_county_yaml(exported), "utf-8")
    reread = load_county_file(again, CATEGORIES)
    assert reread.calendar == exported["calendar"]
    assert (
        next(e for e in reread.entries("departments") if e.values["code"] == "DEP-RS").values[
            "contact"
        ]
        == "D005"
    )


@pytest.mark.parametrize(
    ("contact", "ok"), [("office", True), ("D005", True), ("D999", False)], ids=str
)
def test_a_department_contact_is_the_office_or_a_deputy_of_the_file(tmp_path, contact, ok):
    path = tmp_path / "county.yaml"
    path.write_text(with_contact(contact), "utf-8")
    if ok:
        load_county_file(path, CATEGORIES)
        return
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, CATEGORIES)
    assert refused.value.errors == [
        f"第{line_of(path, 'DEP-RS')}行：部门 DEP-RS 的“contact”应为 office 或代表代码，"
        "但未定义代表 D999。"
    ]


async def test_every_process_counts_working_days_with_the_county_calendar(tmp_path: Path):
    clock = ManualClock(at("2027-09-30T10:00"))
    settings = make_settings(f"sqlite:///{tmp_path / 'c.sqlite3'}", tmp_path)
    importer = build_app(settings, clock, county_file=county_file(tmp_path, CALENDAR_2027))
    importer.engine.dispose()
    worker = build_app(settings, clock)  # another process: reads the county from the database
    sim = Simulation.attach(worker, clock)
    await sim.say("resident:a", "东岭村的水渠堵了，农田灌溉不了")
    await sim.say("resident:a", "确认提交")
    with transaction(worker.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert case.accept_due_at == at("2027-10-08T10:00")  # not 1 October
    sent = await sim.advance("10d")
    days = {s.at.astimezone(SHANGHAI).date().isoformat() for s in sent if "YS-2027" in s.text}
    assert days and not {f"2027-10-0{d}" for d in range(1, 8)} & days
    worker.engine.dispose()


# --- the yearly notice -----------------------------------------------------------------------


def calendar_job(app):
    return next(j for j in app.jobs if j.name == "calendar")


async def test_from_december_the_office_is_told_once_that_next_year_is_unknown(
    sqlite_url: str, tmp_path: Path
):
    clock = ManualClock(at("2026-11-27T10:00"))  # Friday
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    sent = [s for s in await sim.advance("20d") if s.text.startswith("【日历提醒】")]
    assert [(s.at.astimezone(SHANGHAI).strftime("%m-%d %H:%M"), s.chat_id) for s in sent] == [
        ("12-01 09:00", "office")
    ]
    assert "2027年" in sent[0].text and "calendar:" in sent[0].text
    with transaction(app.sessions) as session:
        assert session.get(JobRun, ("calendar", "2027")) is not None
    app.engine.dispose()


async def test_two_workers_tell_the_office_once(db_url: str, tmp_path: Path):
    clock = ManualClock(at("2026-12-01T09:00"))
    workers = [make_app(db_url, tmp_path, clock) for _ in range(2)]
    told = await asyncio.gather(*(asyncio.to_thread(calendar_job(w).run) for w in workers))
    assert sorted(told) == [0, 1]
    for w in workers:
        w.engine.dispose()


def test_nothing_is_said_in_november_or_when_the_county_lists_next_year(tmp_path: Path):
    clock = ManualClock(at("2026-11-30T09:00"))
    settings = make_settings(f"sqlite:///{tmp_path / 'n.sqlite3'}", tmp_path)
    app = build_app(settings, clock, county_file=SAMPLE_COUNTY)
    assert calendar_job(app).run() == 0  # November: 2026 is known
    app.engine.dispose()
    clock = ManualClock(at("2026-12-01T09:00"))
    settings = make_settings(f"sqlite:///{tmp_path / 'k.sqlite3'}", tmp_path)
    app = build_app(settings, clock, county_file=county_file(tmp_path, CALENDAR_2027))
    assert calendar_job(app).run() == 0  # the county file lists 2027
    app.engine.dispose()
