"""``grid-intake report --month YYYY-MM [--xlsx FILE]``: the monthly ledger (台账) and figures."""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from casework.figures import Figures, cases_of_month, figures, grouped
from casework.lifecycle import STATUS_LABELS, Status
from office.suggestion_report import add_figures_sheet, figures_section
from storage.models import Case

__all__ = ["GROUPINGS", "write_text", "write_xlsx"]

COLUMNS = ("受理数", "办结数", "办结率", "按时办结率", "回复率", "已评价", "满意率", "参评率")

GROUPINGS = {
    "按代表": lambda c: f"{c.deputy_code} {c.deputy.name}" if c.deputy else "未交办",
    "按联络站": lambda c: c.station.name if c.station else "未定联络站",
    "按类别": lambda c: c.category,
}


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _row(f: Figures) -> list[str | int]:
    return [
        f.cases,
        f.resolved,
        _percent(f.resolution_rate),
        _percent(f.on_time_rate),
        _percent(f.reply_rate),
        f.rated,
        _percent(f.satisfaction_rate),
        _percent(f.response_rate),
    ]


def _tables(cases: list[Case]) -> dict[str, list[list[str | int]]]:
    tables = {"合计": [["全部", *_row(figures(cases))]]}
    for title, key in GROUPINGS.items():
        tables[title] = [[name, *_row(f)] for name, f in grouped(cases, key).items()]
    return tables


def write_text(session: Session, month: str, zone: ZoneInfo) -> str:
    cases = cases_of_month(session, month, zone)
    lines = [f"{month} 台账：受理 {len(cases)} 件（满意率按已评价工单计算，未评价不计为满意）"]
    for title, rows in _tables(cases).items():
        lines += ["", f"【{title}】", "\t".join(("", *COLUMNS))]
        lines += ["\t".join(str(v) for v in row) for row in rows]
    lines += figures_section(session, month, zone)  # hometown suggestions, if any
    return "\n".join(lines)


LEDGER_COLUMNS = (
    "工单号", "受理时间", "类别", "紧急", "网格", "联络站", "承办代表", "转办部门", "状态",
    "答复时限", "办结时间", "按时", "评价", "问题", "办理结果",
)  # fmt: skip


def write_xlsx(session: Session, month: str, zone: ZoneInfo, path: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    cases = cases_of_month(session, month, zone)
    book = Workbook()
    summary = book.active
    summary.title = "统计"
    summary.append([f"{month} 统计"])
    for title, rows in _tables(cases).items():
        summary.append([])
        summary.append([title, *COLUMNS])
        summary.cell(summary.max_row, 1).font = Font(bold=True)
        for row in rows:
            summary.append(row)

    def local(instant):
        return instant.astimezone(zone).replace(tzinfo=None) if instant else None

    ledger = book.create_sheet("台账")
    ledger.append(LEDGER_COLUMNS)
    for cell in ledger[1]:
        cell.font = Font(bold=True)
    for c in cases:
        on_time = None
        if c.resolved_at and c.answer_due_at:
            on_time = "是" if c.resolved_at <= c.answer_due_at else "否"
        ledger.append(
            [
                c.ticket, local(c.created_at), c.category, "是" if c.urgent else "",
                c.grid.name if c.grid else "", c.station.name if c.station else "",
                c.deputy.name if c.deputy else "", c.department.name if c.department else "",
                STATUS_LABELS[Status(c.status)], local(c.answer_due_at), local(c.resolved_at),
                on_time, c.rating, c.text, c.resolution,
            ]
        )  # fmt: skip
    for column, width in zip(
        "ABCDEFGHIJKLMNO", (16, 17, 12, 6, 12, 22, 10, 16, 10, 17, 17, 6, 6, 40, 30), strict=True
    ):
        ledger.column_dimensions[column].width = width
    add_figures_sheet(book, session, month, zone)  # hometown suggestions
    book.save(path)
    return len(cases)
