"""The webhook stores and answers; a worker handles (issue 15, item 3): the update is
committed before the 200, a re-delivery is stored once, a malformed body is 400 with no row,
and a worker started after a crash handles the backlog exactly once (one reply)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from bot.bootstrap import App
from bot.channels.telegram.fake_api import FakeBotApi
from bot.channels.telegram.ptb import PtbTelegram
from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.telegram.stored import UpdateWorker, store_update
from bot.web import make_web_app
from casework.clock import SystemClock
from storage.db import transaction
from storage.models import InboundMessage, OutboxMessage, TelegramUpdate, WorkerLease
from tests.conftest import make_app

SECRET = "s3cret-Token_1"


@dataclass
class Stored:
    app: App
    http: httpx.AsyncClient
    receiver: TelegramReceiver

    async def post(self, body: bytes) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        response = await self.http.post("/telegram/webhook", content=body, headers=headers)
        return response.status_code

    def count(self, model: Any) -> int:
        with transaction(self.app.sessions) as session:
            return session.scalar(select(func.count()).select_from(model)) or 0

    def worker(self) -> UpdateWorker:
        return UpdateWorker(self.app.sessions, self.receiver, SystemClock())

    def lapse_leases(self) -> None:
        """What 20 seconds after a worker's death does: its lease has run out."""
        with transaction(self.app.sessions) as session:
            session.execute(update(WorkerLease).values(expires_at=datetime(2000, 1, 1, tzinfo=UTC)))


@pytest.fixture
async def stored(db_url: str, tmp_path: Path) -> AsyncIterator[Stored]:
    app = make_app(db_url, tmp_path, SystemClock())
    async with FakeBotApi() as fake:
        channel = PtbTelegram(fake.token, fake.server_root)
        await channel.start()
        receiver = TelegramReceiver(channel, app.dispatcher)
        web = make_web_app(
            app.engine,
            channels=["telegram"],
            telegram=receiver,
            telegram_secret=SECRET,
            telegram_store=partial(store_update, app.engine, SystemClock()),
        )
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield Stored(app, http, receiver)
        await channel.stop()
    app.engine.dispose()


def text_update(update_id: int, text: str = "你好", user: int = 1001) -> bytes:
    message = {
        "message_id": update_id,
        "date": 1_790_000_000,
        "chat": {"id": user, "type": "private", "first_name": "小王"},
        "from": {"id": user, "is_bot": False, "first_name": "小王"},
        "text": text,
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


async def test_the_update_is_committed_before_the_200_and_not_handled_inline(stored):
    assert await stored.post(text_update(10)) == 200
    assert stored.count(TelegramUpdate) == 1
    assert stored.count(InboundMessage) == 0  # handling is the worker's
    assert stored.count(OutboxMessage) == 0


async def test_a_redelivery_is_stored_once(stored):
    assert await stored.post(text_update(11)) == 200
    assert await stored.post(text_update(11)) == 200
    assert stored.count(TelegramUpdate) == 1


@pytest.mark.parametrize(
    "body", [b"{not json", b"[]", b'{"update_id": "x"}', b'{"update_id": 5, "message": 3}']
)
async def test_a_malformed_body_is_400_with_no_row(stored, body):
    assert await stored.post(body) == 400
    assert stored.count(TelegramUpdate) == 0


async def test_a_worker_started_after_a_crash_handles_the_backlog_once(stored):
    # Stored, then the process dies before any worker ran.
    for update_id in (20, 21):
        assert await stored.post(text_update(update_id, user=2000 + update_id)) == 200
    assert stored.count(InboundMessage) == 0
    assert await stored.worker().drain() == 2  # the restarted worker
    replies = stored.count(OutboxMessage)
    assert stored.count(InboundMessage) == 2
    assert replies >= 2
    stored.lapse_leases()
    assert await stored.worker().drain() == 0  # nothing twice
    # A crash after handling but before marking: handled again, de-duplicated there.
    with transaction(stored.app.sessions) as session:
        session.execute(update(TelegramUpdate).values(handled_at=None))
    stored.lapse_leases()
    assert await stored.worker().drain() == 2
    assert stored.count(InboundMessage) == 2
    assert stored.count(OutboxMessage) == replies  # one reply per message, not two


async def test_a_second_worker_waits_and_takes_over_from_a_stopped_or_dead_one(stored):
    """Two ``run worker`` processes: one handles, so one chat's updates stay in order."""
    first, second = stored.worker(), stored.worker()
    assert await stored.post(text_update(30, user=3000)) == 200
    assert await first.drain() == 1
    assert await stored.post(text_update(31, user=3000)) == 200
    assert await second.drain() == 0  # the first one holds the lease
    assert await first.drain() == 1
    first.release()  # a clean stop
    assert await stored.post(text_update(32, user=3000)) == 200
    assert await second.drain() == 1
    assert await stored.post(text_update(33, user=3000)) == 200
    assert await first.drain() == 0  # now the second one has it
    stored.lapse_leases()  # the second one died 20 s ago
    assert await first.drain() == 1
    assert stored.count(InboundMessage) == 4


async def test_handled_updates_are_purged_after_a_week_and_waiting_ones_never(stored):
    for update_id in (40, 41, 42):
        assert await stored.post(text_update(update_id, user=4000 + update_id)) == 200
    now = datetime.now(UTC)
    with transaction(stored.app.sessions) as session:
        rows = {r.update_id: r for r in session.scalars(select(TelegramUpdate))}
        rows[40].handled_at = now - timedelta(days=8)
        rows[41].handled_at = now - timedelta(days=6)
        rows[42].received_at = now - timedelta(days=30)  # old, but never handled
    retention = next(job for job in stored.app.jobs if job.name == "retention")
    await asyncio.to_thread(retention.run)
    with transaction(stored.app.sessions) as session:
        left = set(session.scalars(select(TelegramUpdate.update_id)))
    assert left == {41, 42}
