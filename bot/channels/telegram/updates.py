"""Bot API update (JSON, as both libraries hand it over) → the channel-free ``Incoming``.

One mapping for both backends: python-telegram-bot gives ``update.to_dict()``, aiogram
``update.model_dump()``; the Bot API's own field names are the contract.

An update is read defensively: the fields we use are checked against the Bot API's types
(pydantic models of the few objects we read, strict, other fields ignored). What breaks them
is :class:`MalformedUpdate` (the webhook answers 400); what is well formed but not for us
(a sticker, a channel post, a message without a sender) reads as nothing to do.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from handlers.incoming import Incoming

__all__ = [
    "CHANNEL",
    "START_PAYLOAD",
    "MalformedUpdate",
    "Reading",
    "migration_of",
    "parse_update_body",
    "read_update",
    "update_to_incoming",
]

CHANNEL = "telegram"
# Deep-link payloads are at most 64 characters of A-Z, a-z, 0-9, _ and -.
START_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_START = re.compile(r"^/start(?:@\w+)?(?:\s+(\S+))?\s*$")
_OURS = ("private", "group", "supergroup")
_GROUPS = ("group", "supergroup")
NAME_LENGTH = 64  # Telegram's own limit for first and last names; our column holds 100


class MalformedUpdate(ValueError):
    """The update does not have the Bot API's shape (forged, truncated, or not Telegram's)."""


def _clean(text: str) -> str:
    # A lone surrogate cannot come from Telegram (its JSON is UTF-8) and no database stores
    # it; NUL cannot be stored in PostgreSQL text and carries no meaning in a message.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("text is not valid Unicode") from None
    return text.replace("\x00", "")


# Telegram ids "have at most 52 significant bits" (Bot API, Chat.id).
_Id = Annotated[int, Field(strict=True, ge=-(2**52), le=2**52)]
_Text = Annotated[str, Field(strict=True), AfterValidator(_clean)]
_Short = Annotated[str, Field(strict=True, max_length=256), AfterValidator(_clean)]
_Latitude = Annotated[float, Field(strict=True, ge=-90, le=90, allow_inf_nan=False)]
_Longitude = Annotated[float, Field(strict=True, ge=-180, le=180, allow_inf_nan=False)]


class _Object(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _User(_Object):
    id: _Id
    is_bot: Annotated[bool, Field(strict=True)] = False
    first_name: _Text = ""
    last_name: _Text | None = None


class _Chat(_Object):
    id: _Id
    type: Annotated[str, Field(strict=True, max_length=32)]
    title: _Text | None = None


class _Location(_Object):
    latitude: _Latitude
    longitude: _Longitude


class _PhotoSize(_Object):
    file_id: Annotated[_Short, Field(min_length=1)]


class _Replied(_Object):
    sender: _User | None = Field(None, alias="from")
    text: _Text | None = None


class _Message(_Object):
    chat: _Chat
    sender: _User | None = Field(None, alias="from")
    sender_chat: _Chat | None = None  # sent on behalf of a chat (anonymous admin, channel)
    text: _Text | None = None
    caption: _Text | None = None
    location: _Location | None = None
    photo: list[_PhotoSize] | None = None
    reply_to_message: _Replied | None = None
    migrate_to_chat_id: _Id | None = None


class _ButtonMessage(_Object):
    chat: _Chat  # also an InaccessibleMessage (date 0) has its chat


class _CallbackQuery(_Object):
    id: Annotated[_Short, Field(min_length=1)]
    sender: _User = Field(alias="from")
    message: _ButtonMessage | None = None  # absent for inline-mode messages
    data: _Short | None = None


class _Update(_Object):
    update_id: Annotated[int, Field(strict=True, ge=0, le=2**52)]
    message: _Message | None = None
    callback_query: _CallbackQuery | None = None


@dataclass(frozen=True)
class Reading:
    """What an update asks of us: a message to handle, a group migration, a button to answer."""

    incoming: Incoming | None = None
    migration: tuple[str, str] | None = None  # (old chat id, new chat id)
    callback_query_id: str | None = None


def parse_update_body(body: bytes) -> dict[str, Any]:
    """A webhook body → the update's JSON object; MalformedUpdate when it is not one."""

    def no_constants(name: str) -> Any:
        raise ValueError(f"{name} is not JSON")

    try:
        update = json.loads(body, parse_constant=no_constants)
    except (ValueError, RecursionError) as error:  # RecursionError: absurdly deep nesting
        raise MalformedUpdate(f"not JSON: {type(error).__name__}") from None
    if not isinstance(update, dict):
        raise MalformedUpdate("not a JSON object")
    return update


def read_update(update: Mapping[str, Any]) -> Reading:
    """What ``update`` means; raises MalformedUpdate when it does not have the Bot API's shape."""
    try:
        parsed = _Update.model_validate(update)
    except (ValidationError, RecursionError) as error:
        raise MalformedUpdate(_summary(error)) from None
    message_id = f"u{parsed.update_id}"
    if parsed.callback_query is not None:
        return _button(parsed.callback_query, message_id)
    message = parsed.message
    if message is None:
        return Reading()  # edited messages, channel posts, members joining…: not for us
    chat = message.chat
    if message.migrate_to_chat_id is not None:
        return Reading(migration=(str(chat.id), str(message.migrate_to_chat_id)))
    if chat.type not in _OURS:
        return Reading()
    # Whose message it is. Telegram sets ``from`` in every private chat and group, and
    # ``sender_chat`` when someone writes on behalf of a chat: then the sender shown is a
    # placeholder (GroupAnonymousBot) shared by every group, so the chat is the author.
    # A message with neither is not Telegram's; keying it by "None" would make strangers share
    # one identity, so it is ignored.
    if message.sender_chat is not None:
        user_id, name = str(message.sender_chat.id), message.sender_chat.title or ""
    elif message.sender is not None:
        user_id, name = str(message.sender.id), _name(message.sender)
    else:
        return Reading()
    fields: dict[str, Any] = {}
    text = message.text if message.text is not None else message.caption
    if text is not None:
        start = _START.match(text.strip())
        if start:
            payload = start.group(1) or ""
            fields["start"] = payload if START_PAYLOAD.match(payload) else "?"
        else:
            fields["text"] = text
    if message.location is not None:
        fields["location"] = (message.location.latitude, message.location.longitude)
    if message.photo:
        fields["photo"] = message.photo[-1].file_id  # sizes come smallest first
    if not fields:
        return Reading()
    replied = message.reply_to_message
    fields["reply_to_bot"] = bool(replied and replied.sender and replied.sender.is_bot)
    if fields["reply_to_bot"] and replied is not None and replied.text is not None:
        fields["reply_to_text"] = replied.text  # names the suggestion a 附议 supports
    return Reading(
        incoming=Incoming(
            channel=CHANNEL,
            chat_id=str(chat.id),
            user_id=user_id,
            message_id=message_id,
            is_group=chat.type in _GROUPS,
            display_name=name[:NAME_LENGTH],
            **fields,
        )
    )


def _button(query: _CallbackQuery, message_id: str) -> Reading:
    # Without its message (an old or inline one) the button is answered in the presser's
    # private chat, which has the presser's id.
    chat = query.message.chat if query.message is not None else None
    chat_id, kind = (chat.id, chat.type) if chat is not None else (query.sender.id, "private")
    incoming = None
    if kind in _OURS:
        incoming = Incoming(
            channel=CHANNEL,
            chat_id=str(chat_id),
            user_id=str(query.sender.id),
            message_id=message_id,
            action=query.data or "",
            is_group=kind in _GROUPS,
            display_name=_name(query.sender)[:NAME_LENGTH],
        )
    return Reading(incoming=incoming, callback_query_id=query.id)


def _name(user: _User) -> str:
    return " ".join(p for p in (user.first_name, user.last_name) if p) or str(user.id)


def _summary(error: Exception) -> str:
    if isinstance(error, ValidationError):
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}"[:200]
    return type(error).__name__


def update_to_incoming(update: Mapping[str, Any]) -> Incoming | None:
    """The Incoming an update means, or None for updates we do not act on."""
    return read_update(update).incoming


def migration_of(update: Mapping[str, Any]) -> tuple[str, str] | None:
    """(old chat id, new chat id) when a group became a supergroup."""
    return read_update(update).migration
