"""Typed commands (INTERFACES.md): Chinese words and their slash forms."""

from __future__ import annotations

import re
from dataclasses import dataclass

from casework.tickets import TICKET_PATTERN, normalise_ticket

__all__ = ["Command", "parse_command"]

# word → command name. Slash forms are Telegram-style aliases of the same command.
_WORDS = {
    "受理": "accept", "/accept": "accept",
    "回复": "reply", "/reply": "reply",
    "转办": "transfer", "/transfer": "transfer",
    "办结": "resolve", "/resolve": "resolve",
    "查询": "status", "/status": "status",
    "取消": "cancel", "/cancel": "cancel",
    "撤销": "withdraw", "/withdraw": "withdraw",
    "交办": "assign", "/assign": "assign",
    "重新反映": "reopen", "/reopen": "reopen",
    "退回": "return", "/return": "return",
    "督办": "supervise", "/supervise": "supervise",
    "答复建议": "answer_suggestion",
    "转为工单": "adopt_suggestion",
    "隐藏建议": "hide_suggestion",
}  # fmt: skip
_BARE = {
    "我的工单": "mycases", "/mycases": "mycases",
    "查询": "status", "/status": "status",
    "取消": "cancel", "/cancel": "cancel",
    "帮助": "help", "/help": "help",
    "待交办": "unassigned", "/unassigned": "unassigned",
    "逾期": "overdue", "/overdue": "overdue",
    "统计": "figures", "/figures": "figures",
    "受理": "accept", "/accept": "accept",  # bare: the one case awaiting 签收
    "建议列表": "suggestion_list",
    "我的建议": "my_suggestions",
    "代录": "file_offline", "/offline": "file_offline",
    "我的积分": "my_points", "/points": "my_points",
}  # fmt: skip
# Ticket numbers as typed: any case, full-width dashes, leading zeros optional (ys-2026-1).
TICKET = re.compile(TICKET_PATTERN)
_WITH_TICKET = re.compile(rf"^(\S+?)\s*({TICKET_PATTERN})(?:\s+(.*))?$", re.S)
# A command word with something that tries to be a ticket (ys-2026-1234567, YS-20261):
# answered "没有找到工单 …" rather than taken for a problem description.
_ATTEMPT = re.compile(r"^(\S+?)\s*([A-Za-z]{1,8}-[0-9-]+)(?:\s+(.*))?$", re.S)
# 统计 with a month (统计 2026-11): the office's figures of that month.
_FIGURES_OF = re.compile(r"^(?:统计|/figures)\s+(\d{4})[-年/.](\d{1,2})月?$")
_DASHES = str.maketrans({"－": "-", "—": "-", "–": "-", "‐": "-"})


@dataclass(frozen=True)
class Command:
    name: str
    ticket: str | None = None
    rest: str = ""


def parse_command(text: str) -> Command | None:
    """A command if ``text`` is one; None for free text (a problem description, a reply).

    Words that also start ordinary sentences (取消, 回复) count only when followed by a
    ticket number or standing alone, so "取消的公交线路……" stays a description.
    """
    text = text.strip()
    if not text:
        return None
    bare = _BARE.get(text.split("@")[0] if text.startswith("/") else text)
    if bare:
        return Command(bare)
    month = _FIGURES_OF.match(text.translate(_DASHES))
    if month:
        return Command("figures", rest=f"{int(month.group(1)):04d}-{int(month.group(2)):02d}")
    match = _WITH_TICKET.match(text.translate(_DASHES))
    if match:
        word = match.group(1).split("@")[0]
        name = _WORDS.get(word)
        if name:
            return Command(name, normalise_ticket(match.group(2)), (match.group(3) or "").strip())
    attempt = _ATTEMPT.match(text.translate(_DASHES))
    if attempt and _WORDS.get(attempt.group(1).split("@")[0]):
        name = _WORDS[attempt.group(1).split("@")[0]]
        return Command(name, attempt.group(2).upper(), (attempt.group(3) or "").strip())
    return None
