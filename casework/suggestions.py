"""Hometown groups (我为家乡建言献策): binding a group to its station, collecting suggestions."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import Refused
from storage.models import HometownGroup, Station, Suggestion

__all__ = ["ACK_INTERVAL", "bind_group", "group_of", "record_suggestion"]

# At most one acknowledgement per member per minute, so a group is not flooded.
ACK_INTERVAL = timedelta(minutes=1)


def group_of(session: Session, channel: str, chat_id: str) -> HometownGroup | None:
    return session.scalars(
        select(HometownGroup).where(
            HometownGroup.channel == channel, HometownGroup.chat_id == chat_id
        )
    ).first()


def bind_group(
    session: Session, channel: str, chat_id: str, station_code: str, now: datetime
) -> HometownGroup:
    station = session.get(Station, station_code)
    if station is None:
        raise Refused(f"没有代码为“{station_code}”的联络站，请使用联络站提供的邀请链接。")
    group = group_of(session, channel, chat_id)
    if group is None:
        group = HometownGroup(
            channel=channel, chat_id=chat_id, station_code=station.code, bound_at=now
        )
        session.add(group)
    else:
        group.station_code, group.bound_at = station.code, now
    group.station = station
    session.flush()
    return group


def record_suggestion(
    session: Session,
    group: HometownGroup,
    author_id: str,
    author_name: str,
    text: str,
    category: str,
    keywords: list[str],
    now: datetime,
) -> tuple[Suggestion, bool]:
    """Store a suggestion; the flag says whether to acknowledge it (not within a minute of
    the same member's last one)."""
    previous = session.scalars(
        select(Suggestion.created_at)
        .where(Suggestion.group_id == group.id, Suggestion.author_id == author_id)
        .order_by(Suggestion.created_at.desc())
    ).first()
    suggestion = Suggestion(
        group_id=group.id, author_id=author_id, author_name=author_name, text=text,
        category=category, keywords=keywords, created_at=now,
    )  # fmt: skip
    session.add(suggestion)
    return suggestion, previous is None or now - previous >= ACK_INTERVAL
