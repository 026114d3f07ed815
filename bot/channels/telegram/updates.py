"""Bot API update (JSON, as both libraries hand it over) → the channel-free ``Incoming``.

One mapping for both backends: python-telegram-bot gives ``update.to_dict()``, aiogram
``update.model_dump()``; the Bot API's own field names are the contract.
"""

from __future__ import annotations

import re
from typing import Any

from handlers.incoming import Incoming

__all__ = ["CHANNEL", "START_PAYLOAD", "migration_of", "update_to_incoming"]


def migration_of(update: dict[str, Any]) -> tuple[str, str] | None:
    """(old chat id, new chat id) when a group became a supergroup."""
    message = update.get("message") or {}
    new = message.get("migrate_to_chat_id")
    if new is None:
        return None
    return str((message.get("chat") or {}).get("id")), str(new)


CHANNEL = "telegram"
# Deep-link payloads are at most 64 characters of A-Z, a-z, 0-9, _ and -.
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")


def _name(user: dict[str, Any]) -> str:
    return " ".join(p for p in (user.get("first_name"), user.get("last_name")) if p) or str(
        user.get("id", "")
    )


def update_to_incoming(update: dict[str, Any]) -> Incoming | None:
    """The Incoming an update means, or None for updates we do not act on."""
    update_id = update.get("update_id")
    if "callback_query" in update:
        query = update["callback_query"]
        user = query.get("from") or {}
        message = query.get("message") or {}
        chat = message.get("chat") or {"id": user.get("id"), "type": "private"}
        return Incoming(
            channel=CHANNEL,
            chat_id=str(chat["id"]),
            user_id=str(user.get("id")),
            message_id=f"u{update_id}",
            action=str(query.get("data") or ""),
            is_group=chat.get("type") in ("group", "supergroup"),
            display_name=_name(user),
        )
    message = update.get("message")
    if not message:
        return None
    chat = message.get("chat") or {}
    user = message.get("from") or {}
    fields: dict[str, Any] = {}
    text = message.get("text") or message.get("caption")
    if text is not None:
        start = _START.match(text.strip())
        if start:
            payload = start.group(1) or ""
            fields["start"] = payload if START_PAYLOAD.match(payload) else "?"
        else:
            fields["text"] = text
    if "location" in message:
        fields["location"] = (
            float(message["location"]["latitude"]),
            float(message["location"]["longitude"]),
        )
    if message.get("photo"):
        # Sizes come smallest first; keep the largest one's file_id.
        fields["photo"] = message["photo"][-1]["file_id"]
    if not fields:
        return None
    replied = message.get("reply_to_message") or {}
    fields["reply_to_bot"] = bool((replied.get("from") or {}).get("is_bot"))
    if fields["reply_to_bot"] and isinstance(replied.get("text"), str):
        fields["reply_to_text"] = replied["text"]  # names the suggestion a 附议 supports
    return Incoming(
        channel=CHANNEL,
        chat_id=str(chat.get("id")),
        user_id=str(user.get("id")),
        message_id=f"u{update_id}",
        is_group=chat.get("type") in ("group", "supergroup"),
        display_name=_name(user),
        **fields,
    )
