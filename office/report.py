"""``grid-intake report --month YYYY-MM [--xlsx FILE]``: the monthly ledger (台账) and figures.

Every rate is shown with its numerator and denominator, and the report says how each is
computed (``casework.figures.RATE_RULES``). In the workbook rates are numbers with a percent
format (so they sum, sort and chart), each with its fraction in the next column; both sheets
print landscape, one page wide, with wrapped text, borders and a repeated, frozen header.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from casework.figures import (
    RATE_RULES,
    Figures,
    Rate,
    cases_of_month,
    figures,
    grouped,
    month_bounds,
    on_time,
)
from casework.lifecycle import STATUS_LABELS, Status
from casework.overdue import past_answer_limit
from office.suggestion_report import add_figures_sheet, figures_section
from storage.models import Case

__all__ = [
    "COLUMNS",
    "GROUPINGS",
    "LEDGER_COLUMNS",
    "month_tables",
    "months_between",
    "range_tables",
    "write_text",
    "write_xlsx",
]

COLUMNS = (
    "受理数",
    "紧急",
    "办结数",
    "办结率",
    "按时办结率",
    "回复率",
    "已评价",
    "满意率",
    "参评率",
)
_RATES = ("办结率", "按时办结率", "回复率", "满意率", "参评率")

GROUPINGS = {
    "按代表": lambda c: f"{c.deputy_code} {c.deputy.name}" if c.deputy else "未交办",
    "按联络站": lambda c: c.station.name if c.station else "未定联络站",
    "按类别": lambda c: c.category,
}


def _cells(f: Figures) -> list[int | Rate]:
    return [
        f.cases,
        f.urgent,
        f.resolved,
        f.resolution_rate,
        f.on_time_rate,
        f.reply_rate,
        f.rated,
        f.satisfaction_rate,
        f.response_rate,
    ]


def _tables(cases: list[Case], now: datetime) -> dict[str, list[list[Any]]]:
    tables: dict[str, list[list[Any]]] = {"合计": [["全部", *_cells(figures(cases, now))]]}
    for title, key in GROUPINGS.items():
        tables[title] = [[name, *_cells(f)] for name, f in grouped(cases, key, now).items()]
    return tables


def _as_of(month: str, zone: ZoneInfo, now: datetime | None) -> datetime:
    # Without a moment given, the figures are those at the end of the month.
    return now if now is not None else month_bounds(month, zone)[1]


def month_tables(
    session: Session, month: str, zone: ZoneInfo, *, now: datetime | None = None
) -> tuple[datetime, list[Case], dict[str, list[list[Any]]]]:
    """What the report shows for ``month``: the moment, the cases and the figure tables
    (合计, 按代表, 按联络站, 按类别; rows of a name and the COLUMNS' values)."""
    now = _as_of(month, zone, now)
    cases = cases_of_month(session, month, zone)
    return now, cases, _tables(cases, now)


def months_between(first: str, last: str) -> list[str]:
    """``YYYY-MM`` from ``first`` to ``last`` inclusive (empty when last is before first)."""
    year, month = (int(part) for part in first.split("-"))
    end = tuple(int(part) for part in last.split("-"))
    out = []
    while (year, month) <= end:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def range_tables(
    session: Session, first: str, last: str, zone: ZoneInfo, *, now: datetime | None = None
) -> tuple[datetime, list[Case], dict[str, list[list[Any]]]]:
    """:func:`month_tables` over the cases received from ``first`` to ``last`` (months): the
    rates are taken over all of them at once, as of ``now`` or the end of ``last``."""
    now = _as_of(last, zone, now)
    months = months_between(first, last)
    cases = [c for month in months for c in cases_of_month(session, month, zone)]
    return now, cases, _tables(cases, now)


def _stamp(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def write_text(session: Session, month: str, zone: ZoneInfo, *, now: datetime | None = None) -> str:
    now = _as_of(month, zone, now)
    cases = cases_of_month(session, month, zone)
    urgent = sum(1 for c in cases if c.urgent)
    late = sum(1 for c in cases if past_answer_limit(c, now))
    lines = [
        f"{month} 台账：受理 {len(cases)} 件（其中紧急 {urgent} 件），"
        f"统计截至 {_stamp(now, zone)}；已超答复时限仍未办结 {late} 件",
        "各比率后括号内为（分子/分母）：",
        *(f"· {name} = {rule}" for name, rule in RATE_RULES.items()),
    ]
    for title, rows in _tables(cases, now).items():
        lines += ["", f"【{title}】", "\t".join(("", *COLUMNS))]
        lines += ["\t".join(str(v) for v in row) for row in rows]
    urgent_open = [c for c in cases if c.urgent and c.status not in ("resolved", "rated", "closed")]
    if urgent_open:
        lines += ["", "【紧急工单（未办结）】"]
        lines += [
            f"{c.ticket}｜{STATUS_LABELS[Status(c.status)]}｜{c.category}｜"
            f"承办：{c.deputy.name if c.deputy else '未交办'}"
            for c in urgent_open
        ]
    lines += figures_section(session, month, zone)  # hometown suggestions, if any
    lines += duty_section(session, month, zone, now)
    return "\n".join(lines)


DUTY_COLUMNS = ("代表", "编号", "进站接待", "代录工单", "社情民意", "本年度积分")


def duty_section(session: Session, month: str, zone: ZoneInfo, now: datetime) -> list[str]:
    """【代表履职】: the month's receptions, offline cases and 社情民意 per deputy, with points."""
    from office.points_report import duty_table

    rows = duty_table(session, month, zone, now)
    receptions = reception_count(session, month)
    offline = sum(int(r[3]) for r in rows)
    observations = sum(int(r[4]) for r in rows)
    lines = [
        "",
        "【代表履职】",
        f"进站接待 {receptions} 场，代录工单 {offline} 件，社情民意 {observations} 条",
    ]
    if rows:
        lines.append("\t".join(DUTY_COLUMNS))
        lines += ["\t".join(str(v) for v in row) for row in rows]
    return lines


def reception_count(session: Session, month: str) -> int:
    from sqlalchemy import func, select

    from casework.duties import month_bounds
    from storage.models import Reception

    start, end = month_bounds(month)
    query = select(func.count(Reception.id)).where(Reception.day >= start, Reception.day < end)
    return session.scalar(query) or 0


LEDGER_COLUMNS = (
    "工单号", "受理时间", "类别", "紧急", "网格", "联络站", "承办代表", "转办部门", "状态",
    "答复时限", "办结时间", "按时", "评价", "问题", "代表答复", "办理结果",
)  # fmt: skip
_LEDGER_WIDTHS = (16, 16, 10, 6, 10, 18, 9, 16, 10, 16, 16, 8, 8, 40, 40, 30)
_PERCENT = "0.0%"


def _answers(case: Case, zone: ZoneInfo) -> str:
    """The deputy's 回复 texts to the resident, dated, oldest first (the 台账's answers)."""
    return "\n".join(
        f"{e.at.astimezone(zone):%m-%d %H:%M} {e.note}" for e in case.events if e.kind == "answered"
    )


def _on_time_cell(case: Case, now: datetime) -> str:
    timely = on_time(case)
    if timely is not None:
        return "是" if timely else "否"
    return "否（超时未办结）" if past_answer_limit(case, now) else ""


def _print_well(sheet: Any, header_row: int | None) -> None:
    """Landscape A4, one page wide, gridlines off (the cells have borders), header repeated."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0  # as many pages down as needed
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    if header_row is not None:
        sheet.print_title_rows = f"{header_row}:{header_row}"


def write_xlsx(
    session: Session, month: str, zone: ZoneInfo, path: Path, *, now: datetime | None = None
) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

    now = _as_of(month, zone, now)
    cases = cases_of_month(session, month, zone)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    wrap = Alignment(wrap_text=True, vertical="top")
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    book = Workbook()

    summary = book.active
    summary.title = "统计"
    summary.append([f"{month} 统计（截至 {_stamp(now, zone)}）"])
    summary.cell(1, 1).font = Font(bold=True, size=13)
    headers = [
        "",
        *(h for c in COLUMNS for h in ((c, f"{c}（分子/分母）") if c in _RATES else (c,))),
    ]
    for title, rows in _tables(cases, now).items():
        summary.append([])
        summary.append([title, *headers[1:]])
        for cell in summary[summary.max_row]:
            cell.font, cell.border, cell.fill, cell.alignment = (
                Font(bold=True),
                border,
                head_fill,
                wrap,
            )
        for row in rows:
            values: list[Any] = [row[0]]
            for value in row[1:]:
                if isinstance(value, Rate):
                    values += [
                        value.value if value.value is not None else "—",
                        f"{value.part}/{value.whole}",
                    ]
                else:
                    values.append(value)
            summary.append(values)
            for cell in summary[summary.max_row]:
                cell.border, cell.alignment = border, wrap
                if isinstance(cell.value, float):
                    cell.number_format = _PERCENT
    summary.append([])
    summary.append(["计算方法"])
    summary.cell(summary.max_row, 1).font = Font(bold=True)
    for name, rule in RATE_RULES.items():
        summary.append([name, rule])
    summary.column_dimensions["A"].width = 24
    for index in range(2, len(headers) + 1):
        summary.column_dimensions[summary.cell(1, index).column_letter].width = 11
    _print_well(summary, None)

    def local(instant: datetime | None) -> datetime | None:
        return instant.astimezone(zone).replace(tzinfo=None) if instant else None

    ledger = book.create_sheet("台账")
    ledger.append(LEDGER_COLUMNS)
    for cell in ledger[1]:
        cell.font, cell.border, cell.fill, cell.alignment = Font(bold=True), border, head_fill, wrap
    for c in cases:
        ledger.append(
            [
                c.ticket, local(c.created_at), c.category, "紧急" if c.urgent else "",
                c.grid.name if c.grid else "", c.station.name if c.station else "",
                c.deputy.name if c.deputy else "", c.department.name if c.department else "",
                STATUS_LABELS[Status(c.status)], local(c.answer_due_at), local(c.resolved_at),
                _on_time_cell(c, now), c.rating, c.text, _answers(c, zone), c.resolution,
            ]
        )  # fmt: skip
        for cell in ledger[ledger.max_row]:
            cell.border, cell.alignment = border, wrap
            if isinstance(cell.value, datetime):
                cell.number_format = "yyyy-mm-dd hh:mm"
        if c.urgent:
            ledger.cell(ledger.max_row, 4).font = Font(bold=True, color="C00000")
    for index, width in enumerate(_LEDGER_WIDTHS, start=1):
        ledger.column_dimensions[ledger.cell(1, index).column_letter].width = width
    ledger.freeze_panes = "B2"  # the header and the ticket stay in view
    ledger.auto_filter.ref = ledger.dimensions
    _print_well(ledger, 1)
    add_figures_sheet(book, session, month, zone)  # hometown suggestions
    from office.points_report import duty_table

    duty = book.create_sheet("代表履职")
    duty.append(list(DUTY_COLUMNS))
    for cell in duty[1]:
        cell.font, cell.border, cell.fill = Font(bold=True), border, head_fill
    for row in duty_table(session, month, zone, now):
        duty.append(row)
    book.save(path)
    return len(cases)
