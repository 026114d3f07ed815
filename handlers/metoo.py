"""我也遇到 in the intake dialog: when the summary is shown and another resident of the
same grid reported the same problem in the last 14 days (case still open), the summary
offers to follow that case — button, typed “我也遇到” or “2” — or to file separately
(“确认提交” or “1”, as in every summary, so typed habits keep working)."""

from __future__ import annotations

from typing import Any

from casework.lifecycle import STATUS_LABELS, Status
from casework.metoo import follow, similar_open_case
from handlers.followers import metoo_messages
from handlers.format import short
from handlers.turn import Turn

__all__ = ["FOLLOW", "follow_similar", "me_too_offer"]

FOLLOW = ("我也遇到", "intake:metoo")


def me_too_offer(
    turn: Turn, draft: dict[str, Any], lines: list[str], choices: list[tuple[str, str]]
) -> tuple[list[str], list[tuple[str, str]]]:
    """The summary's lines and choices, with the offer when there is a similar case."""
    draft.pop("similar", None)
    if not draft.get("grid") or not draft.get("category") or not draft.get("text"):
        return lines, choices
    case = similar_open_case(
        turn.session,
        grid_code=draft["grid"],
        category=draft["category"],
        text=draft["text"],
        identity=turn.identity,
        now=turn.now,
        places=turn.services.directory.places,
    )
    if case is None:
        return lines, choices
    draft["similar"] = case.ticket
    days = max((turn.now - case.created_at).days, 0)
    when = "今天" if days == 0 else f"{days}天前"
    offer = [
        f"【是同一问题吗？】本村（社区）居民{when}已反映：“{short(case.text, 30)}”"
        f"（工单 {case.ticket}，{STATUS_LABELS[Status(case.status)]}）。",
        "如是同一问题，点“我也遇到”关注该工单的办理进展，不再重复登记；"
        "不是同一问题，请点“确认提交”另行登记。",
    ]
    # "1" stays the submit step, as in every summary; following is the second choice.
    offered: list[tuple[str, str]] = []
    for choice in choices:
        offered.append(choice)
        if choice[1] == "intake:submit":
            offered.append(FOLLOW)
    return [*lines, *offer], offered


def follow_similar(turn: Turn, _args: list[str]) -> None:
    draft = dict(turn.state.data.get("draft") or {})
    ticket = draft.get("similar")
    if not ticket:
        turn.reply("该选项已失效，请按最新的提示操作。")
        return
    cw = turn.services.casework
    followed = follow(cw, turn.session, cw.get(turn.session, ticket), turn.identity, draft["text"])
    turn.go("idle")
    turn.out.extend(metoo_messages(followed))
