"""The office's views of hometown suggestions: the report's section (答复率 and the A/B/C/D
split per station, in ``grid-intake report``) and ``grid-intake suggestions digest --month
YYYY-MM [--xlsx FILE]`` (the county's digest of a month, printed or as a workbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from casework.suggestion_digest import StationFigures, station_digest, suggestion_figures
from casework.suggestion_events import DigestItem
from casework.suggestions import RESULTS, STATUS_LABELS

__all__ = [
    "DIGEST_COLUMNS",
    "FIGURE_COLUMNS",
    "add_figures_sheet",
    "digest_text",
    "figures_section",
    "write_digest_xlsx",
]

FIGURE_COLUMNS = ("建议数", "已答复", "答复率", "A", "B", "C", "D", "转为工单")
DIGEST_COLUMNS = (
    "编号", "联络站", "类别", "支持人数", "状态", "答复类别", "答复", "提出时间", "答复时间",
    "工单", "内容",
)  # fmt: skip


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _figure_row(f: StationFigures) -> list[Any]:
    return [
        f.station, f.suggestions, f.answered, _percent(f.answer_rate),
        *(f.results[code] for code in RESULTS), f.adopted,
    ]  # fmt: skip


def figures_section(session: Session, month: str, zone: ZoneInfo) -> list[str]:
    """The report's lines for suggestions received in ``month`` (repeats are supports),
    starting with a blank line; none for a month without suggestions."""
    table = suggestion_figures(session, month, zone)
    if not table[-1].suggestions:
        return []
    legend = "；".join(f"{k} {v}" for k, v in RESULTS.items())
    lines = [
        "",
        "【家乡建议·按联络站】（答复率＝有答复类别或已转为工单的建议 ÷ 当月建议；" + legend + "）",
        "\t".join(("", *FIGURE_COLUMNS)),
    ]
    return lines + ["\t".join(str(v) for v in _figure_row(f)) for f in table]


def add_figures_sheet(
    book: Any, session: Session, month: str, zone: ZoneInfo, *, always: bool = False
) -> None:
    """A sheet 家乡建议 with the figures: for a month with suggestions, or ``always``."""
    from openpyxl.styles import Font

    table = suggestion_figures(session, month, zone)
    if not table[-1].suggestions and not always:
        return
    sheet = book.create_sheet("家乡建议")
    sheet.append([f"{month} 家乡建议统计"])
    sheet.append(["联络站", *FIGURE_COLUMNS])
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for f in table:
        sheet.append(_figure_row(f))
    sheet.column_dimensions["A"].width = 26


def _digest_rows(items: tuple[DigestItem, ...], zone: ZoneInfo) -> list[list[Any]]:
    def local(instant):
        return instant.astimezone(zone).replace(tzinfo=None) if instant else None

    rows = []
    for item in items:
        s = item.suggestion
        rows.append(
            [
                s.number, s.station.name, s.category, item.supporters,
                STATUS_LABELS.get(s.status, s.status), s.result or "", s.answer or "",
                local(s.created_at), local(s.answered_at), s.case.ticket if s.case else "",
                s.text,
            ]
        )  # fmt: skip
    return rows


def digest_text(session: Session, month: str, zone: ZoneInfo) -> str:
    """The county's digest of ``month``: its suggestions, then older ones still unanswered."""
    digest = station_digest(session, None, month, zone)
    lines = [
        f"{month} 家乡建议汇总：新收 {len(digest.new)} 条（内容相同的已合并计为附议），"
        f"往月尚未答复 {len(digest.earlier)} 条"
    ]
    for title, items in (("本月建议", digest.new), ("往月尚未答复", digest.earlier)):
        lines += ["", f"【{title}】", "\t".join((*DIGEST_COLUMNS[:7], "内容"))]
        for row in _digest_rows(items, zone):
            lines.append("\t".join(str(v) for v in row[:7]) + "\t" + str(row[-1]))
    return "\n".join(lines)


def write_digest_xlsx(session: Session, month: str, zone: ZoneInfo, path: Path) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    digest = station_digest(session, None, month, zone)
    book = Workbook()
    first = True
    for title, items in (("本月建议", digest.new), ("往月尚未答复", digest.earlier)):
        sheet = book.active if first else book.create_sheet()
        first = False
        sheet.title = title
        sheet.append(DIGEST_COLUMNS)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in _digest_rows(items, zone):
            sheet.append(row)
        for column, width in zip(
            "ABCDEFGHIJK", (16, 24, 12, 8, 14, 8, 40, 17, 17, 16, 50), strict=True
        ):
            sheet.column_dimensions[column].width = width
    add_figures_sheet(book, session, month, zone, always=True)
    book.save(path)
    return len(digest.new) + len(digest.earlier)
