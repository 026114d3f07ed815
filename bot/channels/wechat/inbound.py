"""A parsed WeChat message or event → the channel-free ``Incoming``."""

from __future__ import annotations

from typing import Any

from handlers.incoming import Incoming

__all__ = ["CHANNEL", "dedupe_key", "message_to_incoming"]

CHANNEL = "wechat"
_QRSCENE = "qrscene_"  # subscribe events carry the scene as "qrscene_<scene>"


def dedupe_key(message: Any) -> str:
    """MsgId for messages; FromUserName + CreateTime for events (they have no MsgId)."""
    msg_id = getattr(message, "id", None)
    if msg_id:
        return f"m{msg_id}"
    created = getattr(message, "create_time", None)
    stamp = int(created.timestamp()) if hasattr(created, "timestamp") else created
    return f"e{message.source}:{stamp}:{getattr(message, 'event', '')}"


def message_to_incoming(message: Any) -> Incoming | None:
    """None for what the bot does not act on (voice, video, unsubscribe, menu clicks…)."""
    kind = getattr(message, "type", "")
    base = {
        "channel": CHANNEL,
        "chat_id": message.source,
        "user_id": message.source,
        "message_id": dedupe_key(message),
    }
    if kind == "text":
        return Incoming(text=message.content, **base)
    if kind == "location":
        return Incoming(location=(float(message.location_x), float(message.location_y)), **base)
    if kind == "image":
        return Incoming(photo=message.media_id or message.image, **base)
    if kind != "event":
        return None
    event = str(getattr(message, "event", "")).lower()
    if event in ("subscribe", "subscribe_scan"):
        scene = str(getattr(message, "scene_id", None) or getattr(message, "key", None) or "")
        return Incoming(start=scene.removeprefix(_QRSCENE), **base)
    if event == "scan":
        return Incoming(start=str(message.scene_id or ""), **base)
    if event == "location":
        return Incoming(location=(float(message.latitude), float(message.longitude)), **base)
    return None
