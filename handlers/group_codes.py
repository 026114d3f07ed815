"""Binding a group with a one-time code (``casework.group_codes``): a deputy or office staff
sends "群绑定码" in their private chat and then "@机器人 绑定 ST-DL 123456" in the group.

On QQ this is the only way: a member's id in a group is not their private-chat id, so
"a bound deputy" cannot be recognised in the group by id, and QQ does not say who is a group
admin. Elsewhere it is one more way, beside the station's group link."""

from __future__ import annotations

import re

from sqlalchemy import select

from casework.errors import NotPermitted, Refused
from casework.group_codes import CODE_LIFETIME, issue_group_code, redeem_group_code, stations_for
from casework.hometown_groups import bind_group
from handlers.turn import Turn
from storage.models import ChatIdentity

__all__ = ["asks_for_group_code", "bind_with_code", "give_group_code"]

_REQUEST = {"群绑定码", "绑定码", "/groupcode"}
_BIND = re.compile(r"^/?绑定\s*([A-Za-z0-9-]{2,32})\s+(\d{6})$")
_BIND_WITHOUT_CODE = re.compile(r"^/?绑定(?:\s*[A-Za-z0-9-]{2,32})?\s*$")


def asks_for_group_code(turn: Turn) -> bool:
    return turn.text in _REQUEST


def give_group_code(turn: Turn) -> None:
    """In a deputy's or office staff's private chat: a fresh code and how to use it."""
    identity = turn.identity
    if identity.role not in ("deputy", "office"):
        raise NotPermitted("群绑定码只发给代表和代表工委工作人员。")
    holder = "office" if identity.role == "office" else f"deputy:{identity.deputy_code}"
    code = issue_group_code(turn.session, holder, turn.now)
    stations = stations_for(turn.session, holder)
    example = stations[0].code if stations else "ST-…"
    minutes = int(CODE_LIFETIME.total_seconds() // 60)
    lines = [
        f"群绑定验证码：{code}（{minutes}分钟内有效，只能使用一次）。",
        f"请在要绑定的QQ群中@机器人，发送：绑定 {example} {code}",
    ]
    if stations:
        lines.append("您可以绑定的联络站：" + "、".join(f"{s.name}（{s.code}）" for s in stations))
    turn.reply("\n".join(lines))


def bind_with_code(turn: Turn) -> bool:
    """In a group: "绑定 ST-DL 123456" binds it; False when the message is not that."""
    incoming = turn.incoming
    here = f"chat:{incoming.channel}:{incoming.chat_id}"
    match = _BIND.match(turn.text)
    if match is None:
        if incoming.channel == "qq" and _BIND_WITHOUT_CODE.match(turn.text):
            # QQ cannot tell us who is a deputy or a group admin: only a code proves it.
            raise Refused(
                "绑定本群需要验证码：请本群的代表（或代表工委工作人员）在与机器人的私聊中发送"
                "“群绑定码”，再在群里@机器人发送“绑定 联络站代码 验证码”，例如“绑定 ST-DL 123456”。"
            )
        return False
    _station, holder = redeem_group_code(
        turn.session, match.group(2), match.group(1), f"{incoming.channel}:{incoming.chat_id}",
        turn.now,
    )  # fmt: skip
    # The group is bound by the code's holder, as if they had written from their own chat.
    group = bind_group(
        turn.session, incoming.channel, incoming.chat_id, match.group(1), turn.now,
        by=_holder_identity(turn, holder), admin=False,
    )  # fmt: skip
    whose = (
        f"{group.deputy.name}代表（{group.station.name}）" if group.deputy else group.station.name
    )
    turn.reply_to(
        here,
        f"本群已绑定为{whose}的“我为家乡建言献策”群。\n"
        "· 提建议：@机器人 发送“建议 内容”\n"
        "· 附议：@机器人 发送“附议 建议编号”\n"
        "每月汇总后转交家乡的人大代表，答复会发回本群。",
    )
    return True


def _holder_identity(turn: Turn, holder: str) -> ChatIdentity:
    """The private chat that asked for the code (a code is only given to one)."""
    query = select(ChatIdentity).where(ChatIdentity.group_only.is_(False))
    if holder == "office":
        query = query.where(ChatIdentity.role == "office")
    else:
        query = query.where(
            ChatIdentity.role == "deputy",
            ChatIdentity.deputy_code == holder.removeprefix("deputy:"),
        )
    identity = turn.session.scalars(query.order_by(ChatIdentity.id)).first()
    if identity is None:
        raise NotPermitted("该验证码的持有人已不再是代表或代表工委工作人员。")
    return identity
