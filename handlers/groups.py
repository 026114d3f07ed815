"""Hometown group chats: the bot joins by a station's group link, then collects "#建议 …",
"/jy …" and replies to the bot as suggestions. With Telegram's privacy mode on, the bot sees
only commands, mentions and replies — exactly these."""

from __future__ import annotations

import re

from casework.errors import Refused
from casework.suggestions import bind_group, group_of, record_suggestion
from handlers.format import short
from handlers.turn import Turn

__all__ = ["handle_group"]

_SUGGESTION = re.compile(r"^(?:#建议|＃建议|/jy(?:@\w+)?)\s*(.*)$", re.S)


def handle_group(turn: Turn) -> None:
    incoming = turn.incoming
    here = f"chat:{incoming.channel}:{incoming.chat_id}"
    if incoming.start is not None:
        if not incoming.start or incoming.start == "?":
            raise Refused("请使用联络站提供的群邀请链接添加机器人，以便绑定家乡联络站。")
        group = bind_group(
            turn.session, incoming.channel, incoming.chat_id, incoming.start, turn.now
        )
        turn.reply_to(
            here,
            f"本群已绑定为{group.station.name}的“我为家乡建言献策”群。\n"
            "群成员发送“#建议 内容”或“/jy 内容”，或直接回复机器人的消息，即可提交建议；"
            "每月汇总后转交家乡的人大代表。",
        )
        return
    match = _SUGGESTION.match((incoming.text or "").strip())
    text = match.group(1).strip() if match else (incoming.text or "").strip()
    if not (match or incoming.reply_to_bot) or not text:
        if match:  # "#建议" with nothing after it
            turn.reply_to(here, "请在“#建议”后面写上您的建议内容。")
        return  # ordinary chatter is none of the bot's business
    group = group_of(turn.session, incoming.channel, incoming.chat_id)
    if group is None:
        turn.reply_to(
            here, "本群尚未绑定家乡联络站，请管理员使用联络站提供的群邀请链接重新添加机器人。"
        )
        return
    result = turn.services.classifier.classify(text)
    _suggestion, acknowledge = record_suggestion(
        turn.session, group, incoming.user_id, incoming.display_name, text,
        result.category, result.keywords, turn.now,
    )  # fmt: skip
    if acknowledge:
        name = incoming.display_name or "您"
        turn.reply_to(here, f"已收到{name}的建议（{result.category}）：{short(text, 20)}。谢谢！")
