"""The QQ channel's shared state on SQLite and PostgreSQL: one token for concurrent
processes, and passive-reply slots (msg_seq 1–5) handed out once each under concurrency."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from bot.bootstrap import App
from bot.channels.qq.api import QQApi
from bot.channels.qq.fake_api import FakeQQ
from bot.channels.qq.outbound import QQChannel, record_target
from bot.channels.qq.token import SharedAppToken


async def test_concurrent_processes_fetch_one_token(app: App):
    async with FakeQQ() as fake:
        tokens = [
            SharedAppToken(fake.app_id, fake.secret, fake.token_url, app.sessions) for _ in range(4)
        ]
        got = await asyncio.gather(*(t.get() for t in tokens))
    assert len(set(got)) == 1
    assert fake.token_requests == 1


async def test_passive_slots_are_handed_out_once_each(app: App):
    record_target(app.sessions, "group:G1", datetime.now(UTC), msg_id="M1")
    async with FakeQQ() as fake:
        channel = QQChannel(QQApi(fake.base_url, None), app.sessions)  # type: ignore[arg-type]
        with ThreadPoolExecutor(4) as pool:
            slots = list(pool.map(lambda _: channel._take_passive("group:G1"), range(7)))
    seqs = sorted(s[2] for s in slots if s is not None)
    assert seqs == [1, 2, 3, 4, 5]
    assert slots.count(None) == 2
