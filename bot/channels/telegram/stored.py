"""Store-then-handle for the Telegram webhook (issue 15, item 3).

The webhook checks the update's shape, commits it to ``telegram_updates`` (one row per
update_id, so Telegram's re-delivery is stored once) and answers 200; nothing else runs
while Telegram waits. A worker (``run worker`` or ``run all``) handles the stored updates in
update_id order and marks each handled. A crash between handling and marking re-handles the
update after restart, and the dispatcher's own inbound de-duplication (channel, message_id)
drops it there: one case, one reply. Web processes share nothing but the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import secrets
import socket
import time
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.orm import Session

from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.telegram.updates import MalformedUpdate, read_update
from casework.clock import Clock
from storage.db import SessionFactory, autocommit_engine, transaction
from storage.leases import hold, release
from storage.models import TelegramUpdate
from storage.upsert import insert_or_ignore_statement

__all__ = ["UpdateWorker", "purge_handled", "store_update"]

log = logging.getLogger(__name__)


def store_update(engine: Engine, clock: Clock, update: dict[str, Any]) -> bool:
    """Commit one update; False when its update_id is already stored. Raises
    MalformedUpdate (nothing stored) when it is not a Bot API update.

    One statement in autocommit (``INSERT … ON CONFLICT DO NOTHING``): on PostgreSQL one
    round trip that commits durably, instead of BEGIN, INSERT and COMMIT (issue 15)."""
    read_update(update)  # the shape check; the reading itself is the worker's
    update_id = update.get("update_id")
    if not isinstance(update_id, int) or isinstance(update_id, bool):
        raise MalformedUpdate("update_id is not an integer")
    values = {"update_id": update_id, "body": update, "received_at": clock.now()}
    statement = insert_or_ignore_statement(
        engine.dialect.name, TelegramUpdate, values, ["update_id"]
    )
    with autocommit_engine(engine).begin() as connection:
        return bool(connection.execute(statement).rowcount)


# Handled updates are kept this long (Telegram re-delivers for at most a day), then purged
# by the nightly retention job.
KEEP_HANDLED = timedelta(days=7)
LEASE = "telegram-updates"
LEASE_LENGTH = timedelta(seconds=20)


def purge_handled(session: Session, now: datetime, batch: int = 1_000) -> int:
    """Delete at most ``batch`` updates handled more than ``KEEP_HANDLED`` ago (through the
    index on handled_at); how many."""
    ids = list(
        session.scalars(
            select(TelegramUpdate.update_id)
            .where(TelegramUpdate.handled_at < now - KEEP_HANDLED)
            .order_by(TelegramUpdate.handled_at)
            .limit(batch)
        )
    )
    if ids:
        session.execute(delete(TelegramUpdate).where(TelegramUpdate.update_id.in_(ids)))
    return len(ids)


class UpdateWorker:
    """Handles stored, unhandled updates oldest first; safe to restart at any point.

    One worker at a time holds the lease and handles; a second ``run worker`` waits and
    takes over within ``LEASE_LENGTH`` of the first one's death, so one chat's updates are
    never handled side by side or out of order."""

    def __init__(
        self, sessions: SessionFactory, receiver: TelegramReceiver, clock: Clock, batch: int = 50
    ) -> None:
        self.sessions = sessions
        self.receiver = receiver
        self.clock = clock
        self.batch = batch
        self.holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
        self._renewed: float | None = None  # time.monotonic() of the last renewal

    def _hold(self) -> bool:
        """Take or renew the lease; renewed at most every quarter of its length."""
        if self._renewed is not None and (
            time.monotonic() - self._renewed < LEASE_LENGTH.total_seconds() / 4
        ):
            return True
        with transaction(self.sessions) as session:
            held = hold(session, LEASE, self.holder, self.clock.now(), LEASE_LENGTH)
        self._renewed = time.monotonic() if held else None
        return held

    def _pending(self) -> list[tuple[int, dict[str, Any]]]:
        with transaction(self.sessions) as session:
            rows = session.execute(
                select(TelegramUpdate.update_id, TelegramUpdate.body)
                .where(TelegramUpdate.handled_at.is_(None))
                .order_by(TelegramUpdate.update_id)
                .limit(self.batch)
            ).all()
        return [(int(row[0]), dict(row[1])) for row in rows]

    def _mark(self, update_id: int) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(TelegramUpdate)
                .where(TelegramUpdate.update_id == update_id)
                .values(handled_at=self.clock.now())
            )

    async def drain(self) -> int:
        """Handle everything stored so far; the number of updates handled (0 while another
        worker holds the lease)."""
        done = 0
        while await asyncio.to_thread(self._hold) and (
            rows := await asyncio.to_thread(self._pending)
        ):
            for update_id, body in rows:
                try:
                    await self.receiver.handle(body)
                except MalformedUpdate as error:
                    log.warning("stored update %s is malformed (%s)", update_id, error)
                except Exception:
                    # Kept in full in the log, and marked: one bad update must not block
                    # every resident after it.
                    log.exception(
                        "stored update failed, kept here: %s", json.dumps(body, ensure_ascii=False)
                    )
                await asyncio.to_thread(self._mark, update_id)
                done += 1
        return done

    def release(self) -> None:
        """Give the lease up (a clean stop): another worker takes over at once."""
        with transaction(self.sessions) as session:
            release(session, LEASE, self.holder)
        self._renewed = None

    async def run(self, stop: asyncio.Event, *, interval: float = 0.05) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.drain()
                except Exception:
                    log.exception("telegram update worker failed; retrying")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), interval)
        finally:
            with contextlib.suppress(Exception):  # else it lapses by itself
                await asyncio.to_thread(self.release)
