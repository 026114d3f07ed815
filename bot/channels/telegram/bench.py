"""``grid-intake bench telegram``: many messages to many chats through the real outbox sender
and python-telegram-bot, against the fake Bot API enforcing Telegram's 30 messages a second
with random 429s. Prints the achieved rate over the limit, and messages lost or duplicated."""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bot.outbox_sender import OutboxSender
from casework.clock import SystemClock
from casework.outbox import Message, post
from storage.db import make_engine, migrate, transaction
from storage.models import OutboxMessage

__all__ = ["bench_telegram"]

LIMIT = 30.0  # Telegram's ceiling per bot; our sender aims under it (28/s)


async def _run(messages: int, chats: int, random_429: float, workdir: Path) -> dict[str, Any]:
    from sqlalchemy.orm import sessionmaker

    from bot.channels.telegram.fake_api import FakeBotApi
    from bot.channels.telegram.ptb import PtbTelegram

    engine = make_engine(f"sqlite:///{workdir / 'bench.sqlite3'}")
    migrate(engine)
    sessions = sessionmaker(engine, expire_on_commit=False)
    clock = SystemClock()
    with transaction(sessions) as session:
        for i in range(messages):
            chat = 10_000 + i % chats
            post(session, clock.now(), Message(f"chat:telegram:{chat}", f"消息 {i}"))
    async with FakeBotApi(limit_per_second=LIMIT, random_429=random_429, seed=1) as fake:
        channel = PtbTelegram(fake.token, fake.server_root)
        await channel.start()
        sender = OutboxSender(sessions, {"telegram": channel}, clock, batch=200)
        started = time.monotonic()
        while True:
            await sender.drain()
            with transaction(sessions) as session:
                left = session.scalar(
                    select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not left:
                break
            await asyncio.sleep(0.02)
        elapsed = time.monotonic() - started
        await channel.stop()
        delivered = Counter((str(chat), text) for chat, text, _markup in fake.sent)
        rejected = fake.rejected
    engine.dispose()
    rate = sum(delivered.values()) / elapsed
    return {
        "messages": messages,
        "chats": chats,
        "seconds": round(elapsed, 1),
        "rate_per_second": round(rate, 2),
        "rate_over_limit": round(rate / LIMIT, 3),
        "lost": messages - len(delivered),
        "duplicates": sum(n - 1 for n in delivered.values() if n > 1),
        "429s_received": rejected,
    }


def bench_telegram(messages: int, chats: int, random_429: float) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        result = asyncio.run(_run(messages, chats, random_429, Path(workdir)))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
