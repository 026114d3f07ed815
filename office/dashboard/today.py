"""The today board (今日): what waits for the office, as counts and the oldest cases."""

from __future__ import annotations

from starlette.responses import Response

from casework.lifecycle import STATUS_LABELS
from office.dashboard.queries import BOARD, board_list
from office.dashboard.web import Ctx, page, render

__all__ = ["board"]


@page
def board(ctx: Ctx) -> Response:
    now = ctx.dashboard.clock.now()
    lists = []
    for key, (title, meaning) in BOARD.items():
        count, cases = board_list(ctx.db, key, now, ctx.station)
        lists.append({"key": key, "title": title, "meaning": meaning, "count": count,
                      "cases": cases})  # fmt: skip
    return render(ctx, "today.html", lists=lists, now=now, statuses=STATUS_LABELS)
