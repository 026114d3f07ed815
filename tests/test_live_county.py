"""A running process follows `county import` (issue 12, item 14): the county directory, the
routing by place names and the gazetteer refresh within seconds, like the keyword file."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from bot.bootstrap import SAMPLE_COUNTY, import_county_file
from bot.simulator import Simulation
from casework.live_county import LiveCounty, county_revision
from nlp.classifier import KeywordModel
from storage.db import transaction
from storage.models import Case

NEW_VILLAGE = "{code: G-DL-04, name: 桂花村, station: ST-DL, places: [桂花村, 桂花岭]}"


def with_a_new_village(tmp_path: Path) -> Path:
    text = SAMPLE_COUNTY.read_text(encoding="utf-8")
    mushan = "  - {code: G-DL-03, name: 木山村, station: ST-DL, places: [木山村]}\n"
    assert mushan in text
    path = tmp_path / "新村.yaml"
    path.write_text(text.replace(mushan, mushan + f"  - {NEW_VILLAGE}\n"), encoding="utf-8")
    return path


class Ticking:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_directory_reloads_when_the_revision_moves_not_before_its_check(
    sqlite_sim: Simulation, tmp_path: Path
):
    sessions = sqlite_sim.app.sessions
    seconds = Ticking()
    county = LiveCounty(sessions, check_every=2.0, monotonic=seconds)
    before = county_revision(sessions)
    assert "G-DL-04" not in dict(county.grids_by_township["YSZ"])

    import_county_file(sessions, with_a_new_village(tmp_path), KeywordModel.load())
    assert county_revision(sessions) == before + 1
    seconds.now = 1.0
    assert "G-DL-04" not in dict(county.grids_by_township["YSZ"])  # checked at most every 2 s
    seconds.now = 2.5
    assert dict(county.grids_by_township["YSZ"])["G-DL-04"] == "桂花村"


def test_reimporting_the_same_file_does_not_move_the_revision(sqlite_sim: Simulation):
    sessions = sqlite_sim.app.sessions
    before = county_revision(sessions)
    import_county_file(sessions, SAMPLE_COUNTY, KeywordModel.load())
    assert county_revision(sessions) == before


async def test_a_running_process_routes_by_a_village_imported_after_it_started(
    sqlite_sim: Simulation, tmp_path: Path
):
    """After `county import` a running process kept the old county until restarted."""
    county = sqlite_sim.app.services.directory
    assert isinstance(county, LiveCounty)
    county.check_every = 0  # "within seconds": here, at the next message
    import_county_file(sqlite_sim.app.sessions, with_a_new_village(tmp_path), KeywordModel.load())

    summary = await sqlite_sim.say("resident:a", "桂花岭的路灯坏了")
    assert "【位置】阳朔镇桂花村" in summary[-1].text
    await sqlite_sim.say("resident:a", "确认提交")
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalars(select(Case.grid_code)).one() == "G-DL-04"
