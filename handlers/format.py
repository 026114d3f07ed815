"""How times, places and cases read in Chinese messages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from casework.lifecycle import STATUS_LABELS, TRANSITIONS, Action, Status
from handlers import actions
from storage.models import Case

__all__ = [
    "case_card",
    "case_line",
    "deputy_choices",
    "excerpt",
    "local_time",
    "passed",
    "resident_of",
    "short",
]

_WEEKDAYS = "一二三四五六日"


def local_time(instant: datetime | None, zone: ZoneInfo) -> str:
    if instant is None:
        return "—"
    t = instant.astimezone(zone)
    return f"{t.month}月{t.day}日（周{_WEEKDAYS[t.weekday()]}）{t:%H:%M}"


def passed(due: datetime | None, now: datetime | None) -> bool:
    """Whether the limit ``due`` is already over at ``now`` (unknown ``now``: not said)."""
    return due is not None and now is not None and due < now


def _limit_line(label: str, due: datetime | None, zone: ZoneInfo, now: datetime | None) -> str:
    return f"{label}：{local_time(due, zone)}" + ("（已逾期）" if passed(due, now) else "")


def short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


# Reminders, escalations and look-ups quote a case's text up to this many characters: a
# 2,000-character complaint repeated in every 督办 would flood the head and the office (and
# pass Telegram's 4,096-character limit with the card around it).
EXCERPT = 120


def excerpt(case: Case, limit: int = EXCERPT) -> str:
    """The case's text, or its beginning with the length and the ticket to look it up."""
    if len(case.text) <= limit:
        return case.text
    return f"{case.text[:limit]}…（全文{len(case.text)}字，见工单 {case.ticket}）"


def place_of(case: Case) -> str:
    if case.grid is not None:
        return f"{case.grid.name}（{case.grid.station.name}）"
    if case.station is not None:
        return case.station.name
    return "未确定"


def case_line(case: Case) -> str:
    label = STATUS_LABELS[Status(case.status)]
    urgent = "【紧急】" if case.urgent else ""
    metoo = f"｜我也遇到{len(case.followers)}人" if case.followers else ""
    return f"{urgent}{case.ticket}｜{label}｜{case.category}｜{short(case.text, 20)}{metoo}"


def case_card(
    case: Case,
    zone: ZoneInfo,
    *,
    for_deputy: bool,
    now: datetime | None = None,
    full: bool = False,
) -> str:
    """The case as a card; with ``now``, a limit already over is marked 已逾期. ``full``: the
    whole text (a new assignment, a look-up); otherwise a long text is quoted as an excerpt
    with the ticket number."""
    lines = [
        f"工单号：{case.ticket}",
        f"状态：{STATUS_LABELS[Status(case.status)]}",
        f"类别：{case.category}" + ("（紧急）" if case.urgent else ""),
        f"位置：{place_of(case)}",
        f"问题：{case.text if full else excerpt(case)}",
    ]
    if case.photos:
        lines.append(f"照片：{len(case.photos)}张")
    if case.deputy is not None:
        lines.append(f"承办代表：{case.deputy.name}")
    if case.department is not None:
        lines.append(f"转办部门：{case.department.name}")
    if for_deputy and case.status in (Status.ASSIGNED, Status.REOPENED):
        lines.append(_limit_line("签收时限", case.accept_due_at, zone, now))
    if case.status not in (Status.RESOLVED, Status.RATED, Status.CLOSED, Status.CANCELLED):
        lines.append(_limit_line("答复时限", case.answer_due_at, zone, now))
    if case.resolution and case.status in _DONE:
        lines.append(f"办理结果：{case.resolution}")
    elif case.resolution:  # reopened or handed back: the last round's result, said as such
        lines.append(f"上次办理结果：{case.resolution}")
    if case.followers:
        lines.append(f"我也遇到：另有{len(case.followers)}位居民反映同一问题")
    if case.source == "offline" and for_deputy:
        claimed = "群众已认领" if case.claimed_at else "群众未认领，由代录代表转告"
        lines.append(f"来源：线下代录（{case.recorded_by}，{claimed}）")
        if case.resident_phone:
            lines.append(f"群众电话：{case.resident_phone}")
    return "\n".join(lines)


_DONE = (Status.RESOLVED, Status.RATED, Status.CLOSED)


def resident_of(case: Case) -> str:
    """The recipient name of the chat the resident reported from."""
    return f"identity:{case.origin_identity_id}"


_DEPUTY_STEPS = (
    (Action.ACCEPT, "受理", "accept"),
    (Action.ANSWER, "回复居民", "reply"),
    (Action.TRANSFER, "转办部门", "transfer"),
    (Action.RESOLVE, "办结", "resolve"),
)


def deputy_choices(ticket: str, status: str) -> list[tuple[str, str]]:
    """The next steps a deputy can take on a case, as buttons (typed forms in the help):
    only what the lifecycle table allows from ``status`` (none once resolved)."""
    allowed = {action for (source, action) in TRANSITIONS if source == status}
    return [
        (label, actions.encode(verb, ticket))
        for action, label, verb in _DEPUTY_STEPS
        if action in allowed
    ]
