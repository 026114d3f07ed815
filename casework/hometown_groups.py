"""Hometown groups (我为家乡建言献策): binding a group chat to its station (or to a deputy
and that deputy's station), and who its members are.

Only the group's creator or an administrator (as the channel says:
``Incoming.sender_is_admin``), a deputy of the target station, or the office may bind or
re-bind a group; anyone else is told how it is done, and nothing changes.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import NotPermitted, Refused
from casework.identities import identity_for
from storage.models import ChatIdentity, Deputy, HometownGroup, Station

__all__ = ["HOW_TO_BIND", "bind_group", "group_of", "member_identity"]

HOW_TO_BIND = (
    "只有本群群主或管理员、本联络站的人大代表或代表工委可以绑定本群。\n"
    "绑定方法：请群主或管理员点击联络站提供的群邀请链接把机器人加入本群，"
    "或在群里发送“绑定 联络站代码”（如“绑定 ST-DL”；在QQ群里请先@机器人）。"
)


def group_of(session: Session, channel: str, chat_id: str) -> HometownGroup | None:
    return session.scalars(
        select(HometownGroup).where(
            HometownGroup.channel == channel, HometownGroup.chat_id == chat_id
        )
    ).first()


def member_identity(
    session: Session, channel: str, user_id: str, now: datetime, display_name: str = ""
) -> ChatIdentity:
    """A group member's identity: the same person as their private chat (Telegram and the
    simulator share the id); one first seen here is marked ``group_only``."""
    known = session.scalar(
        select(ChatIdentity.id).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == user_id
        )
    )
    identity = identity_for(session, channel, user_id, now, display_name)
    if known is None:
        identity.group_only = True
    return identity


def bind_group(
    session: Session,
    channel: str,
    chat_id: str,
    code: str,
    now: datetime,
    *,
    by: ChatIdentity,
    admin: bool,
) -> HometownGroup:
    """Bind (or re-bind) a group to a station, or to a deputy and that deputy's station.

    Only the group's creator or an administrator (as the channel says), a deputy of the
    target station, or the office may; anyone else is told how it is done.
    """
    if not (admin or by.role in ("office", "deputy")):
        raise NotPermitted(HOW_TO_BIND)
    code = code.strip()
    station = session.get(Station, code) or session.get(Station, code.upper())
    deputy: Deputy | None = None
    if station is None:
        deputy = session.get(Deputy, code) or session.get(Deputy, code.upper())
        if deputy is None:
            raise Refused(f"没有代码为“{code}”的联络站或代表，请使用联络站提供的邀请链接。")
        if not deputy.stations:
            raise Refused(f"{deputy.name}代表尚未加入联络站，暂不能绑定本群。")
        station = deputy.stations[0]
    if by.role == "deputy" and not admin:
        own = by.deputy
        mine = own is not None and (
            (deputy is not None and own.code == deputy.code)
            or any(s.code == station.code for s in own.stations)
        )
        if not mine:
            raise NotPermitted(f"您不是{station.name}的代表，不能把本群绑定到该站。")
    actor = "admin" if admin else (f"deputy:{by.deputy_code}" if by.role == "deputy" else "office")
    group = group_of(session, channel, chat_id)
    if group is None:
        group = HometownGroup(channel=channel, chat_id=chat_id, station_code=station.code)
        session.add(group)
    group.station_code, group.station = station.code, station
    group.deputy_code = deputy.code if deputy else None
    group.deputy = deputy
    group.bound_at, group.bound_by = now, actor
    session.flush()
    return group
