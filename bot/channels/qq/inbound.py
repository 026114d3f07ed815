"""A QQ event (``t`` and ``d`` of a dispatch payload) → the channel-free ``Incoming``.

Private chats are ``user:<user_openid>``; groups ``group:<group_openid>`` with the member as
``member:<member_openid>`` — QQ gives one person a different id in every group and another in
the private chat (bot-docs, dev-prepare/unique-id.md), so the two never match.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.incoming import Incoming

__all__ = ["CHANNEL", "chat_of", "event_to_incoming", "strip_mention"]

CHANNEL = "qq"
# QQ removes the bot's own mention and leaves a leading space (" 123"); other clients and the
# sub-channel API write it as <@!id> / <@id>.
_MENTION = re.compile(r"^(?:\s*<@!?\w+>)+")
# QQ has no deep links: a deputy types the invite ("inv-…", or "/start inv-…"); "/start CODE"
# is a station's or deputy's entry code typed from a poster.
_START = re.compile(
    r"^(?:/start\s+)?(inv-[A-Za-z0-9_-]{8,64})$|^/start(?:\s+([A-Za-z0-9_-]{1,64}))?$"
)


def strip_mention(content: str) -> str:
    return _MENTION.sub("", content).strip()


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def chat_of(event: str, data: dict[str, Any]) -> str | None:
    """The chat an event belongs to, for passive replies; None when there is none."""
    if event in ("C2C_MESSAGE_CREATE",):
        user = _str((data.get("author") or {}).get("user_openid"))
        return f"user:{user}" if user else None
    if event in ("FRIEND_ADD", "FRIEND_DEL", "C2C_MSG_REJECT", "C2C_MSG_RECEIVE"):
        user = _str(data.get("openid"))
        return f"user:{user}" if user else None
    group = _str(data.get("group_openid"))
    return f"group:{group}" if group else None


def _image(data: dict[str, Any]) -> str | None:
    for attachment in data.get("attachments") or []:
        if isinstance(attachment, dict) and str(attachment.get("content_type", "")).startswith(
            "image/"
        ):
            return _str(attachment.get("url"))
    return None


def event_to_incoming(event: str, data: dict[str, Any], event_id: str | None) -> Incoming | None:
    """None for events the conversation does not act on (or that carry nothing usable)."""
    if not isinstance(data, dict):
        return None
    author = data.get("author") if isinstance(data.get("author"), dict) else {}
    if event == "C2C_MESSAGE_CREATE":
        chat, msg_id = chat_of(event, data), _str(data.get("id"))
        if chat is None or msg_id is None:
            return None
        content = data.get("content")
        text = content.strip() if isinstance(content, str) and content.strip() else None
        photo = _image(data)
        if text is None and photo is None:
            return None
        start = _START.match(text or "")
        if start:
            return Incoming(
                channel=CHANNEL, chat_id=chat, user_id=chat, message_id=f"m{msg_id}",
                start=start.group(1) or start.group(2) or "",
            )  # fmt: skip
        return Incoming(
            channel=CHANNEL, chat_id=chat, user_id=chat, message_id=f"m{msg_id}", text=text,
            photo=photo,
        )  # fmt: skip
    if event == "GROUP_AT_MESSAGE_CREATE":
        chat, msg_id = chat_of(event, data), _str(data.get("id"))
        member = _str(author.get("member_openid"))
        content = data.get("content")
        if chat is None or msg_id is None or member is None or not isinstance(content, str):
            return None
        return Incoming(
            channel=CHANNEL, chat_id=chat, user_id=f"member:{member}", message_id=f"m{msg_id}",
            text=strip_mention(content), is_group=True, addressed_to_bot=True,
        )  # fmt: skip
    if event == "FRIEND_ADD":
        chat = chat_of(event, data)
        if chat is None or not event_id:
            return None
        # Like scanning a code with no payload: the welcome.
        return Incoming(
            channel=CHANNEL, chat_id=chat, user_id=chat, message_id=f"e{event_id}", start=""
        )
    return None
