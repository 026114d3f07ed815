"""Reception days (进站接待): scheduled by the office or a station head, reminded to the
deputies on the last working day before, told to residents who come in by the station's code.

Refused (nothing stored): a date that is not a date or is past, hours that are not
``HH:MM-HH:MM``, a deputy not of the station.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from casework.calendar import WorkingCalendar
from casework.errors import Refused
from storage.models import Deputy, Reception, Station

__all__ = [
    "REMIND_AT",
    "ReceptionRequest",
    "add_reception",
    "attended",
    "due_reminders",
    "next_reception",
    "parse_request",
    "when",
]

REMIND_AT = time(9, 0)  # local: the reminder goes with the morning jobs
_HOURS = re.compile(r"^(\d{1,2})[:：](\d{2})\s*[-－—~～至到]\s*(\d{1,2})[:：](\d{2})$")
_WEEKDAYS = "一二三四五六日"


@dataclass(frozen=True)
class ReceptionRequest:
    station_code: str
    day: date
    starts: str
    ends: str
    deputies: tuple[str, ...]


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise Refused(f"“{text}”不是有效日期，请写成 2026-12-15 这样的格式。") from None


def _hours(text: str) -> tuple[str, str]:
    match = _HOURS.match(text.strip())
    if not match:
        raise Refused(f"“{text}”不是有效的接待时间，请写成 09:00-11:30 这样的格式。")
    h1, m1, h2, m2 = (int(g) for g in match.groups())
    if not (h1 < 24 and h2 < 24 and m1 < 60 and m2 < 60) or (h1, m1) >= (h2, m2):
        raise Refused(f"接待时间“{text}”有误：开始时间应早于结束时间。")
    return f"{h1:02d}:{m1:02d}", f"{h2:02d}:{m2:02d}"


def parse_request(station_code: str, day: str, hours: str, deputies: str) -> ReceptionRequest:
    """The words of ``reception add ST-DL 2026-12-15 09:00-11:30 D001,D002`` (or chat)."""
    starts, ends = _hours(hours)
    codes = tuple(
        dict.fromkeys(c.strip().upper() for c in re.split(r"[,，、\s]+", deputies) if c.strip())
    )
    if not codes:
        raise Refused("请列出接待的代表编号，如 D001,D002。")
    return ReceptionRequest(station_code.strip().upper(), _day(day), starts, ends, codes)


def add_reception(
    session: Session, request: ReceptionRequest, by: str, now: datetime, zone
) -> Reception:
    station = session.get(Station, request.station_code)
    if station is None:
        raise Refused(f"没有找到联络站 {request.station_code}，请核对编号。")
    local = now.astimezone(zone)
    end = datetime.combine(request.day, time.fromisoformat(request.ends), tzinfo=zone)
    if request.day < local.date() or end <= local:
        raise Refused(f"{request.day.isoformat()} 已经过去，不能安排接待，请选择今后的日期。")
    members = {d.code for d in station.deputies}
    for code in request.deputies:
        deputy = session.get(Deputy, code)
        if deputy is None:
            raise Refused(f"没有找到代表 {code}，请核对编号。")
        if code not in members:
            raise Refused(
                f"{deputy.name}代表（{code}）不是{station.name}的代表，不能安排在该站接待。"
            )
    reception = Reception(
        station_code=station.code, day=request.day, starts=request.starts, ends=request.ends,
        deputies=list(request.deputies), created_by=by, created_at=now,
    )  # fmt: skip
    session.add(reception)
    session.flush()
    return reception


def when(reception: Reception) -> str:
    day = reception.day
    hours = f"{reception.starts}–{reception.ends}"
    return f"{day.month}月{day.day}日（周{_WEEKDAYS[day.weekday()]}）{hours}"


# Built once: every /start with a station asks it.
_UPCOMING = (
    select(Reception)
    .where(
        Reception.station_code == bindparam("station_code"),
        Reception.day >= bindparam("today"),
    )
    .order_by(Reception.day, Reception.starts)
)


def next_reception(session: Session, station_code: str, now: datetime, zone) -> Reception | None:
    """The station's next reception not yet over."""
    local = now.astimezone(zone)
    for reception in session.scalars(
        _UPCOMING, {"station_code": station_code, "today": local.date()}
    ):
        end = datetime.combine(reception.day, time.fromisoformat(reception.ends), tzinfo=zone)
        if end > local:
            return reception
    return None


def reminder_due(reception: Reception, calendar: WorkingCalendar, now: datetime) -> bool:
    """From ``REMIND_AT`` on the last working day before the reception (no working day left
    in between), until the reception day itself."""
    local = now.astimezone(calendar.zone)
    today = local.date()
    if reception.reminded_at is not None or not today < reception.day:
        return False
    if local.time() < REMIND_AT:
        return False
    between = (today + timedelta(days=n) for n in range(1, (reception.day - today).days))
    return not any(calendar.is_working_day(day) for day in between)


def due_reminders(session: Session, calendar: WorkingCalendar, now: datetime) -> list[Reception]:
    """Receptions whose reminder is due now, marked reminded (each is reminded once)."""
    today = now.astimezone(calendar.zone).date()
    due = [
        r
        for r in session.scalars(
            select(Reception)
            .where(Reception.reminded_at.is_(None), Reception.day > today)
            .order_by(Reception.day, Reception.id)
        )
        if reminder_due(r, calendar, now)
    ]
    for reception in due:
        reception.reminded_at = now
    return due


def attended(session: Session, deputy_code: str, start: date, end: date) -> list[Reception]:
    """The receptions ``deputy_code`` was scheduled for on days in ``[start, end)``."""
    rows = session.scalars(
        select(Reception)
        .where(Reception.day >= start, Reception.day < end)
        .order_by(Reception.day, Reception.id)
    )
    return [r for r in rows if deputy_code in (r.deputies or [])]
