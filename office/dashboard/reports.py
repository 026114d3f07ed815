"""Figures of a month (the report's numbers, as tables and bars), the ledger's xlsx, and the
hometown suggestions of a month."""

from __future__ import annotations

import re
import tempfile
from datetime import datetime
from pathlib import Path

from starlette.responses import Response

from casework.errors import Refused
from casework.figures import RATE_RULES, Rate
from casework.suggestion_digest import station_digest, suggestion_figures
from casework.suggestions import RESULTS, STATUS_LABELS
from office.dashboard.charts import bars
from office.dashboard.web import Ctx, page, render
from office.report import COLUMNS, month_tables, months_between, range_tables, write_xlsx
from storage.models import Station

__all__ = ["figures_page", "ledger_xlsx", "suggestions_page"]

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")


def _month(ctx: Ctx) -> str:
    month = ctx.request.query_params.get("month", "")
    if _MONTH.fullmatch(month):
        return month
    return ctx.dashboard.clock.now().astimezone(ctx.dashboard.zone).strftime("%Y-%m")


def _as_of(ctx: Ctx, month: str) -> datetime | None:
    """Now for the current month (its figures so far); the month's end for a past one."""
    now = ctx.dashboard.clock.now()
    return now if now.astimezone(ctx.dashboard.zone).strftime("%Y-%m") == month else None


# A range longer than this is refused (two years of a county's cases on one page).
MAX_MONTHS = 24


def _last_month(ctx: Ctx, month: str) -> str:
    """The range's last month (``to``): the month itself when not given."""
    last = ctx.request.query_params.get("to", "")
    if not last:
        return month
    if not _MONTH.fullmatch(last):
        raise Refused(f"结束月份“{last[:20]}”格式不对，请按 2026-11 的格式填写。")
    span = len(months_between(month, last))
    if span == 0:
        raise Refused("结束月份不能早于开始月份。")
    if span > MAX_MONTHS:
        raise Refused(f"一次最多统计 {MAX_MONTHS} 个月，请缩小范围。")
    return last


@page
def figures_page(ctx: Ctx) -> Response:
    ctx.office_only()
    month = _month(ctx)
    try:
        last = _last_month(ctx, month)
    except Refused as refusal:
        last, error = month, str(refusal)
    else:
        error = ""
    zone = ctx.dashboard.zone
    if last == month:
        now, cases, tables = month_tables(ctx.db, month, zone, now=_as_of(ctx, month))
    else:
        now, cases, tables = range_tables(ctx.db, month, last, zone, now=_as_of(ctx, last))
    charts = []
    for title in ("按联络站", "按代表"):
        for column in ("办结率", "满意率"):
            index = 1 + COLUMNS.index(column)
            rates = [(row[0], row[index].value) for row in tables[title]]
            rows = [(n, v, "—" if v is None else f"{v:.1%}") for n, v in rates]
            charts.append(bars(f"{column}（{title[1:]}）", rows))
    shown = {t: [[c if not isinstance(c, Rate) else str(c) for c in row] for row in rows]
             for t, rows in tables.items()}  # fmt: skip
    return render(
        ctx, "figures.html", month=month, last=last, error=error, tables=shown,
        columns=COLUMNS, charts=charts,
        rules=RATE_RULES, as_of=now.astimezone(ctx.dashboard.zone), count=len(cases),
    )  # fmt: skip


@page
def ledger_xlsx(ctx: Ctx) -> Response:
    ctx.office_only()
    month = _month(ctx)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "ledger.xlsx"
        write_xlsx(ctx.db, month, ctx.dashboard.zone, path, now=_as_of(ctx, month))
        body = path.read_bytes()
    name = f"ledger-{month}.xlsx"
    return Response(
        body, media_type=XLSX, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@page
def suggestions_page(ctx: Ctx) -> Response:
    month = _month(ctx)
    zone = ctx.dashboard.zone
    station = ctx.db.get(Station, ctx.station) if ctx.station is not None else None
    digest = station_digest(ctx.db, station, month, zone)
    table = suggestion_figures(ctx.db, month, zone) if station is None else []
    return render(
        ctx, "suggestions.html", month=month, digest=digest, table=table, results=RESULTS,
        labels=STATUS_LABELS, zone=zone,
    )  # fmt: skip
