"""A parsed WeChat message or event → the channel-free ``Incoming``.

wechatpy converts a field when it is read (``int(MsgId)``, ``float(Location_X)``…) and hands
nested XML over as a dict: every field we use is read here, checked, and turned into
:class:`MalformedMessage` (the callback answers 400) when it is not what WeChat sends.
"""

from __future__ import annotations

import math
import re
from typing import Any

from handlers.incoming import Incoming

__all__ = ["CHANNEL", "MalformedMessage", "dedupe_key", "message_to_incoming", "sender_of"]

CHANNEL = "wechat"
_QRSCENE = "qrscene_"  # subscribe events carry the scene as "qrscene_<scene>"
# An OpenID is 28 characters of this alphabet; 64 leaves room without reaching our columns.
_OPENID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_SCENE_LENGTH = 64  # QR_LIMIT_STR_SCENE: at most 64 characters
_MEDIA_LENGTH = 1024
_FAILURES = (ValueError, TypeError, OverflowError, OSError, AttributeError)


class MalformedMessage(ValueError):
    """The XML parsed, but a field is not what WeChat sends (forged or broken)."""


def _read(message: Any, attribute: str) -> Any:
    try:
        return getattr(message, attribute)
    except _FAILURES as error:  # wechatpy converts on access: int("abc"), float("x")…
        raise MalformedMessage(f"{attribute}: {type(error).__name__}") from None


def _text(message: Any, attribute: str, *, limit: int | None = None) -> str:
    value = _read(message, attribute)
    if value is None:
        return ""
    if not isinstance(value, str):  # nested XML comes as a dict, repeated tags as a list
        raise MalformedMessage(f"{attribute}: not text")
    if limit is not None and len(value) > limit:
        raise MalformedMessage(f"{attribute}: longer than {limit}")
    return value


def _number(message: Any, attribute: str, low: float, high: float) -> float:
    value = _read(message, attribute)  # text for location messages, float for events
    try:
        number = float(value) if isinstance(value, str | float) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number) or not low <= number <= high:  # NaN fails both
        raise MalformedMessage(f"{attribute}: not a coordinate")
    return number


def _point(message: Any, latitude: str, longitude: str) -> tuple[float, float]:
    return _number(message, latitude, -90, 90), _number(message, longitude, -180, 180)


def sender_of(message: Any) -> str:
    """The sender's OpenID, checked."""
    if message is None:
        raise MalformedMessage("empty message")
    openid = _text(message, "source")
    if not _OPENID.match(openid):
        raise MalformedMessage("FromUserName: not an OpenID")
    _text(message, "target", limit=64)  # the reply goes back to it
    return openid


def dedupe_key(message: Any) -> str:
    """MsgId for messages; FromUserName + CreateTime for events (they have no MsgId)."""
    msg_id = _read(message, "id")
    if not isinstance(msg_id, int) or not 0 <= msg_id < 2**64:
        raise MalformedMessage("MsgId: not a message id")
    if msg_id:
        return f"m{msg_id}"
    created = _read(message, "time")  # CreateTime as the integer WeChat sent
    if not isinstance(created, int) or not 0 <= created < 2**40:
        raise MalformedMessage("CreateTime: not a time")
    return f"e{sender_of(message)}:{created}:{getattr(message, 'event', '')}"


def message_to_incoming(message: Any) -> Incoming | None:
    """None for what the bot does not act on (voice, video, unsubscribe, menu clicks…);
    MalformedMessage when a field we would use is broken."""
    openid = sender_of(message)
    kind = getattr(message, "type", "")
    event = str(getattr(message, "event", "")).lower() if kind == "event" else ""
    acted_on = ("text", "location", "image") if kind != "event" else ()
    if kind not in acted_on and event not in ("subscribe", "subscribe_scan", "scan", "location"):
        return None
    base = {
        "channel": CHANNEL,
        "chat_id": openid,
        "user_id": openid,
        "message_id": dedupe_key(message),
    }
    if kind == "text":
        return Incoming(text=_text(message, "content"), **base)
    if kind == "location":
        return Incoming(location=_point(message, "location_x", "location_y"), **base)
    if kind == "image":
        media = _text(message, "media_id", limit=_MEDIA_LENGTH)
        return Incoming(photo=media or _text(message, "image", limit=_MEDIA_LENGTH), **base)
    if event == "location":
        return Incoming(location=_point(message, "latitude", "longitude"), **base)
    attribute = "key" if event == "subscribe" else "scene_id"
    scene = _text(message, attribute, limit=_SCENE_LENGTH + len(_QRSCENE))
    return Incoming(start=scene.removeprefix(_QRSCENE), **base)
