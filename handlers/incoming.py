"""The one inbound type every channel normalises to."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["MAX_TEXT_LENGTH", "Incoming"]

MAX_TEXT_LENGTH = 2000


@dataclass(frozen=True)
class Incoming:
    channel: str  # "console", "telegram", "wechat"
    chat_id: str
    user_id: str
    message_id: str | None = None  # the channel's id, for dedupe; None where there is none
    text: str | None = None
    location: tuple[float, float] | None = None  # (latitude, longitude)
    photo: str | None = None  # the channel's file id
    action: str | None = None  # button data (untrusted: parsed and authorised again)
    start: str | None = None  # deep-link / QR payload; "" for a start with no payload
    is_group: bool = False
    display_name: str = ""
    reply_to_bot: bool = False  # in a group: a reply to one of the bot's messages
    reply_to_text: str | None = None  # the text of the message replied to, when known
    addressed_to_bot: bool = False  # in a group: the bot was @-mentioned (QQ: always)
    # In a group: the sender is its creator or an administrator, as far as the channel
    # can tell (Telegram: getChatMember, asked only for a bind attempt).
    sender_is_admin: bool = False
