"""Receiving from Telegram: long polling, or updates posted to the webhook. Each update is
handled in a thread (the dispatcher is synchronous and talks to the database), deduplicated
by its update_id, and a pressed button is answered so the client stops its spinner. An update
without the Bot API's shape raises MalformedUpdate before anything is stored."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bot.channels.telegram.updates import MalformedUpdate, read_update
from handlers.dispatcher import Dispatcher
from handlers.groups import is_bind_attempt
from handlers.incoming import Incoming

__all__ = ["TelegramBackend", "TelegramReceiver"]

log = logging.getLogger(__name__)


class TelegramBackend(Protocol):
    async def updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]: ...

    async def answer_button(self, callback_query_id: str, text: str | None = None) -> None: ...

    async def chat_member_status(self, chat_id: str, user_id: str) -> str: ...


SendNow = Callable[[tuple[int, ...]], Awaitable[int]]


class TelegramReceiver:
    def __init__(
        self,
        backend: TelegramBackend,
        dispatcher: Dispatcher,
        on_migrated: Callable[[str, str], None] | None = None,
        send_now: SendNow | None = None,
    ) -> None:
        self.backend = backend
        self.dispatcher = dispatcher
        self.on_migrated = on_migrated
        # The outbox sender's ``send_now``, where this process sends: an update's replies go
        # out right after its transaction instead of at the sender's next drain, in a task of
        # their own so that a slow Bot API never holds up the next update.
        self.send_now = send_now
        self._sending: set[asyncio.Task[None]] = set()

    async def handle(self, update: dict[str, Any]) -> bool:
        """Handle one update; False when it was a re-delivery or carried nothing for us.
        Raises MalformedUpdate (nothing stored) when it is not a Bot API update."""
        reading = read_update(update)
        if reading.migration is not None:
            if self.on_migrated is not None:
                await asyncio.to_thread(self.on_migrated, *reading.migration)
            return True
        handled = False
        incoming = reading.incoming
        if incoming is not None and is_bind_attempt(incoming):
            incoming = await self._with_admin_flag(incoming)
        replies: tuple[int, ...] = ()
        # A pressed button is answered at once, while the dispatcher works: the client's
        # spinner stops sooner, and the two round trips overlap.
        answering = (
            asyncio.create_task(self._answer(reading.callback_query_id))
            if reading.callback_query_id is not None
            else None
        )
        try:
            if incoming is not None:
                outcome = await asyncio.to_thread(self.dispatcher.handle, incoming)
                handled, replies = outcome.handled, outcome.outbox_ids
        finally:
            if answering is not None:
                await answering
        if replies and self.send_now is not None:
            task = asyncio.create_task(self._send(self.send_now, replies))
            self._sending.add(task)
            task.add_done_callback(self._sending.discard)
        return handled

    async def _answer(self, callback_query_id: str) -> None:
        try:
            await self.backend.answer_button(callback_query_id)
        except Exception as error:  # an expired query id is harmless
            log.info("answerCallbackQuery failed: %s", error)

    async def _send(self, send_now: SendNow, replies: tuple[int, ...]) -> None:
        try:
            await send_now(replies)
        except Exception:  # committed: the sender's drain sends them
            log.warning("sending an update's replies at once failed", exc_info=True)

    async def settle(self) -> None:
        """Wait for the replies being sent at once (before a stop, and in tests)."""
        while self._sending:
            await asyncio.gather(*self._sending, return_exceptions=True)

    async def _with_admin_flag(self, incoming: Incoming) -> Incoming:
        """Only a group's creator or administrators may bind it: ask Telegram
        (getChatMember) who the sender is there. A failed lookup is "not an admin", so
        the binding is refused with how-to, never applied by mistake.

        A message sent on behalf of the group itself comes from an anonymous administrator
        (only administrators can post as the group): admin, without asking."""
        if incoming.user_id == incoming.chat_id:
            return dataclasses.replace(incoming, sender_is_admin=True)
        try:
            status = await self.backend.chat_member_status(incoming.chat_id, incoming.user_id)
        except Exception as error:
            log.warning("getChatMember failed for a bind attempt: %s", error)
            status = ""
        admin = status in ("creator", "administrator")
        return dataclasses.replace(incoming, sender_is_admin=admin)

    async def poll(self, stop: asyncio.Event, *, timeout: int = 25) -> None:
        offset: int | None = None
        while not stop.is_set():
            fetch = asyncio.ensure_future(self.backend.updates(offset, timeout))
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait((fetch, stopping), return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if not fetch.done():
                # SIGTERM during a long poll: give it up. Nothing is lost: updates are
                # confirmed only by the next offset, so Telegram sends them again.
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await fetch
                return
            try:
                updates = fetch.result()
            except Exception as error:
                log.warning("getUpdates failed: %s; retrying in 3 s", error)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=3)
                continue
            for update in updates:
                try:
                    await self.handle(update)
                except MalformedUpdate as error:
                    log.warning("refused a malformed update (%s)", error)
                except Exception:
                    # One bad update must not stop the bot; its whole content goes to the log
                    # so that no resident's message is lost even then.
                    log.exception(
                        "update failed, kept here: %s", json.dumps(update, ensure_ascii=False)
                    )
                offset = int(update["update_id"]) + 1
