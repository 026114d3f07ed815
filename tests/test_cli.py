"""The ``grid-intake`` command line of INTERFACES.md, run in-process: what a user types and
sees, and the exit status (0 success, 1 user error with one line on stderr, 2 usage)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import yaml

from bot.bootstrap import SAMPLE_COUNTY
from bot.cli import main

TICKET = "YS-2026-000001"
SAMPLE = yaml.safe_load(SAMPLE_COUNTY.read_text(encoding="utf-8"))
SECTIONS = ("townships", "stations", "grids", "deputies", "departments")

STREETLIGHT_SCRIPT = [
    {"from": "resident:alice", "start": "ST-DL"},
    {"from": "resident:alice", "text": "东岭村的路灯坏了"},
    {"from": "resident:alice", "choose": 1},
    {"from": "deputy:D001", "text": f"受理 {TICKET}"},
    {"from": "deputy:D001", "text": f"回复 {TICKET} 已联系供电所，明天上午来修"},
    {"from": "deputy:D001", "text": f"办结 {TICKET} 路灯已更换"},
]


@dataclass
class Result:
    code: int
    out: str
    err: str


Cli = Callable[..., Result]


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Cli:
    """``cli("county", "show")`` runs ``grid-intake county show`` in an empty folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRID_INTAKE_DATA", str(tmp_path / "var"))
    monkeypatch.delenv("GRID_INTAKE_DB", raising=False)
    monkeypatch.delenv("GRID_INTAKE_TZ", raising=False)

    def run(*args: str) -> Result:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return Result(code, captured.out, captured.err)

    return run


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.sqlite3'}"


def write_script(path: Path, steps: list[dict]) -> Path:
    path.write_text(
        "".join(json.dumps(step, ensure_ascii=False) + "\n" for step in steps), encoding="utf-8"
    )
    return path


def one_line(err: str) -> str:
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


# --- simulate and cases -----------------------------------------------------------------


def test_simulate_prints_the_transcript_and_the_ledger_shows_the_resolved_case(
    cli: Cli, db: str, tmp_path: Path
):
    script = write_script(tmp_path / "路灯.jsonl", STREETLIGHT_SCRIPT)

    result = cli("--db", db, "simulate", str(script), "--start", "2026-11-23T09:00:00")

    assert (result.code, result.err) == (0, "")
    transcript = [json.loads(line) for line in result.out.splitlines()]
    assert {tuple(sorted(line)) for line in transcript} == {("at", "choices", "text", "to")}
    assert {line["to"] for line in transcript} == {"resident:alice", "deputy:D001"}
    to_alice = [line["text"] for line in transcript if line["to"] == "resident:alice"]
    assert [text for text in to_alice if f"工单号：{TICKET}" in text] != []
    assert "已办结" in to_alice[-2]
    assert "请您评价" in to_alice[-1]  # the rating question follows the result
    assert {line["at"] for line in transcript} == {"2026-11-23T09:00:00+08:00"}

    ledger = cli("--db", db, "cases", "list", "--json")

    assert ledger.code == 0
    [case] = json.loads(ledger.out)
    assert (case["ticket"], case["status"]) == (TICKET, "resolved")
    assert [e["kind"] for e in case["events"]] == [
        "submitted",
        "assigned",
        "accepted",
        "answered",
        "resolved",
    ]
    offsets = {datetime.fromisoformat(e["at"]).utcoffset() for e in case["events"]}
    assert offsets == {timedelta(hours=8)}
    assert [e["at"][-6:] for e in case["events"]] == ["+08:00"] * 5


def test_cases_list_filters_by_status(cli: Cli, db: str, tmp_path: Path):
    script = write_script(tmp_path / "路灯.jsonl", STREETLIGHT_SCRIPT)
    cli("--db", db, "simulate", str(script), "--start", "2026-11-23T09:00:00")

    resolved = cli("--db", db, "cases", "list", "--status", "resolved")
    accepted = cli("--db", db, "cases", "list", "--status", "accepted", "--json")

    assert resolved.code == 0
    assert [line.split()[0] for line in resolved.out.splitlines()] == [TICKET]
    assert (accepted.code, json.loads(accepted.out)) == (0, [])


def test_a_script_line_that_is_not_json_is_named_on_stderr(cli: Cli, db: str, tmp_path: Path):
    script = tmp_path / "坏脚本.jsonl"
    script.write_text('{"from": "resident:alice", "start": "ST-DL"}\n路灯坏了\n', encoding="utf-8")

    result = cli("--db", db, "simulate", str(script))

    assert (result.code, result.out) == (1, "")
    assert "line 2" in one_line(result.err)


def test_a_script_step_without_a_sender_is_named_on_stderr(cli: Cli, db: str, tmp_path: Path):
    script = write_script(tmp_path / "无发送者.jsonl", [{"text": "东岭村的路灯坏了"}])

    result = cli("--db", db, "simulate", str(script))

    assert (result.code, result.out) == (1, "")
    assert "line 1" in one_line(result.err)


def test_simulate_a_missing_script_is_a_user_error(cli: Cli, db: str):
    result = cli("--db", db, "simulate", "没有这个文件.jsonl")

    assert (result.code, result.out) == (1, "")
    assert "没有这个文件.jsonl" in one_line(result.err)


def test_simulate_with_a_start_that_is_not_a_time_is_a_user_error(
    cli: Cli, db: str, tmp_path: Path
):
    script = write_script(tmp_path / "路灯.jsonl", STREETLIGHT_SCRIPT)

    result = cli("--db", db, "simulate", str(script), "--start", "下周一上午")

    assert (result.code, result.out) == (1, "")
    assert "下周一上午" in one_line(result.err)


def test_cases_list_on_an_empty_database_says_so(cli: Cli, tmp_path: Path):
    result = cli("cases", "list")

    assert (result.code, result.out, result.err) == (0, "no cases\n", "")
    # Without --db the data folder of GRID_INTAKE_DATA holds the database.
    assert (tmp_path / "var" / "grid-intake.sqlite3").exists()


def test_cases_list_json_on_an_empty_database_is_an_empty_array(cli: Cli, db: str):
    result = cli("--db", db, "cases", "list", "--json")

    assert (result.code, json.loads(result.out)) == (0, [])


# --- classify ---------------------------------------------------------------------------


def test_classify_prints_one_json_object_with_the_documented_keys(cli: Cli):
    result = cli("classify", "东岭村的路灯坏了")

    assert (result.code, result.err) == (0, "")
    [line] = result.out.splitlines()
    answer = json.loads(line)
    assert sorted(answer) == sorted(["category", "confidence", "keywords", "urgent", "places"])
    assert answer["category"] == "城乡建设"
    assert answer["urgent"] is False


def test_classify_two_texts_prints_two_lines_in_order(cli: Cli):
    result = cli("classify", "东岭村的路灯坏了", "停电了")

    answers = [json.loads(line) for line in result.out.splitlines()]
    assert result.code == 0
    assert [a["urgent"] for a in answers] == [False, True]


def test_classify_a_power_cut_is_urgent(cli: Cli):
    result = cli("classify", "停电了")

    assert result.code == 0
    assert json.loads(result.out)["urgent"] is True


def test_classify_finds_village_names_of_the_imported_county(cli: Cli, db: str):
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))

    result = cli("--db", db, "classify", "东岭村的路灯坏了")

    assert result.code == 0
    assert json.loads(result.out)["places"] == ["东岭村"]


def test_classify_with_a_missing_model_file_is_a_user_error(cli: Cli):
    result = cli("classify", "停电了", "--model", "没有的模型.yaml")

    assert (result.code, result.out) == (1, "")
    assert "没有的模型.yaml" in one_line(result.err)


# --- county -----------------------------------------------------------------------------


def test_county_import_of_the_sample_prints_a_summary(cli: Cli, db: str):
    result = cli("--db", db, "county", "import", str(SAMPLE_COUNTY))

    assert (result.code, result.err) == (0, "")
    summary = one_line(result.out)
    names = {"townships": "乡镇", "stations": "联络站", "grids": "网格", "deputies": "代表"}
    names["departments"] = "部门"
    expected = [f"{names[section]}{len(SAMPLE[section])}个" for section in SECTIONS]
    assert [part for part in expected if part not in summary] == []
    assert summary.startswith("已导入")


def test_county_reimport_counts_only_real_changes_in_chinese(cli: Cli, db: str, tmp_path: Path):
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))
    again = cli("--db", db, "county", "import", str(SAMPLE_COUNTY))
    assert "没有任何改动" in one_line(again.out)  # it said "91 updated"
    edited = tmp_path / "改名.yaml"
    text = SAMPLE_COUNTY.read_text(encoding="utf-8").replace("name: 黎建国", "name: 黎建民")
    edited.write_text(text, encoding="utf-8")
    changed = cli("--db", db, "county", "import", str(edited))
    assert "修改1项" in one_line(changed.out)


def test_county_show_is_in_chinese(cli: Cli, db: str):
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))
    shown = cli("--db", db, "county", "show")
    assert shown.out.splitlines()[0].startswith("阳朔县（YS）")
    assert f"  乡镇：{len(SAMPLE['townships'])}个" in shown.out.splitlines()


def test_county_import_of_a_file_with_a_typo_names_the_line_and_imports_nothing(
    cli: Cli, db: str, tmp_path: Path
):
    text = SAMPLE_COUNTY.read_text(encoding="utf-8")
    grid = "{code: G-DL-03, name: 木山村, station: ST-DL, places: [木山村]}"
    typo = tmp_path / "错字.yaml"
    typo.write_text(text.replace(grid, grid.replace("station:", "statoin:")), encoding="utf-8")
    line = text.splitlines().index(f"  - {grid}") + 1

    result = cli("--db", db, "county", "import", str(typo))

    assert (result.code, result.out) == (1, "")
    assert [e for e in result.err.splitlines() if f"第{line}行" in e and "statoin" in e] != []
    shown = cli("--db", db, "county", "show")
    assert (shown.code, shown.out) == (1, "")


def test_county_import_of_a_missing_file_is_a_user_error(cli: Cli, db: str):
    result = cli("--db", db, "county", "import", "没有的县.yaml")

    assert (result.code, result.out) == (1, "")
    assert "没有的县.yaml" in one_line(result.err)


def test_county_show_json_names_the_county(cli: Cli, db: str):
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))

    result = cli("--db", db, "county", "show", "--json")

    assert result.code == 0
    shown = json.loads(result.out)
    assert shown["county"] == {"code": "YS", "name": "阳朔县"}
    assert {section: len(shown[section]) for section in SECTIONS} == {
        section: len(SAMPLE[section]) for section in SECTIONS
    }


def test_county_show_on_an_empty_database_is_a_user_error(cli: Cli, db: str):
    result = cli("--db", db, "county", "show")

    assert (result.code, result.out) == (1, "")
    assert "county import" in one_line(result.err)


def test_county_export_reimports_into_a_fresh_database(cli: Cli, db: str, tmp_path: Path):
    fresh = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))
    exported = cli("--db", db, "county", "export")
    assert exported.code == 0
    copy = tmp_path / "导出.yaml"
    copy.write_text(exported.out, encoding="utf-8")

    reimported = cli("--db", fresh, "county", "import", str(copy))

    assert reimported.code == 0
    original = json.loads(cli("--db", db, "county", "show", "--json").out)
    assert json.loads(cli("--db", fresh, "county", "show", "--json").out) == original


def test_county_export_to_a_file_writes_what_stdout_would_show(cli: Cli, db: str, tmp_path: Path):
    cli("--db", db, "county", "import", str(SAMPLE_COUNTY))
    target = tmp_path / "导出.yaml"

    to_file = cli("--db", db, "county", "export", "-o", str(target))

    assert (to_file.code, to_file.out) == (0, "")
    assert target.read_text(encoding="utf-8") == cli("--db", db, "county", "export").out


# --- usage errors -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate"],
        [],
        ["county"],
        ["county", "import"],
        ["county", "delete"],
        ["classify"],
        ["simulate"],
        ["cases"],
    ],
    ids=lambda argv: " ".join(argv) or "nothing",
)
def test_a_usage_error_exits_with_status_2(cli: Cli, argv: list[str]):
    with pytest.raises(SystemExit) as info:
        cli(*argv)

    assert info.value.code == 2


def test_simulate_accepts_a_trailing_comment_as_in_the_interfaces_doc(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    script = tmp_path / "commented.jsonl"
    script.write_text(
        '{"from": "resident:alice", "start": "ST-DL"}            # came in through a code\n',
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    assert main(["--db", db, "simulate", str(script), "--start", "2026-11-23T09:00:00"]) == 0
    line = json.loads(capsys.readouterr().out.splitlines()[0])
    assert "东岭片区人大代表联络站" in line["text"]


def test_db_option_works_after_the_command_as_interfaces_writes_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = f"sqlite:///{tmp_path / 'after.sqlite3'}"
    assert main(["county", "import", str(SAMPLE_COUNTY), "--db", db]) == 0
    capsys.readouterr()
    assert main(["county", "show", "--json", "--db", db]) == 0
    assert json.loads(capsys.readouterr().out)["county"]["code"] == "YS"
    assert not (tmp_path / "var").exists()  # nothing went to the default database


def test_the_example_script_shows_a_whole_month(tmp_path: Path, capsys) -> None:
    example = Path(__file__).parent.parent / "examples" / "street-light.jsonl"
    db = f"sqlite:///{tmp_path / 'example.sqlite3'}"
    assert main(["simulate", str(example), "--db", db, "--start", "2026-11-23T09:00:00"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    texts = [line["text"] for line in lines]
    assert any(t.startswith("【提醒】工单 YS-2026-000001") for t in texts)
    assert any("办结已满四周" in t for t in texts)
    assert texts[-1] == "工单 YS-2026-000001 已结案。"
    times = [line["at"] for line in lines]
    assert times == sorted(times)  # the transcript runs forward in time


# --- issue 12: the example, simulate's own database, CLI edges --------------------------

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "street-light.jsonl"


def test_simulate_without_db_leaves_the_demo_database_alone(cli: Cli, tmp_path: Path):
    """The README's example, run after the demo, acted on the demo's YS-2026-000001."""
    demo_db = tmp_path / "var" / "grid-intake.sqlite3"  # where the demo keeps its cases
    demo_db.parent.mkdir()
    first = write_script(tmp_path / "别人.jsonl", STREETLIGHT_SCRIPT[:3])
    assert cli("--db", f"sqlite:///{demo_db}", "simulate", str(first)).code == 0
    before = cli("--db", f"sqlite:///{demo_db}", "cases", "list", "--json").out

    result = cli("simulate", str(EXAMPLE), "--start", "2026-11-23T09:00:00")

    assert (result.code, result.err) == (0, "")
    assert cli("--db", f"sqlite:///{demo_db}", "cases", "list", "--json").out == before
    to_alice = [json.loads(line) for line in result.out.splitlines()]
    texts = [t["text"] for t in to_alice if t["to"] == "resident:alice"]
    assert any(text.startswith("感谢您的评价（非常满意）") for text in texts)
    assert any(text.startswith("感谢您的回访反馈（已解决）") for text in texts)


def test_the_example_acts_on_the_ticket_it_issued_not_a_hard_coded_one(cli: Cli, db: str):
    """On a database that already held YS-2026-000001, the example resolved that case, and
    its {"choose": 5} became a new problem "5"."""
    other = write_script(
        Path(db.removeprefix("sqlite:///")).with_name("x.jsonl"), STREETLIGHT_SCRIPT[:3]
    )
    cli("--db", db, "simulate", str(other), "--start", "2026-11-23T09:00:00")

    result = cli("--db", db, "simulate", str(EXAMPLE), "--start", "2026-11-23T09:00:00")

    assert result.code == 0
    cases = json.loads(cli("--db", db, "cases", "list", "--json").out)
    assert [(c["ticket"], c["status"]) for c in cases] == [
        ("YS-2026-000001", "assigned"),  # the other resident's case is untouched
        ("YS-2026-000002", "closed"),
    ]
    assert all(c["text"] != "5" for c in cases)


def test_a_ticket_placeholder_before_any_ticket_names_the_line(cli: Cli, tmp_path: Path):
    script = write_script(
        tmp_path / "早了.jsonl", [{"from": "deputy:D001", "text": "受理 {{ticket}}"}]
    )
    result = cli("simulate", str(script))
    assert (result.code, result.out) == (1, "")
    assert "line 1" in one_line(result.err) and "{{ticket}}" in result.err


def test_the_numbered_ticket_placeholder_picks_the_nth_ticket_of_the_run(cli: Cli, tmp_path: Path):
    steps = [
        {"from": "resident:a", "text": "东岭村的路灯坏了"},
        {"from": "resident:a", "choose": 1},
        {"from": "resident:b", "text": "东岭村的水渠堵了，农田灌溉不了"},
        {"from": "resident:b", "choose": 1},
        {"from": "deputy:D001", "text": "受理 {{ticket:1}}"},
    ]
    result = cli("simulate", str(write_script(tmp_path / "两件.jsonl", steps)))
    assert result.code == 0
    last = json.loads(result.out.splitlines()[-1])
    assert "YS-2026-000001" in last["text"]


@pytest.mark.parametrize("name", ["已办结", "办结", "resolved"])
def test_cases_list_takes_chinese_status_names(cli: Cli, db: str, tmp_path: Path, name: str):
    script = write_script(tmp_path / "路灯.jsonl", STREETLIGHT_SCRIPT)
    cli("--db", db, "simulate", str(script), "--start", "2026-11-23T09:00:00")
    listed = cli("--db", db, "cases", "list", "--status", name)
    assert [line.split()[0] for line in listed.out.splitlines()] == [TICKET]


def test_cases_list_refuses_an_unknown_status_listing_the_valid_ones(cli: Cli, db: str):
    """--status bogus printed "no cases" and exited 0."""
    result = cli("--db", db, "cases", "list", "--status", "bogus")
    assert (result.code, result.out) == (1, "")
    assert "bogus" in one_line(result.err)
    assert "resolved（已办结）" in result.err


def test_report_into_a_closed_pipe_ends_without_a_traceback(tmp_path: Path):
    """`grid-intake report … | head` ended in a BrokenPipeError traceback."""
    import subprocess
    import sys

    db = f"sqlite:///{tmp_path / 'pipe.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "--db", db, "county", "import", str(SAMPLE_COUNTY)],
        check=True, capture_output=True, cwd=tmp_path,
    )  # fmt: skip
    reader = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "--db", db, "report", "--month", "2026-11"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert reader.stdout is not None and reader.stderr is not None
    reader.stdout.close()  # like `| head` that has already left
    err = reader.stderr.read().decode()
    reader.wait(timeout=60)
    assert "Traceback" not in err, err
    assert "BrokenPipeError" not in err, err
