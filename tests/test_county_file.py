"""The county file of INTERFACES.md: what office staff see when they import, re-import, export
and mistype it. Every refused file must leave the database exactly as it was."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import SAMPLE_COUNTY
from nlp.classifier import KeywordModel
from storage.county_file import (
    CountyFileError,
    ImportSummary,
    dump_county_yaml,
    export_county,
    import_county,
    load_county_file,
)
from storage.db import SessionFactory, make_engine, migrate, transaction
from storage.models import County, Department, Deputy, Grid, Station, Township

CATEGORIES = KeywordModel.load().categories
SAMPLE_TEXT = SAMPLE_COUNTY.read_text(encoding="utf-8")
SAMPLE = yaml.safe_load(SAMPLE_TEXT)
SECTIONS = ("townships", "stations", "grids", "deputies", "departments")
MODELS = {
    "townships": Township,
    "stations": Station,
    "grids": Grid,
    "deputies": Deputy,
    "departments": Department,
}

# Lines of the sample that the tests below edit (each occurs exactly once in the file).
MUSHAN_GRID = "{code: G-DL-03, name: 木山村, station: ST-DL, places: [木山村]}"
DONGLING_POLYGON = (
    "polygon: [[110.488, 24.764], [110.502, 24.764], [110.502, 24.778], "
    "[110.488, 24.778], [110.488, 24.764]]"
)
LI_JIANGUO = "{code: D002, name: 黎建国, level: township, stations: [ST-DL]"
WEI_HONGWEI = "{code: D005, name: 韦宏伟, level: county, stations: [ST-DL]"
XIJIE_STATION = "{code: ST-XJ, name: 西街片区人大代表联络站, township: YSZ, kind: area,"


def sessions_for(path: Path) -> tuple[Any, SessionFactory]:
    engine = make_engine(f"sqlite:///{path}")
    migrate(engine)
    return engine, sessionmaker(engine, expire_on_commit=False)


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    engine, factory = sessions_for(tmp_path / "county.sqlite3")
    yield factory
    engine.dispose()


@pytest.fixture
def other_sessions(tmp_path: Path) -> Iterator[SessionFactory]:
    """A second, fresh database."""
    engine, factory = sessions_for(tmp_path / "other.sqlite3")
    yield factory
    engine.dispose()


def import_file(sessions: SessionFactory, path: Path) -> ImportSummary:
    data = load_county_file(path, CATEGORIES)
    with transaction(sessions) as session:
        return import_county(session, data)


def export(sessions: SessionFactory) -> dict[str, Any]:
    with transaction(sessions) as session:
        return export_county(session)


def row_counts(sessions: SessionFactory) -> dict[str, int]:
    with transaction(sessions) as session:
        counts = {
            section: session.scalar(select(func.count()).select_from(model))
            for section, model in MODELS.items()
        }
        counts["county"] = session.scalar(select(func.count()).select_from(County))
    return counts


EMPTY = {section: 0 for section in (*SECTIONS, "county")}


def edited_sample(tmp_path: Path, old: str, new: str, name: str = "edited.yaml") -> Path:
    """A copy of the sample county with ``old`` (which must occur once) replaced by ``new``."""
    assert SAMPLE_TEXT.count(old) == 1, old
    path = tmp_path / name
    path.write_text(SAMPLE_TEXT.replace(old, new), encoding="utf-8")
    return path


def line_of(path: Path, fragment: str) -> int:
    """The 1-based number of the one line of ``path`` that contains ``fragment``."""
    numbers = [
        number
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if fragment in line
    ]
    assert len(numbers) == 1, (fragment, numbers)
    return numbers[0]


def refused(sessions: SessionFactory, path: Path) -> list[str]:
    """The errors of importing ``path``, which must be refused."""
    with pytest.raises(CountyFileError) as info:
        import_file(sessions, path)
    return info.value.errors


def missing(fragments: list[str], text: str) -> list[str]:
    return [fragment for fragment in fragments if fragment not in text]


# --- importing the sample ---------------------------------------------------------------


def test_importing_the_sample_county_creates_what_the_file_lists(sessions: SessionFactory):
    expected = {section: len(SAMPLE[section]) for section in SECTIONS}

    summary = import_file(sessions, SAMPLE_COUNTY)

    assert summary.counts == expected
    assert row_counts(sessions) == {**expected, "county": 1}
    assert summary.created == sum(expected.values()) + 1  # and the county itself
    assert summary.updated == 0
    with transaction(sessions) as session:
        county = session.get(County, SAMPLE["county"]["code"])
        assert (county.name, county.office_name) == (
            SAMPLE["county"]["name"],
            SAMPLE["office"]["name"],
        )


def test_each_deputy_has_the_stations_grids_and_headships_of_the_file(sessions: SessionFactory):
    import_file(sessions, SAMPLE_COUNTY)

    expected = {
        d["code"]: (sorted(d["stations"]), sorted(d["grids"]), sorted(d.get("head_of", [])))
        for d in SAMPLE["deputies"]
    }
    with transaction(sessions) as session:
        actual = {
            d.code: (
                sorted(s.code for s in d.stations),
                sorted(g.code for g in d.grids),
                sorted(s.code for s in d.head_of),
            )
            for d in session.scalars(select(Deputy))
        }
    assert actual == expected


def test_importing_the_same_file_twice_changes_nothing(sessions: SessionFactory):
    import_file(sessions, SAMPLE_COUNTY)
    before_rows, before = row_counts(sessions), export(sessions)

    again = import_file(sessions, SAMPLE_COUNTY)

    assert row_counts(sessions) == before_rows
    assert export(sessions) == before
    # Nothing changed, so nothing is counted as updated (it said "91 updated").
    assert (again.created, again.updated) == (0, 0)
    assert again.unchanged == sum(before_rows.values())


def test_reimporting_an_edited_copy_updates_that_row_only(sessions: SessionFactory, tmp_path: Path):
    import_file(sessions, SAMPLE_COUNTY)
    before_rows, before = row_counts(sessions), export(sessions)
    renamed = edited_sample(tmp_path, LI_JIANGUO, LI_JIANGUO.replace("黎建国", "黎建民"))

    summary = import_file(sessions, renamed)

    assert (summary.created, summary.updated) == (0, 1)
    assert row_counts(sessions) == before_rows
    after = export(sessions)
    [d002] = [d for d in after["deputies"] if d["code"] == "D002"]
    assert d002["name"] == "黎建民"
    # Everything else, D002's stations and grids included, is as before.
    d002["name"] = "黎建国"
    assert after == before


# --- refused files ----------------------------------------------------------------------


def test_a_misspelt_key_names_the_line_and_suggests_the_right_one(
    sessions: SessionFactory, tmp_path: Path
):
    path = edited_sample(tmp_path, MUSHAN_GRID, MUSHAN_GRID.replace("station:", "statoin:"))
    line = line_of(path, "statoin:")

    errors = refused(sessions, path)

    [typo] = [e for e in errors if "statoin" in e]
    assert typo.startswith(f"第{line}行：")
    assert missing(["“statoin”", "“station”"], typo) == []
    assert row_counts(sessions) == EMPTY


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (MUSHAN_GRID, MUSHAN_GRID.replace("station:", "statoin:")),
        (XIJIE_STATION, XIJIE_STATION.replace(" kind: area,", "")),
    ],
    ids=["misspelt station", "missing kind"],
)
def test_a_missing_key_is_not_reported_as_the_value_none(
    sessions: SessionFactory, tmp_path: Path, old: str, new: str
):
    path = edited_sample(tmp_path, old, new)

    errors = refused(sessions, path)

    assert [e for e in errors if "None" in e] == []


def test_a_reference_to_a_missing_code_names_both_codes(sessions: SessionFactory, tmp_path: Path):
    path = edited_sample(tmp_path, MUSHAN_GRID, MUSHAN_GRID.replace("ST-DL", "ST-NOPE"))
    line = line_of(path, "ST-NOPE")

    errors = refused(sessions, path)

    assert len(errors) == 1
    assert errors[0].startswith(f"第{line}行：")
    assert missing(["G-DL-03", "ST-NOPE"], errors[0]) == []
    assert row_counts(sessions) == EMPTY


@pytest.mark.parametrize(
    ("old", "new", "marker", "fragments"),
    [
        (
            LI_JIANGUO + ", grids: [G-DL-01], expertise: [农业农村],",
            LI_JIANGUO + ", grids: [G-DL-01], expertise: [农业],",
            "expertise: [农业]",
            ["D002", "“农业”"],
        ),
        (
            LI_JIANGUO,
            LI_JIANGUO.replace("level: township", "level: village"),
            "level: village",
            ["D002", "level", "village"],
        ),
        (
            XIJIE_STATION,
            XIJIE_STATION.replace("kind: area", "kind: 片区"),
            "kind: 片区",
            ["ST-XJ", "kind", "片区"],
        ),
        (
            DONGLING_POLYGON,
            "polygon: [[110.488, 24.764], [110.502]]",
            "[110.502]]",
            ["G-DL-01", "polygon"],
        ),
        (
            DONGLING_POLYGON,  # [lat, lon] instead of [lon, lat]
            "polygon: [[24.764, 110.488], [24.764, 110.502], [24.778, 110.502]]",
            "[24.764, 110.488]",
            ["G-DL-01", "polygon"],
        ),
        (
            WEI_HONGWEI,
            WEI_HONGWEI.replace("D005", "D004"),
            "韦宏伟",
            ["D004", "重复"],
        ),
        (
            WEI_HONGWEI,
            WEI_HONGWEI.replace("[ST-DL]", "[ST-DL"),
            "韦宏伟",
            ["YAML"],
        ),
    ],
    ids=[
        "unknown category",
        "bad level",
        "bad kind",
        "polygon of two points",
        "polygon in lat-lon order",
        "duplicate code",
        "YAML syntax error",
    ],
)
def test_a_mistake_is_refused_naming_its_line_and_nothing_is_imported(
    sessions: SessionFactory,
    tmp_path: Path,
    old: str,
    new: str,
    marker: str,
    fragments: list[str],
):
    path = edited_sample(tmp_path, old, new)
    line = line_of(path, marker)

    errors = refused(sessions, path)

    assert len(errors) == 1, errors
    assert errors[0].startswith(f"第{line}行：")
    assert missing(fragments, errors[0]) == []
    assert row_counts(sessions) == EMPTY


def test_a_refused_reimport_leaves_the_imported_county_as_it_was(
    sessions: SessionFactory, tmp_path: Path
):
    import_file(sessions, SAMPLE_COUNTY)
    before = export(sessions)
    text = SAMPLE_TEXT.replace("黎建国", "黎建民").replace("level: national", "level: nation")
    path = tmp_path / "half-right.yaml"
    path.write_text(text, encoding="utf-8")

    errors = refused(sessions, path)

    assert len(errors) == 1
    assert missing(["D017", "nation"], errors[0]) == []
    assert export(sessions) == before


def test_the_error_message_tells_staff_that_nothing_was_imported(tmp_path: Path):
    path = edited_sample(tmp_path, MUSHAN_GRID, MUSHAN_GRID.replace("ST-DL", "ST-NOPE"))

    with pytest.raises(CountyFileError) as info:
        load_county_file(path, CATEGORIES)

    first_line = str(info.value).splitlines()[0]
    assert missing([str(path), "未导入任何内容"], first_line) == []


# --- export -----------------------------------------------------------------------------


def test_export_import_export_round_trips(
    sessions: SessionFactory, other_sessions: SessionFactory, tmp_path: Path
):
    import_file(sessions, SAMPLE_COUNTY)
    first = export(sessions)
    exported = tmp_path / "exported.yaml"
    exported.write_text(dump_county_yaml(first), encoding="utf-8")

    summary = import_file(other_sessions, exported)

    assert summary.counts == {section: len(SAMPLE[section]) for section in SECTIONS}
    assert export(other_sessions) == first
    assert yaml.safe_load(exported.read_text(encoding="utf-8")) == first


def _normal(data: dict[str, Any]) -> dict[str, Any]:
    """A county file's content up to order of entries and of code lists, and empty lists."""
    unordered = ("stations", "grids", "head_of")
    return {
        "county": data["county"],
        "office": data["office"],
        **{
            section: {
                entry["code"]: {
                    key: sorted(value) if key in unordered else value
                    for key, value in entry.items()
                    if value not in ([], None)
                }
                for entry in data[section]
            }
            for section in SECTIONS
        },
    }


def test_the_export_describes_the_county_of_the_imported_file(sessions: SessionFactory):
    import_file(sessions, SAMPLE_COUNTY)

    assert _normal(export(sessions)) == _normal(SAMPLE)


def test_an_empty_database_exports_nothing(sessions: SessionFactory):
    assert export(sessions) == {}
    assert dump_county_yaml({}) == ""


def test_a_code_yaml_reads_as_a_boolean_is_refused_with_a_hint(tmp_path: Path) -> None:
    path = tmp_path / "county.yaml"
    path.write_text(
        SAMPLE_TEXT.replace("{code: YSZ, name: 阳朔镇}", "{code: NO, name: 阳朔镇}"),
        encoding="utf-8",
    )
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, CATEGORIES)
    assert any("请加引号" in error for error in refused.value.errors)


def test_a_polygon_of_booleans_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "county.yaml"
    path.write_text(
        SAMPLE_TEXT.replace(
            "places: [大利村]}",
            "places: [大利村], polygon: [[true, false], [true, true], [false, true]]}",
        ),
        encoding="utf-8",
    )
    with pytest.raises(CountyFileError) as refused:
        load_county_file(path, CATEGORIES)
    assert any("polygon" in error for error in refused.value.errors)
