"""Hometown group chats: bound to a station (the station's group link, ``/start ST-…``, or
the typed ``绑定 ST-…`` / ``绑定 D001``), then ``#建议 …``, ``＃建议``, ``/jy …``, replies
to the bot and — when the message was addressed to the bot, as QQ delivers ``@bot 建议 …``
— ``建议 …`` become numbered suggestions; ``附议`` / ``+1`` replying to the bot, or
``附议 JY-…``, support one. With Telegram's privacy mode on, the bot sees only commands,
mentions and replies — exactly these. Everything else in a group is none of the bot's
business.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import select

from casework.errors import Refused
from casework.hometown_groups import bind_group, group_of
from casework.suggestions import (
    NUMBER,
    find,
    latest_in_group,
    record_suggestion,
    split,
    support,
)
from handlers.format import short
from handlers.incoming import Incoming
from handlers.turn import Turn
from storage.models import DialogState, HometownGroup

__all__ = ["NOTICE_INTERVAL", "handle_group", "is_bind_attempt"]

# A group is told how to bind, or what the bot does, at most once in this interval.
NOTICE_INTERVAL = timedelta(minutes=10)

_SUGGESTION = re.compile(r"^(?:#建议|＃建议|/jy(?:@\w+)?)[\s:：]*(.*)$", re.S)
_ADDRESSED = re.compile(r"^建议[\s:：，,]*(.*)$", re.S)
_SUPPORT = re.compile(r"^(?:附议|\+1|＋1)\s*(JY-\d{4}-\d{6})?\s*[!！。.]*$", re.IGNORECASE)
_BIND = re.compile(r"^(?:绑定|/bind(?:@\w+)?)\s*([A-Za-z0-9_-]{1,32})$")
_SPLIT = re.compile(r"^(?:不同|不是同一件事|不是一回事|单独登记)[!！。.]*$")


def is_bind_attempt(incoming: Incoming) -> bool:
    """A group message that asks to (re)bind the group: the channel then finds out whether
    the sender administers the group (``Incoming.sender_is_admin``)."""
    if not incoming.is_group:
        return False
    return incoming.start is not None or bool(_BIND.match((incoming.text or "").strip()))


def _here(turn: Turn) -> str:
    return f"chat:{turn.incoming.channel}:{turn.incoming.chat_id}"


def handle_group(turn: Turn) -> None:
    incoming = turn.incoming
    text = (incoming.text or "").strip()
    if incoming.start is not None:
        if not incoming.start or incoming.start == "?":
            raise Refused("请使用联络站提供的群邀请链接添加机器人，以便绑定家乡联络站。")
        return _bind(turn, incoming.start)
    if bind := _BIND.match(text):
        return _bind(turn, bind.group(1))
    addressed = incoming.addressed_to_bot or incoming.reply_to_bot
    if (supported := _SUPPORT.match(text)) and (supported.group(1) or addressed):
        return _support(turn, supported.group(1))
    if addressed and _SPLIT.match(text):
        return _split(turn)
    if (written := _SUGGESTION.match(text)) is not None:
        body = written.group(1).strip()
        if not body:
            raise Refused(
                "请在“#建议”后面写上您的建议内容，例如“#建议 村口路灯坏了，希望尽快修好”。"
            )
        return _suggest(turn, body)
    if incoming.addressed_to_bot and (said := _ADDRESSED.match(text)) is not None:
        body = said.group(1).strip()
        if not body:
            raise Refused("请在“建议”后面写上您的建议内容。")
        return _suggest(turn, body)
    if incoming.reply_to_bot and text:
        return _suggest(turn, text)
    if incoming.addressed_to_bot:
        _help(turn)


def _bind(turn: Turn, code: str) -> None:
    incoming = turn.incoming
    group = bind_group(
        turn.session,
        incoming.channel,
        incoming.chat_id,
        code,
        turn.now,
        by=turn.identity,
        admin=incoming.sender_is_admin,
    )
    whose = (
        f"{group.deputy.name}代表（{group.station.name}）" if group.deputy else group.station.name
    )
    turn.reply_to(
        _here(turn),
        f"本群已绑定为{whose}的“我为家乡建言献策”群。\n"
        "群成员发送“#建议 内容”或“/jy 内容”，或直接回复机器人的消息，即可提交建议；"
        "回复机器人的确认消息“附议”（或发送“附议 建议编号”）可支持别人的建议。"
        "每月汇总后转交家乡的人大代表，答复会发回本群。",
    )


def _bound_group(turn: Turn) -> HometownGroup | None:
    group = group_of(turn.session, turn.incoming.channel, turn.incoming.chat_id)
    if group is None and _notice_due(turn, "unbound"):
        turn.reply_to(
            _here(turn),
            "本群尚未绑定家乡联络站，请群主或管理员使用联络站提供的群邀请链接重新添加机器人，"
            "或在群里发送“绑定 联络站代码”。",
        )
    return group


def _name(turn: Turn) -> str:
    return turn.incoming.display_name or "您"


def _suggest(turn: Turn, body: str) -> None:
    group = _bound_group(turn)
    if group is None:
        return
    services = turn.services
    result = services.classifier.classify(body)
    recorded = record_suggestion(
        turn.session, group, turn.identity, turn.incoming.user_id, turn.incoming.display_name,
        body, result.category, result.keywords, turn.now,
        zone=services.casework.calendar.zone, places=services.directory.places,
    )  # fmt: skip
    if not recorded.acknowledge:
        return
    s, name = recorded.suggestion, _name(turn)
    earlier = recorded.merged_into
    if earlier is None:
        text = (
            f"已收到{name}的建议 {s.number}（{s.category}）：{short(body, 20)}。谢谢！\n"
            "赞同的群友可回复本消息“附议”。"
        )
    elif recorded.own_repeat:
        text = (
            f"{name}，您的建议 {s.number} 与您此前提出的 {earlier.number}"
            f"（“{short(earlier.text, 20)}”）内容相同，已合并到 {earlier.number}。"
        )
    else:
        quoted = short(earlier.text, 20)
        text = (
            f"已收到{name}的建议 {s.number}：与建议 {earlier.number}（“{quoted}”）内容相同，"
            f"已合并，计为对 {earlier.number} 的附议（现{recorded.supporters}人支持）。谢谢！\n"
            "如不是同一件事，请回复本消息“不同”，将单独登记。"
        )
    turn.reply_to(_here(turn), text)


def _support(turn: Turn, number: str | None) -> None:
    group = _bound_group(turn)
    if group is None:
        return
    quoted = NUMBER.search(turn.incoming.reply_to_text or "")
    number = number or (quoted.group(0) if quoted else None)
    target = find(turn.session, number) if number else latest_in_group(turn.session, group)
    if target is None:
        raise Refused("本群还没有可以附议的建议。发送“#建议 内容”即可提出建议。")
    done = support(turn.session, target, turn.identity, group, turn.now)
    if done.acknowledge:
        turn.reply_to(
            _here(turn),
            f"已记录{_name(turn)}对建议 {done.suggestion.number}"
            f"（“{short(done.suggestion.text, 20)}”）的附议，现{done.supporters}人支持。",
        )


def _split(turn: Turn) -> None:
    group = _bound_group(turn)
    if group is None:
        return
    repeat = split(turn.session, group, turn.identity, turn.now)
    turn.reply_to(
        _here(turn),
        f"好的，{_name(turn)}的建议 {repeat.number}（“{short(repeat.text, 20)}”）已单独登记，"
        "不再计为对其他建议的附议。",
    )


def _help(turn: Turn) -> None:
    if not _notice_due(turn, "help"):
        return
    turn.reply_to(
        _here(turn),
        "您好！我是“我为家乡建言献策”群的建议收集助手。\n"
        "· 提建议：@我 发送“建议 内容”（或“#建议 内容”）\n"
        "· 附议：回复我的确认消息“附议”，或发送“附议 建议编号”\n"
        "每月汇总后转交家乡的人大代表，答复会发回本群。",
    )


def _notice_due(turn: Turn, kind: str) -> bool:
    """True at most once per ``NOTICE_INTERVAL`` per group and kind; the group's dialog
    row is locked first, so two messages at once still make one notice."""
    state = turn.state
    if state.id is not None:
        state = turn.session.scalars(
            select(DialogState)
            .where(DialogState.id == state.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        ).one()
    key = f"{kind}_notice_at"
    last = state.data.get(key)
    if last is not None and turn.now - datetime.fromisoformat(last) < NOTICE_INTERVAL:
        return False
    state.data = {**state.data, key: turn.now.isoformat()}
    state.updated_at = turn.now
    return True
