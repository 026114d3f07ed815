"""One-time group-binding codes: where a group cannot tell who is a deputy (QQ gives a person
a different id in every group and another in the private chat), the deputy — or office staff
— asks the bot for a code in their private chat and sends it in the group with the station
to bind: ``绑定 ST-DL 123456``. A code binds only a station its holder may bind, once, within
ten minutes."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import NotPermitted, Refused
from storage.models import Deputy, GroupBindCode, Station

__all__ = ["CODE_LIFETIME", "issue_group_code", "redeem_group_code", "stations_for"]

CODE_LIFETIME = timedelta(minutes=10)
DIGITS = 6


def stations_for(session: Session, holder: str) -> list[Station] | None:
    """The stations ``holder`` ("deputy:D001" | "office") may bind a group to; None: all."""
    if holder == "office":
        return None
    deputy = session.get(Deputy, holder.removeprefix("deputy:"))
    if deputy is None:
        return []
    seen = {s.code: s for s in [*deputy.stations, *deputy.head_of]}
    return sorted(seen.values(), key=lambda s: s.code)


def issue_group_code(session: Session, holder: str, now: datetime) -> str:
    """A fresh code for ``holder``; their older unused codes stop working."""
    for old in session.scalars(
        select(GroupBindCode).where(
            GroupBindCode.issued_to == holder, GroupBindCode.used_at.is_(None)
        )
    ):
        old.expires_at = min(old.expires_at, now)
    while True:
        code = f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"
        existing = session.get(GroupBindCode, code)
        if existing is None:
            break
        if existing.used_at is not None or existing.expires_at <= now:
            session.delete(existing)  # a spent code's number may come round again
            session.flush()
            break
    session.add(
        GroupBindCode(code=code, issued_to=holder, created_at=now, expires_at=now + CODE_LIFETIME)
    )
    return code


def redeem_group_code(
    session: Session, code: str, station_or_deputy: str, used_in: str, now: datetime
) -> tuple[Station, str]:
    """The station the group is to be bound to and who bound it; the code is spent."""
    row = session.get(GroupBindCode, code)
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise Refused(
            "验证码无效或已过期。请代表在与机器人的私聊中发送“群绑定码”获取新的验证码"
            "（10分钟内有效，只能使用一次）。"
        )
    wanted = station_or_deputy.upper()
    station = session.get(Station, wanted)
    if station is None:
        deputy = session.get(Deputy, wanted)
        places = [*deputy.stations, *deputy.head_of] if deputy is not None else []
        if not places:
            raise Refused(f"没有代码为“{station_or_deputy}”的联络站或代表。")
        station = places[0]
    allowed = stations_for(session, row.issued_to)
    if allowed is not None and station.code not in {s.code for s in allowed}:
        raise NotPermitted(f"该验证码的持有人不能把本群绑定到{station.name}。")
    row.used_at, row.used_in = now, used_in
    return station, row.issued_to
