"""The monthly ledger and figures: 办结率, 按时办结率, 回复率, 满意率 (with 参评率)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.simulator import Simulation
from casework.clock import ManualClock
from tests.conftest import make_app
from tests.test_time_limits import at


async def _november(url: str, folder: Path) -> None:
    clock = ManualClock(at("2026-11-02T09:00"))
    app = make_app(url, folder, clock)
    sim = Simulation.attach(app, clock)
    for i, text in enumerate(
        ["东岭村的路灯坏了", "东岭村的水渠堵了，农田灌溉不了", "西街有商家宰客"]
    ):
        await sim.say(f"resident:r{i}", text)
        await sim.say(f"resident:r{i}", "确认提交")
    await sim.say("deputy:D001", "受理 YS-2026-000001")
    await sim.say("deputy:D001", "办结 YS-2026-000001 已更换灯具")
    await sim.say("resident:r0", "5")
    await sim.advance("20d")  # past the 10-working-day limit of the second case
    await sim.say("deputy:D002", "受理 YS-2026-000002")
    await sim.say("deputy:D002", "办结 YS-2026-000002 已清淤")
    await sim.say("resident:r1", "2")
    await sim.say("resident:r1", "没清干净")
    app.engine.dispose()


@pytest.fixture(scope="module")
def november(sample_sqlite: Path, tmp_path_factory: pytest.TempPathFactory):
    """Three November cases: one resolved on time and rated 5, one resolved late and
    rated 2 (reopened), one still open and never answered. Built once: the tests only read."""
    folder = tmp_path_factory.mktemp("november")
    target = folder / "november.sqlite3"
    shutil.copyfile(sample_sqlite, target)
    url = f"sqlite:///{target}"
    asyncio.run(_november(url, folder))
    return None, url


AS_OF = "2026-11-22T10:00"  # the third case's answer limit (11-16) has passed


def report(url: str, *extra: str) -> None:
    assert main(["report", "--month", "2026-11", "--db", url, "--as-of", AS_OF, *extra]) == 0


async def test_report_text_gives_the_four_figures(november, capsys):
    _sim, url = november
    report(url)
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("2026-11 台账：受理 3 件")
    total = lines[lines.index("【合计】") + 2].split("\t")
    # cases, urgent, resolved, 办结率, 按时办结率, 回复率, rated, 满意率, 参评率
    # Case 2 was resolved late, rated 2 and reopened: not 办结 now, and its round-one score
    # no longer counts. Case 3 is open past its limit: it counts against 按时办结率.
    assert total == [
        "全部", "3", "0", "1", "33.3%（1/3）", "50.0%（1/2）", "66.7%（2/3）", "1",
        "100.0%（1/1）", "100.0%（1/1）",
    ]  # fmt: skip


async def test_report_on_time_rate_counts_overdue_open_cases(november, capsys):
    """It said 按时办结率 100 % while a case was long overdue and unresolved."""
    _sim, url = november
    report(url)
    out = capsys.readouterr().out
    total = out.splitlines()[out.splitlines().index("【合计】") + 2].split("\t")
    assert total[5] == "50.0%（1/2）"
    assert "已超答复时限仍未办结 1 件" in out.splitlines()[0]
    # The report says how each rate is computed.
    assert "· 按时办结率 = 在答复时限内办结的件数 ÷（办结数 + 已超时限仍未办结的件数）" in out


async def test_report_xlsx_has_figures_and_the_ledger(november, tmp_path: Path, capsys):
    _sim, url = november
    path = tmp_path / "2026-11.xlsx"
    report(url, "--xlsx", str(path))
    assert "已写入" in capsys.readouterr().out
    book = load_workbook(path)
    assert book.sheetnames == ["统计", "台账", "代表履职"]
    ledger = list(book["台账"].values)
    assert ledger[0][:3] == ("工单号", "受理时间", "类别")
    assert [row[0] for row in ledger[1:]] == ["YS-2026-000001", "YS-2026-000002", "YS-2026-000003"]
    assert ledger[1][11:13] == ("是", 5)  # on time, rated 5
    assert ledger[3][11] == "否（超时未办结）"


async def test_report_xlsx_rates_are_numbers_with_a_percent_format(november, tmp_path: Path):
    """Rates were text ("33.3%"): they did not sort, sum or chart."""
    _sim, url = november
    path = tmp_path / "2026-11.xlsx"
    report(url, "--xlsx", str(path))
    sheet = load_workbook(path)["统计"]
    rows = [[c for c in row] for row in sheet.iter_rows()]
    header = next(r for r in rows if r[0].value == "合计")
    total = rows[rows.index(header) + 1]
    names = [c.value for c in header]
    rate = total[names.index("按时办结率")]
    assert (rate.value, rate.number_format) == (0.5, "0.0%")
    assert total[names.index("按时办结率（分子/分母）")].value == "1/2"


async def test_report_response_rate_is_a_dash_where_nothing_is_resolved(november, capsys):
    """参评率 showed 100 % for a deputy with 办结数 0 (a reopened case's old rating)."""
    _sim, url = november
    report(url)
    lines = capsys.readouterr().out.splitlines()
    start = lines.index("【按代表】") + 2
    d002 = next(line.split("\t") for line in lines[start:] if line.startswith("D002"))
    assert d002[3] == "0"  # 办结数
    assert d002[-1] == "—"  # 参评率
    assert d002[-3] == "0"  # 已评价: round one's rating of 2 does not count


async def test_report_xlsx_prints_landscape_one_page_wide_with_a_frozen_header(
    november, tmp_path: Path
):
    _sim, url = november
    path = tmp_path / "2026-11.xlsx"
    report(url, "--xlsx", str(path))
    ledger = load_workbook(path)["台账"]
    setup = ledger.page_setup
    assert (setup.orientation, setup.fitToWidth, setup.fitToHeight) == ("landscape", 1, 0)
    assert ledger.sheet_properties.pageSetUpPr.fitToPage is True
    assert ledger.freeze_panes == "B2"
    assert ledger.print_title_rows == "$1:$1"
    text = ledger.cell(2, 14)
    assert text.alignment.wrap_text is True
    assert text.border.left.style == "thin"


async def test_ledger_holds_the_deputys_answers_and_marks_urgent(sqlite_url, tmp_path, capsys):
    clock = ManualClock(at("2026-11-02T09:00"))
    app = make_app(sqlite_url, tmp_path, clock)
    sim = Simulation.attach(app, clock)
    await sim.say("resident:a", "东岭村后山塌方了，下面有房子")
    await sim.say("resident:a", "确认提交")
    await sim.say("deputy:D001", "受理 YS-2026-000001")
    await sim.say("deputy:D001", "回复 YS-2026-000001 已通知国土所今天上午到场")
    path = tmp_path / "r.xlsx"
    assert main(["report", "--month", "2026-11", "--db", sqlite_url, "--xlsx", str(path)]) == 0
    out = capsys.readouterr().out
    assert "其中紧急 1 件" in out
    assert "【紧急工单（未办结）】" in out
    ledger = list(load_workbook(path)["台账"].values)
    row = dict(zip(ledger[0], ledger[1], strict=True))
    assert row["紧急"] == "紧急"
    assert row["代表答复"] == "11-02 09:00 已通知国土所今天上午到场"
    app.engine.dispose()


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026/11"])
def test_report_refuses_a_malformed_month(month, capsys, tmp_path):
    assert main(["report", "--month", month, "--db", f"sqlite:///{tmp_path}/r.db"]) == 1
    assert "--month must look like 2026-11" in capsys.readouterr().err
