"""Reception days in chat and in messages: ``接待 [ST-…] 2026-12-15 09:00-11:30 D001,D002``
(station heads for their station, the office for any), ``接待安排`` (the next ones), the
deputies' notice and reminder, the line residents read when they come in by a station's code.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.calendar import WorkingCalendar
from casework.errors import NotPermitted, Refused
from casework.outbox import Message
from casework.receptions import (
    add_reception,
    due_reminders,
    next_reception,
    parse_request,
    reminder_due,
    when,
)
from handlers.turn import Turn
from storage.models import Deputy, Reception, Station

__all__ = [
    "reception_line",
    "reminder_messages",
    "schedule",
    "schedule_from_chat",
    "scheduled_messages",
    "wants_reception",
]

_COMMAND = re.compile(r"^接待\s+(?:(ST-\S+)\s+)?(\S+)\s+(\S+)\s+(.+)$", re.I)
USAGE = "安排接待请发送：接待 2026-12-15 09:00-11:30 D001,D002（站长可省略联络站编号）"


def wants_reception(text: str) -> bool:
    return text == "接待" or text.startswith("接待 ") or text in ("接待安排", "/receptions")


def _names(session: Session, codes: list[str]) -> str:
    return "、".join(d.name for c in codes if (d := session.get(Deputy, c)) is not None)


def scheduled_messages(session: Session, reception: Reception, told: str = "") -> list[Message]:
    """The listed deputies hear of the new reception (not the one who scheduled it)."""
    station = reception.station or session.get(Station, reception.station_code)
    return [
        Message(
            f"deputy:{code}",
            f"【接待安排】{station.name}将于{when(reception)}开展代表进站接待，"
            f"接待代表：{_names(session, reception.deputies)}。前一个工作日会再提醒您。",
        )
        for code in reception.deputies
        if f"deputy:{code}" != told
    ]


def reminder_messages(session: Session, reception: Reception) -> list[Message]:
    station = reception.station or session.get(Station, reception.station_code)
    out = []
    for code in reception.deputies:
        deputy = session.get(Deputy, code)
        if deputy is None:
            continue
        out.append(
            Message(
                f"deputy:{code}",
                f"【接待提醒】{deputy.name}代表，{when(reception)}请到{station.name}接待选民"
                f"（接待代表：{_names(session, reception.deputies)}）。"
                "群众当面反映的问题，可发送“代录”登记为工单。",
            )
        )
    return out


def due_reminder_messages(
    session: Session, calendar: WorkingCalendar, now: datetime
) -> list[Message]:
    return [m for r in due_reminders(session, calendar, now) for m in reminder_messages(session, r)]


def schedule(
    session: Session, calendar: WorkingCalendar, now: datetime, words: tuple[str, str, str, str],
    by: str,
) -> tuple[Reception, list[Message]]:  # fmt: skip
    """Store a reception (refusing bad input) and the messages it causes: the deputies'
    notice, and their reminder straight away when its time has already come."""
    reception = add_reception(session, parse_request(*words), by, now, calendar.zone)
    messages = scheduled_messages(session, reception, told=by)
    if reminder_due(reception, calendar, now):
        reception.reminded_at = now
        messages += reminder_messages(session, reception)
    return reception, messages


def reception_line(session: Session, station_code: str | None, now: datetime, zone) -> str:
    """For a resident who came in by a station's code: when the next reception is."""
    if not station_code:
        return ""
    reception = next_reception(session, station_code, now, zone)
    if reception is None:
        return ""
    return (
        f"\n本站下次代表接待：{when(reception)}，接待代表：{_names(session, reception.deputies)}，"
        "欢迎当面反映。"
    )


def _station_for(turn: Turn, code: str | None) -> str:
    identity = turn.identity
    if identity.role == "office":
        if not code:
            raise Refused("请写明联络站编号：接待 ST-DL 2026-12-15 09:00-11:30 D001,D002")
        return code.upper()
    deputy = identity.deputy
    heads = [s.code for s in deputy.head_of] if deputy else []
    if not heads:
        raise NotPermitted("只有联络站站长或代表工委可以安排接待。")
    if code is None:
        if len(heads) > 1:
            raise Refused(f"您是多个联络站的站长（{'、'.join(heads)}），请写明联络站编号。")
        return heads[0]
    if code.upper() not in heads:
        raise NotPermitted(f"您不是 {code.upper()} 的站长，只能为本站安排接待。")
    return code.upper()


def _upcoming(turn: Turn) -> None:
    zone = turn.services.casework.calendar.zone
    today = turn.now.astimezone(zone).date()
    query = select(Reception).where(Reception.day >= today).order_by(Reception.day)
    deputy = turn.identity.deputy
    rows = [
        r
        for r in turn.session.scalars(query)
        if deputy is None or deputy.code in r.deputies
        or r.station_code in {s.code for s in deputy.head_of}
    ][:10]  # fmt: skip
    if not rows:
        turn.reply("目前没有已安排的接待。" + USAGE)
        return
    lines = [f"{r.station.name}｜{when(r)}｜{_names(turn.session, r.deputies)}" for r in rows]
    turn.reply("已安排的接待：\n" + "\n".join(lines))


def schedule_from_chat(turn: Turn) -> None:
    text = turn.text
    if text in ("接待安排", "/receptions"):
        return _upcoming(turn)
    match = _COMMAND.match(text)
    if not match:
        raise Refused(USAGE)
    station = _station_for(turn, match.group(1))
    by = "office" if turn.identity.role == "office" else f"deputy:{turn.identity.deputy_code}"
    calendar = turn.services.casework.calendar
    reception, messages = schedule(
        turn.session, calendar, turn.now, (station, *match.group(2, 3, 4)), by
    )
    turn.reply(
        f"已安排{reception.station.name}进站接待：{when(reception)}，"
        f"接待代表：{_names(turn.session, reception.deputies)}。"
        "已通知代表，前一个工作日上午再提醒。"
    )
    for message in messages:
        turn.send(message)
