"""One QQ event, from the webhook or the gateway: note what passive replies may answer, wake
the messages waiting for that chat, and hand the message to the dispatcher (in a thread: it
is synchronous and talks to the database). Re-deliveries are dropped by the dispatcher's
dedupe on the message id."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from bot.channels.qq.inbound import chat_of, event_to_incoming
from bot.channels.qq.outbound import record_target, refuse_active, wake_waiting
from casework.clock import Clock
from handlers.dispatcher import Dispatcher
from storage.db import SessionFactory

__all__ = ["QQReceiver"]

log = logging.getLogger(__name__)

MESSAGES = {"C2C_MESSAGE_CREATE", "GROUP_AT_MESSAGE_CREATE"}
# Events whose event_id a passive message may answer (send.md, the event_id parameter).
REPLYABLE_EVENTS = {"FRIEND_ADD", "GROUP_ADD_ROBOT", "C2C_MSG_RECEIVE", "GROUP_MSG_RECEIVE"}
ACTIVE_OFF = {"C2C_MSG_REJECT", "GROUP_MSG_REJECT"}
ACTIVE_ON = {"C2C_MSG_RECEIVE", "GROUP_MSG_RECEIVE"}


def _utcnow() -> datetime:
    return datetime.now(UTC)


class QQReceiver:
    def __init__(
        self,
        dispatcher: Dispatcher,
        sessions: SessionFactory,
        clock: Clock,
        *,
        now: Callable[[], datetime] = _utcnow,  # QQ's real clock, for its reply windows
    ) -> None:
        self.dispatcher = dispatcher
        self.sessions = sessions
        self.clock = clock
        self.now = now

    async def handle(self, event: str, data: Any, event_id: str | None = None) -> bool:
        """Handle one dispatched event; False when it was a re-delivery or nothing for us."""
        if not isinstance(event, str) or not isinstance(data, dict):
            return False
        await asyncio.to_thread(self._note_chat, event, data, event_id)
        incoming = event_to_incoming(event, data, event_id)
        if incoming is None:
            return False
        outcome = await asyncio.to_thread(self.dispatcher.handle, incoming)
        return outcome.handled

    def _note_chat(self, event: str, data: dict[str, Any], event_id: str | None) -> None:
        chat = chat_of(event, data)
        if chat is None:
            return
        now = self.now()
        if event in MESSAGES and isinstance(data.get("id"), str) and data["id"]:
            record_target(self.sessions, chat, now, msg_id=data["id"])
        elif event in REPLYABLE_EVENTS and event_id:
            record_target(self.sessions, chat, now, event_id=event_id)
        else:
            if event in ACTIVE_OFF:
                refuse_active(self.sessions, chat, now, True)
            return
        if event in ACTIVE_ON:
            refuse_active(self.sessions, chat, now, False)
        woken = wake_waiting(self.sessions, chat, self.clock.now())
        if woken:
            log.info("a QQ chat wrote again: %d waiting message(s) go now", woken)
