"""Drains the outbox: claims due rows atomically, sends them in order per chat, marks each
sent once. Rate limits and retries per channel (DESIGN.md §7, §8).

A crash after the commit and before sending loses nothing: the rows stay pending. Claimed rows
are held on a short lease that the sender renews while it works (a heartbeat), so after a
``kill -9`` another sender (or the restarted one) takes them over within ``LEASE`` instead of
minutes, while a live sender never loses its rows to another. A crash in the middle of one
``send`` leaves that row ``sending``; it is retried after the lease expires, the one case where
a message can arrive twice (no channel offers idempotent sends).

On SIGTERM (``stop``) the sender finishes the send in flight, hands every other claimed row
back to ``pending`` and returns: a process manager's SIGKILL a few seconds later finds nothing
half-done.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Collection, Mapping
from datetime import timedelta

from sqlalchemy import bindparam, select, update

from bot.channels.base import Channel, PermanentFailure, RetryLater
from bot.channels.limits import ChatPacer
from casework.clock import Clock
from casework.outbox import Message, claim, claim_these, post
from storage.db import SessionFactory, autocommit_engine, engine_of, transaction
from storage.models import OutboxMessage

__all__ = ["OutboxSender"]

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# How long a claimed row stays with its sender without a heartbeat; renewed every quarter.
LEASE = timedelta(seconds=20)


# Built once: a statement's construction costs more than SQLite's work on it (issue 15).
_MARK_SENT = (
    update(OutboxMessage)
    .where(OutboxMessage.id == bindparam("row_id"), OutboxMessage.status == "sending")
    .values(status="sent", sent_at=bindparam("now"), error=None)
)


class OutboxSender:
    def __init__(
        self,
        sessions: SessionFactory,
        channels: Mapping[str, Channel],
        clock: Clock,
        *,
        batch: int = 50,
        lease: timedelta = LEASE,
    ) -> None:
        self.sessions = sessions
        self.channels = dict(channels)
        self.clock = clock
        self.batch = batch
        self.lease = lease
        self._held: set[int] = set()  # claimed by this sender, not yet settled
        self._autocommit = autocommit_engine(engine_of(sessions), durable=False)
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

    async def drain(self, stop: asyncio.Event | None = None) -> int:
        """Send everything due now; returns how many were sent. When ``stop`` is set, the
        send in flight finishes and the rest of the batch goes back to ``pending``."""
        sent = 0
        mine: set[int] = set()  # send_now may hold other rows of this sender meanwhile
        heartbeat = asyncio.create_task(self._keep_leases())
        try:
            while stop is None or not stop.is_set():
                rows = self._claim()
                if not rows:
                    return sent
                sent += await self._send_batch(rows, stop, mine)
            return sent
        finally:
            heartbeat.cancel()
            if mine:  # stopped mid-batch: hand the rest back at once
                self._release_all(sorted(mine))

    async def send_now(self, row_ids: Collection[int]) -> int:
        """Send the rows one update just wrote, at once: the resident reads the answer
        without waiting for the next drain, and no search of the queue is needed. A row
        that may not go yet (an earlier message to its chat is unsent, or the chat's pace)
        stays for ``drain``; so does everything if another sender took them first."""
        if not row_ids:
            return 0
        with self._autocommit.begin() as connection:  # one statement, one round trip
            rows = claim_these(connection, self.clock.now(), self.channels, row_ids)
        if not rows:
            return 0
        mine: set[int] = set()
        heartbeat = asyncio.create_task(self._keep_leases())
        try:
            return await self._send_batch(rows, None, mine)
        finally:
            heartbeat.cancel()
            if mine:  # cancelled mid-batch
                self._release_all(sorted(mine))

    async def _send_batch(self, rows: list, stop: asyncio.Event | None, mine: set[int]) -> int:
        """Send claimed rows in order; ``mine`` holds those of them not settled yet."""
        mine.update(row[0] for row in rows)
        self._held.update(mine)
        sent = 0
        stalled: set[tuple[str, str]] = set()
        for row_id, channel_name, chat_id, text, choices, kind in rows:
            if stop is not None and stop.is_set():
                return sent  # drain() releases what is still held
            try:
                sent += await self._send_one(
                    row_id, channel_name, chat_id, text, choices, kind, stalled
                )
            finally:  # settled (sent, retried, failed or released)
                self._held.discard(row_id)
                mine.discard(row_id)
        return sent

    async def _send_one(
        self,
        row_id: int,
        channel_name: str,
        chat_id: str,
        text: str,
        choices: list,
        kind: str,
        stalled: set[tuple[str, str]],
    ) -> int:
        if (channel_name, chat_id) in stalled:
            self._release(row_id)
            return 0
        pacer = self._pacers.get(channel_name)
        if pacer is not None:
            wait = pacer.wait_for(chat_id)
            if wait > 0:  # too soon for this chat: later, without holding up others
                stalled.add((channel_name, chat_id))
                self._release(row_id, after_seconds=wait)
                return 0
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
            return 1
        finally:
            if pacer is not None:
                pacer.sent(chat_id)
        return 0

    async def _keep_leases(self) -> None:
        """Renew the lease of the rows this sender holds, including the one being sent, so
        that only a dead sender's rows are taken over."""
        while True:
            await asyncio.sleep(self.lease.total_seconds() / 4)
            held = sorted(self._held)  # the row in flight included
            if not held:
                continue
            try:
                with transaction(self.sessions) as session:
                    session.execute(
                        update(OutboxMessage)
                        .where(OutboxMessage.id.in_(held), OutboxMessage.status == "sending")
                        .values(claimed_at=self.clock.now())
                    )
            except Exception:  # a busy database: the next beat tries again
                log.warning("outbox lease renewal failed", exc_info=True)

    async def run(self, stop: asyncio.Event, *, idle: float = 0.5) -> None:
        while not stop.is_set():
            try:
                count = await self.drain(stop)
            except Exception:
                log.exception("outbox drain failed")
                count = 0
            if not count:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=idle)

    def _mark_sent(self, row_id: int) -> None:
        with self._autocommit.begin() as connection:  # one statement, one round trip
            connection.execute(_MARK_SENT, {"row_id": row_id, "now": self.clock.now()})

    def _release(self, row_id: int, *, after_seconds: float = 0.0) -> None:
        """Back to pending, not counted as an attempt."""
        values: dict = {"status": "pending", "attempts": OutboxMessage.attempts - 1}
        if after_seconds:
            values["not_before"] = self.clock.now() + timedelta(seconds=after_seconds)
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
            )

    def _release_all(self, row_ids: list[int]) -> None:
        """Claimed rows not sent (a stop mid-batch): back to pending, not counted."""
        with transaction(self.sessions) as session:
            session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(row_ids), OutboxMessage.status == "sending")
                .values(status="pending", attempts=OutboxMessage.attempts - 1)
            )
        self._held.difference_update(row_ids)

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
