"""Drains the outbox: claims due rows atomically, sends them in order per chat, marks each
sent once. Rate limits and retries per channel (DESIGN.md §7, §8).

A crash after the commit and before sending loses nothing: the rows stay pending. A crash
in the middle of one ``send`` leaves that row ``sending``; it is retried after the lease
expires, the one case where a message can arrive twice (no channel offers idempotent sends).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from datetime import timedelta

from sqlalchemy import select, update

from bot.channels.base import Channel, PermanentFailure, RetryLater
from bot.channels.limits import ChatPacer
from casework.clock import Clock
from casework.outbox import Message, claim, post
from storage.db import SessionFactory, transaction
from storage.models import OutboxMessage

__all__ = ["OutboxSender"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        batch: int = 50,
        lease: timedelta = timedelta(minutes=5),
    ) -> None:
        self.sessions = sessions
        self.channels = dict(channels)
        self.clock = clock
        self.batch = batch
        self.lease = lease
        # Channels that declare rate limits (Telegram) are paced per chat and per bot.
        self._pacers = {
            name: ChatPacer(channel.limits)
            for name, channel in self.channels.items()
            if getattr(channel, "limits", None) is not None
        }

    def _claim(self) -> list[tuple[int, str, str, str, list, str]]:
        with transaction(self.sessions) as session:
            return claim(session, self.clock.now(), self.channels, self.batch, self.lease)

    def take_for_reply(
        self, channel: str, chat_id: str, row_ids: Collection[int]
    ) -> tuple[str, list] | None:
        """The chat's next message, marked sent, for a channel that can answer in the HTTP
        response itself (WeChat's passive reply) — only if it is one of ``row_ids``, the rows
        the request being answered wrote: anything older waits for the sender, in order."""
        if not row_ids:
            return None
        with transaction(self.sessions) as session:
            first = session.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.channel == channel,
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.status.in_(("pending", "sending")),
                )
                .order_by(OutboxMessage.id)
            ).first()
            if first is None or first.status != "pending" or first.id not in row_ids:
                return None
            claimed = session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == first.id, OutboxMessage.status == "pending")
                .values(status="sent", sent_at=self.clock.now(), attempts=1)
            ).rowcount
            return (first.text, list(first.choices)) if claimed else None

    async def drain(self) -> int:
        """Send everything due now; returns how many were sent."""
        sent = 0
        while True:
            rows = self._claim()
            if not rows:
                return sent
            stalled: set[tuple[str, str]] = set()
            for row_id, channel_name, chat_id, text, choices, kind in rows:
                if (channel_name, chat_id) in stalled:
                    self._release(row_id)
                    continue
                pacer = self._pacers.get(channel_name)
                if pacer is not None:
                    wait = pacer.wait_for(chat_id)
                    if wait > 0:  # too soon for this chat: later, without holding up others
                        stalled.add((channel_name, chat_id))
                        self._release(row_id, after_seconds=wait)
                        continue
                    await pacer.bucket.acquire()
                try:
                    await self.channels[channel_name].send(
                        chat_id, text, [tuple(c) for c in choices], kind=kind
                    )
                except RetryLater as wait:
                    stalled.add((channel_name, chat_id))
                    self._retry(row_id, str(wait), wait.after_seconds)
                except PermanentFailure as failure:
                    self._fail(row_id, str(failure))
                except Exception as error:  # network and server errors: back off, retry
                    log.warning("send %s failed: %s", row_id, error)
                    stalled.add((channel_name, chat_id))
                    self._retry(row_id, repr(error), None)
                else:
                    self._mark_sent(row_id)
                    sent += 1
                finally:
                    if pacer is not None:
                        pacer.sent(chat_id)

    async def run(self, stop: asyncio.Event, *, idle: float = 0.5) -> None:
        while not stop.is_set():
            try:
                count = await self.drain()
            except Exception:
                log.exception("outbox drain failed")
                count = 0
            if not count:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle)

    def _mark_sent(self, row_id: int) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row_id, OutboxMessage.status == "sending")
                .values(status="sent", sent_at=self.clock.now(), error=None)
            )

    def _release(self, row_id: int, *, after_seconds: float = 0.0) -> None:
        """Back to pending, not counted as an attempt."""
        values: dict = {"status": "pending", "attempts": OutboxMessage.attempts - 1}
        if after_seconds:
            values["not_before"] = self.clock.now() + timedelta(seconds=after_seconds)
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
            )

    def _retry(self, row_id: int, reason: str, after_seconds: float | None) -> None:
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            if row.attempts >= MAX_ATTEMPTS and after_seconds is None:
                return self._fail_in(
                    session, row, f"gave up after {row.attempts} attempts: {reason}"
                )
            delay = after_seconds if after_seconds is not None else min(3600, 2**row.attempts)
            row.status = "pending"
            row.error = reason
            row.not_before = self.clock.now() + timedelta(seconds=delay)

    def _fail(self, row_id: int, reason: str) -> None:
        with transaction(self.sessions) as session:
            row = session.get(OutboxMessage, row_id)
            assert row is not None
            self._fail_in(session, row, reason)

    def _fail_in(self, session, row: OutboxMessage, reason: str) -> None:
        row.status = "failed"
        row.error = reason
        log.warning("outbox %s to %s failed for good: %s", row.id, row.recipient, reason)
        if row.recipient != "office":
            post(
                session,
                self.clock.now(),
                Message(
                    "office",
                    f"消息无法送达{row.recipient}（{reason}）。内容：{row.text[:200]}",
                    case_id=row.case_id,
                ),
            )
