"""``grid-intake bench update``: our cost per Telegram update against a bare
python-telegram-bot echo bot, side by side in one run on the same fake Bot API (issue 15,
item 4).

Each resident plays the usual intake: ``/start ST-DL`` (the station's code), the problem in
one message, then the 确认提交 button. The echo bot (PTB's ``Application`` with the two
handlers of its echo example: reply with the text, answer a button and reply with its
data) gets the same updates. Residents alternate between the two bots, so the machine's
noise falls on both alike.

Per update, ours is ``TelegramReceiver.handle`` as ``run`` wires it: reading, the
dispatcher's transaction (case, ledger, dialog state, outbox rows), then
``OutboxSender.send_now`` (the update's own rows claimed, sent over HTTP, marked sent); the
echo bot's is ``process_update`` including its reply. ``ours_dispatch_only`` is the
dispatcher's transaction alone (the in-process intake). The sender's Telegram pacing (1
message a second per chat, 28 a second overall) is off here: it is a deliberate wait, not
work, and the echo bot has none.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

__all__ = ["bench_update"]

# Monday 2026-11-23 10:00 in Shanghai: a working moment, so no limit falls on a holiday.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
PROBLEM = "东岭村的路灯坏了，晚上出门很不安全，麻烦尽快修一下"
STEPS = ("start", "problem", "confirm")


def _ms(seconds: list[float], q: float) -> float:
    ordered = sorted(seconds)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 2)


def _figures(seconds: list[float]) -> dict[str, float]:
    return {
        "p50_ms": _ms(seconds, 0.5),
        "p99_ms": _ms(seconds, 0.99),
        "mean_ms": round(statistics.fmean(seconds) * 1000, 2),
    }


async def _handle_and_send(receiver: Any, update: dict[str, Any]) -> None:
    await receiver.handle(update)
    await receiver.settle()  # its replies, sent in a task of their own


async def _timed(call: Callable[[], Awaitable[Any]]) -> float:
    started = time.perf_counter()
    await call()
    return time.perf_counter() - started


def _echo_application(fake: Any) -> Any:
    """The bare echo bot of python-telegram-bot's examples, on the fake Bot API."""
    from telegram import Update
    from telegram.ext import (
        Application,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.message is not None
        await update.message.reply_text(update.message.text or "")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        await query.answer()
        await context.bot.send_message(query.message.chat.id, query.data or "")

    application = (
        Application.builder()
        .token(fake.token)
        .base_url(fake.base_url)
        .base_file_url(fake.file_base_url)
        .updater(None)
        .build()
    )
    application.add_handler(MessageHandler(filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(button))
    return application


def _confirm_data(fake: Any, user: int) -> str:
    """The callback data of the 确认提交 button our bot last sent this resident."""
    for chat_id, _text, markup in reversed(fake.sent):
        if str(chat_id) == str(user) and markup:
            for row in markup["inline_keyboard"]:
                for button in row:
                    if button["text"] == "确认提交":
                        return str(button["callback_data"])
    raise SystemExit(f"resident {user} was never offered 确认提交")


CATEGORIES = ("城乡建设", "交通运输", "环境保护", "农业农村", "教育文体", "劳动和社会保障")


def _load_history(engine: Any, sessions: Any, cases: int) -> float:
    """``cases`` earlier cases over the past year, 99 in 100 closed, spread over the county's
    grids, six categories and all deputies (so a grid and category holds hundreds of recent
    ones, as a county at a province's size would); seconds taken."""
    from datetime import timedelta

    from sqlalchemy import select, text

    from bot.bench_scale import add_bench_resident, bulk
    from storage.db import transaction
    from storage.models import Deputy, Grid

    started = time.perf_counter()
    with transaction(sessions) as session:
        grids = list(session.execute(select(Grid.code, Grid.station_code)).all())
        deputies = list(session.scalars(select(Deputy.code).order_by(Deputy.code)))
    past = NOW - timedelta(days=366)
    add_bench_resident(engine, "history", past)

    def rows() -> Any:
        for i in range(1, cases + 1):
            grid, station = grids[i % len(grids)]
            created = NOW - timedelta(minutes=525_600 * i // cases)
            closed = i % 100 != 0
            yield (i, f"H-{i}", 1, 1, f"历史工单 {i} 路灯坏了", f"h{i}", "[]", grid, station,
                   CATEGORIES[i % len(CATEGORIES)], 0.9, "[]", False, "求助",
                   "closed" if closed else "assigned", deputies[i % len(deputies)], created,
                   created if closed else None, 0)  # fmt: skip

    bulk(engine, "cases",
          ("id", "ticket", "resident_id", "origin_identity_id", "text", "text_digest", "photos",
           "grid_code", "station_code", "category", "confidence", "keywords", "urgent",
           "request_type", "status", "deputy_code", "created_at", "closed_at", "round"),
          rows())  # fmt: skip
    if engine.dialect.name == "postgresql":  # ids given explicitly: move the sequences on
        with engine.begin() as c:
            for table in ("residents", "chat_identities", "cases"):
                c.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'),"
                               f" (SELECT max(id) FROM {table}))"))  # fmt: skip
    # Settled, as a database that grew over a year is: statistics, and on PostgreSQL the
    # vacuum autovacuum would otherwise run in the middle of the measurement.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(text("VACUUM ANALYZE"))
    else:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    return time.perf_counter() - started


async def _run(
    db: str | None, residents: int, warmup: int, history: int, workdir: Path
) -> dict[str, Any]:
    from sqlalchemy import func, select
    from sqlalchemy.orm import sessionmaker
    from telegram import Update

    from bot.bootstrap import SAMPLE_COUNTY, build_app
    from bot.channels.telegram.fake_api import FakeBotApi
    from bot.channels.telegram.ptb import PtbTelegram
    from bot.channels.telegram.runner import TelegramReceiver
    from bot.outbox_sender import OutboxSender
    from bot.settings import Settings
    from casework.clock import ManualClock
    from storage.db import make_engine, migrate, transaction
    from storage.models import Case

    engine = make_engine(db or f"sqlite:///{workdir / 'bench.sqlite3'}")
    migrate(engine)
    with engine.connect() as connection:
        if connection.scalar(select(func.count()).select_from(Case)):
            raise SystemExit("grid-intake: bench update needs an empty database")
    settings = Settings(_env_file=None)
    settings.data_dir = workdir / "var"
    clock = ManualClock(NOW)
    sessions = sessionmaker(engine, expire_on_commit=False)
    app = build_app(settings, clock, engine=(engine, sessions), county_file=SAMPLE_COUNTY)
    load_seconds = _load_history(engine, sessions, history) if history else 0.0

    class Unpaced(PtbTelegram):
        limits = None  # see the module's docstring

    ours: dict[str, list[float]] = {step: [] for step in STEPS}
    handle_only: dict[str, list[float]] = {step: [] for step in STEPS}
    echo: dict[str, list[float]] = {step: [] for step in STEPS}
    sends = {"ours": 0, "echo": 0, "left_for_drain": 0}
    async with FakeBotApi() as fake:
        channel = Unpaced(fake.token, fake.server_root)
        await channel.start()
        sender = OutboxSender(sessions, {"telegram": channel}, clock)
        receiver = TelegramReceiver(channel, app.dispatcher, send_now=sender.send_now)
        echo_app = _echo_application(fake)
        await echo_app.initialize()

        dispatched: list[float] = []
        dispatch = app.dispatcher.handle

        def timed_dispatch(incoming: Any) -> Any:
            started = time.perf_counter()
            try:
                return dispatch(incoming)
            finally:
                dispatched.append(time.perf_counter() - started)

        app.dispatcher.handle = timed_dispatch  # type: ignore[method-assign]

        async def ours_update(step: str, update: dict[str, Any], measured: bool) -> None:
            before = len(fake.sent)
            seconds = await _timed(lambda: _handle_and_send(receiver, update))
            # Whatever send_now left (nothing, unpaced) goes in the next drain; not timed.
            sends["left_for_drain"] += await sender.drain()
            if measured:
                handle_only[step].append(dispatched[-1])
                ours[step].append(seconds)
                sends["ours"] += len(fake.sent) - before

        async def echo_update(step: str, update: dict[str, Any], measured: bool) -> None:
            before = len(fake.sent)
            seconds = await _timed(
                lambda: echo_app.process_update(Update.de_json(update, echo_app.bot))
            )
            if measured:
                echo[step].append(seconds)
                sends["echo"] += len(fake.sent) - before

        for index in range(warmup + residents):
            measured = index >= warmup
            for who in ("ours", "echo") if index % 2 else ("echo", "ours"):
                user = 7_000_000 + index * 2 + (who == "echo")
                play = ours_update if who == "ours" else echo_update
                await play("start", fake.private_text(user, "/start ST-DL"), measured)
                await play("problem", fake.private_text(user, PROBLEM), measured)
                data = _confirm_data(fake, user) if who == "ours" else "确认提交"
                await play("confirm", fake.callback(user, data), measured)
        await echo_app.shutdown()
        await channel.stop()
    with transaction(sessions) as session:
        cases = session.scalar(select(func.count()).select_from(Case)) - history
    engine.dispose()

    every = {name: [s for step in STEPS for s in runs[step]] for name, runs in
             (("ours", ours), ("handle", handle_only), ("echo", echo))}  # fmt: skip
    result: dict[str, Any] = {
        "database": engine.dialect.name,
        "residents_per_bot": residents,
        "history_cases": history,
        "history_load_seconds": round(load_seconds, 1),
        "updates_per_bot": len(every["echo"]),
        "cases_filed": cases,
        "messages_sent_per_update": {
            name: round(sends[name] / len(every["echo"]), 2) for name in ("ours", "echo")
        },
        "replies_left_for_the_drain": sends["left_for_drain"],
        "echo_bot": _figures(every["echo"]),
        "ours_handle_and_send": _figures(every["ours"]),
        "ours_dispatch_only": _figures(every["handle"]),
        "ratio_mean_with_send": round(
            statistics.fmean(every["ours"]) / statistics.fmean(every["echo"]), 2
        ),
        "ratio_p50_with_send": round(
            statistics.median(every["ours"]) / statistics.median(every["echo"]), 2
        ),
        "ratio_mean_dispatch_only": round(
            statistics.fmean(every["handle"]) / statistics.fmean(every["echo"]), 2
        ),
        "intake_p99_ms": _ms(every["handle"], 0.99),
        "per_step": {
            step: {
                "echo_p50_ms": _ms(echo[step], 0.5),
                "ours_p50_ms": _ms(ours[step], 0.5),
                "ours_dispatch_p50_ms": _ms(handle_only[step], 0.5),
                "ours_p99_ms": _ms(ours[step], 0.99),
            }
            for step in STEPS
        },
    }
    return result


def bench_update(db: str | None, residents: int, history: int = 0, warmup: int = 20) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        result = asyncio.run(_run(db, residents, warmup, history, Path(workdir)))
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
