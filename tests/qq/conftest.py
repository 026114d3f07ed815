"""The QQ bench: the real app (SQLite), the web app served by uvicorn on 127.0.0.1, the fake
QQ platform, and one clock shared by both sides so that a test can move QQ's time."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from sqlalchemy import exists, func, select
from sqlalchemy.orm import aliased

from bot.bootstrap import App
from bot.channels.qq.api import QQApi
from bot.channels.qq.fake_api import FakeQQ
from bot.channels.qq.outbound import QQChannel
from bot.channels.qq.receiver import QQReceiver
from bot.channels.qq.token import SharedAppToken
from bot.channels.qq.webhook import QQWebhook
from bot.outbox_sender import OutboxSender
from bot.web import make_web_app
from casework.clock import SystemClock
from storage.db import transaction
from storage.models import OutboxMessage
from tests.conftest import make_app


@dataclass
class QQTime:
    """Real time plus an offset: QQ's windows and token lifetimes, movable by a test."""

    offset: timedelta = field(default_factory=timedelta)

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def epoch(self) -> float:
        return time.time() + self.offset.total_seconds()

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@dataclass
class QQBench:
    fake: FakeQQ
    app: App
    time: QQTime
    token: SharedAppToken
    api: QQApi
    channel: QQChannel
    receiver: QQReceiver
    sender: OutboxSender
    url: str  # the webhook, served on 127.0.0.1

    async def deliver(self, event: tuple[str, dict, str], **kwargs) -> int:
        """QQ posts the event to the webhook; the replies go out. Returns the HTTP status."""
        response = await self.fake.deliver(self.url, *event, **kwargs)
        await self.flush()
        return response.status_code

    async def flush(self, timeout: float = 15) -> None:
        """Drain the outbox until nothing is due within ``timeout`` (retries after a server
        error are waited for; rows waiting for the chat's next message stay pending)."""
        deadline = time.monotonic() + timeout
        while True:
            await self.sender.drain()
            soon = SystemClock().now() + timedelta(seconds=timeout)
            earlier = aliased(OutboxMessage)
            waiting_before = exists().where(
                earlier.channel == OutboxMessage.channel,
                earlier.chat_id == OutboxMessage.chat_id,
                earlier.id < OutboxMessage.id,
                earlier.status == "pending",
                earlier.not_before > soon,
            )
            with transaction(self.app.sessions) as session:
                due = session.scalar(
                    select(func.count()).where(
                        OutboxMessage.status.in_(("pending", "sending")),
                        OutboxMessage.not_before <= soon,
                        ~waiting_before,
                    )
                )
            if not due or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)

    def rows(self, **where) -> list[OutboxMessage]:
        with transaction(self.app.sessions) as session:
            query = select(OutboxMessage).order_by(OutboxMessage.id)
            for name, value in where.items():
                query = query.where(getattr(OutboxMessage, name) == value)
            return list(session.scalars(query))


@contextlib.asynccontextmanager
async def served(web) -> AsyncIterator[str]:
    """The ASGI app on 127.0.0.1 (a free port); yields its root URL."""
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest.fixture
async def qq(sqlite_url: str, tmp_path: Path) -> AsyncIterator[QQBench]:
    app = make_app(sqlite_url, tmp_path, SystemClock())  # real time: the outbox's waits
    clock = QQTime()
    async with FakeQQ(now=clock.now) as fake:
        token = SharedAppToken(
            fake.app_id, fake.secret, fake.token_url, app.sessions, clock=clock.epoch
        )
        api = QQApi(fake.base_url, token)
        channel = QQChannel(api, app.sessions, now=clock.now)
        channel.limits = None  # type: ignore[assignment]  # no pacing in the contract tests
        receiver = QQReceiver(app.dispatcher, app.sessions, app.clock, now=clock.now)
        web = make_web_app(app.engine, channels=["qq"], qq=QQWebhook(fake.secret, receiver))
        async with served(web) as root:
            yield QQBench(
                fake, app, clock, token, api, channel, receiver,
                app.sender({"qq": channel}), f"{root}/qq/webhook",
            )  # fmt: skip
        await api.close()
    app.engine.dispose()
