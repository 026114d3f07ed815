"""The monthly ledger and figures: 办结率, 按时办结率, 回复率, 满意率 (with 参评率)."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot.cli import main
from bot.simulator import Simulation
from casework.clock import ManualClock
from tests.conftest import make_app
from tests.test_time_limits import at


@pytest.fixture
async def november(sqlite_url: str, tmp_path: Path):
    """Three November cases: one resolved on time and rated 5, one resolved late and
    rated 2 (reopened), one still open and never answered."""
    clock = ManualClock(at("2026-11-02T09:00"))
    app = make_app(sqlite_url, tmp_path, clock)
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
    yield sim, sqlite_url
    app.engine.dispose()


async def test_report_text_gives_the_four_figures(november, capsys):
    _sim, url = november
    assert main(["report", "--month", "2026-11", "--db", url]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].startswith("2026-11 台账：受理 3 件")
    total = lines[lines.index("【合计】") + 2].split("\t")
    # cases, resolved, 办结率, 按时办结率, 回复率, rated, 满意率, 参评率
    # Case 2 was resolved late, rated 2 and reopened: not 办结 now, but it was rated.
    assert total == ["全部", "3", "1", "33.3%", "100.0%", "66.7%", "2", "50.0%", "100.0%"]


async def test_report_xlsx_has_figures_and_the_ledger(november, tmp_path: Path, capsys):
    _sim, url = november
    path = tmp_path / "2026-11.xlsx"
    assert main(["report", "--month", "2026-11", "--db", url, "--xlsx", str(path)]) == 0
    assert "已写入" in capsys.readouterr().out
    book = load_workbook(path)
    assert book.sheetnames == ["统计", "台账"]
    ledger = list(book["台账"].values)
    assert ledger[0][:3] == ("工单号", "受理时间", "类别")
    assert [row[0] for row in ledger[1:]] == ["YS-2026-000001", "YS-2026-000002", "YS-2026-000003"]
    assert ledger[1][11:13] == ("是", 5)  # on time, rated 5


@pytest.mark.parametrize("month", ["2026-13", "11-2026", "2026/11"])
def test_report_refuses_a_malformed_month(month, capsys, tmp_path):
    assert main(["report", "--month", month, "--db", f"sqlite:///{tmp_path}/r.db"]) == 1
    assert "--month must look like 2026-11" in capsys.readouterr().err
