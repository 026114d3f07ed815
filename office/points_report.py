"""The duty record for the office: ``grid-intake points --year`` (ranking, entries) and the
duty columns of the monthly report (receptions, offline cases, 社情民意, points)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from casework.duties import done, month_bounds
from casework.points import standing, sync
from handlers.duty import ranking_lines
from storage.models import Case, Deputy, PointsEntry

__all__ = ["duty_table", "points_text", "write_points_xlsx"]

POINTS_COLUMNS = ["名次", "代表", "编号", "层级", "联络站", "站内名次", "本年度积分"]


def _rows(session: Session, year: int, totals: dict[str, int]) -> list[list[object]]:
    deputies = {d.code: d for d in session.scalars(select(Deputy))}
    ordered = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
    rows = []
    for code, total in ordered:
        d = deputies[code]
        mine = standing(session, d, year, totals)
        station = mine.station.name if mine.station else ""
        rows.append([mine.county_rank, d.name, code, d.level, station, mine.station_rank, total])
    return rows


def points_text(session: Session, year: int, zone: ZoneInfo, now: datetime) -> str:
    totals = sync(session, year, zone, now)
    entries = session.scalar(select(func.count(PointsEntry.id)).where(PointsEntry.year == year))
    lines = [f"{year}年度履职积分（截至 {now.astimezone(zone):%Y-%m-%d %H:%M}，{entries}条记录）"]
    lines += ranking_lines(session, totals)
    return "\n".join(lines)


def write_points_xlsx(
    session: Session, year: int, zone: ZoneInfo, path: Path, now: datetime
) -> int:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    totals = sync(session, year, zone, now)
    book = Workbook()
    sheet = book.active
    sheet.title = "排名"
    sheet.append(POINTS_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in _rows(session, year, totals):
        sheet.append(row)
    detail = book.create_sheet("明细")
    detail.append(["代表编号", "时间", "规则", "分值", "事由"])
    for cell in detail[1]:
        cell.font = Font(bold=True)
    for e in session.scalars(
        select(PointsEntry).where(PointsEntry.year == year).order_by(PointsEntry.at, PointsEntry.id)
    ):
        at = e.at.astimezone(zone).replace(tzinfo=None)
        detail.append([e.deputy_code, at, e.rule, e.delta, e.reason])
        detail.cell(detail.max_row, 2).number_format = "yyyy-mm-dd hh:mm"
    book.save(path)
    return len(totals)


def duty_table(session: Session, month: str, zone: ZoneInfo, now: datetime) -> list[list[object]]:
    """Per deputy, for ``month``: receptions, offline cases filed, 社情民意, this year's points.
    Deputies with nothing at all are left out."""
    start, end = month_bounds(month)
    first = datetime.combine(start, datetime.min.time(), tzinfo=zone)
    last = datetime.combine(end, datetime.min.time(), tzinfo=zone)
    offline = dict(
        session.execute(
            select(Case.recorded_by, func.count(Case.id))
            .where(Case.source == "offline", Case.created_at >= first, Case.created_at < last)
            .group_by(Case.recorded_by)
        ).all()
    )
    totals = sync(session, start.year, zone, now)
    rows = []
    for d in session.scalars(select(Deputy).order_by(Deputy.code)):
        counts = done(session, d, month, zone)
        row = [d.name, d.code, counts["receptions"], offline.get(d.code, 0),
               counts["observations"], totals.get(d.code, 0)]  # fmt: skip
        if any(row[2:]):
            rows.append(row)
    return rows
