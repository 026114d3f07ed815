"""How times, places and cases read in Chinese messages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from casework.lifecycle import STATUS_LABELS, Status
from handlers import actions
from storage.models import Case

__all__ = [
    "case_card",
    "case_line",
    "deputy_choices",
    "local_time",
    "resident_of",
    "short",
]

_WEEKDAYS = "一二三四五六日"


def local_time(instant: datetime | None, zone: ZoneInfo) -> str:
    if instant is None:
        return "—"
    t = instant.astimezone(zone)
    return f"{t.month}月{t.day}日（周{_WEEKDAYS[t.weekday()]}）{t:%H:%M}"


def short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def place_of(case: Case) -> str:
    if case.grid is not None:
        return f"{case.grid.name}（{case.grid.station.name}）"
    if case.station is not None:
        return case.station.name
    return "未确定"


def case_line(case: Case) -> str:
    label = STATUS_LABELS[Status(case.status)]
    return f"{case.ticket}｜{label}｜{case.category}｜{short(case.text, 20)}"


def case_card(case: Case, zone: ZoneInfo, *, for_deputy: bool) -> str:
    lines = [
        f"工单号：{case.ticket}",
        f"状态：{STATUS_LABELS[Status(case.status)]}",
        f"类别：{case.category}" + ("（紧急）" if case.urgent else ""),
        f"位置：{place_of(case)}",
        f"问题：{case.text}",
    ]
    if case.photos:
        lines.append(f"照片：{len(case.photos)}张")
    if case.deputy is not None:
        lines.append(f"承办代表：{case.deputy.name}")
    if case.department is not None:
        lines.append(f"转办部门：{case.department.name}")
    if for_deputy and case.status in (Status.ASSIGNED, Status.REOPENED):
        lines.append(f"签收时限：{local_time(case.accept_due_at, zone)}")
    if case.status not in (Status.RESOLVED, Status.RATED, Status.CLOSED, Status.CANCELLED):
        lines.append(f"答复时限：{local_time(case.answer_due_at, zone)}")
    if case.resolution:
        lines.append(f"办理结果：{case.resolution}")
    return "\n".join(lines)


def resident_of(case: Case) -> str:
    """The recipient name of the chat the resident reported from."""
    return f"identity:{case.origin_identity_id}"


def deputy_choices(ticket: str, status: str) -> list[tuple[str, str]]:
    """The next steps a deputy can take on a case, as buttons (typed forms in the help)."""
    if status in ("assigned", "reopened"):
        return [("受理", actions.encode("accept", ticket))]
    return [
        ("回复居民", actions.encode("reply", ticket)),
        ("转办部门", actions.encode("transfer", ticket)),
        ("办结", actions.encode("resolve", ticket)),
    ]
