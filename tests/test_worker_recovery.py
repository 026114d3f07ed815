"""The worker's outbox sender when it is stopped (issue 11, item 6 "SIGTERM while draining")
and when it is killed (item 7). SIGTERM ends it at once (the send in flight at most; exit
times are in BENCHMARKS.md), handing back what it claimed but did not send. After ``kill -9``
a restarted worker sends every message exactly once within 30 seconds, though the dead one
held up to a batch of rows."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import sessionmaker

from bot.bootstrap import SAMPLE_COUNTY
from bot.channels.telegram.fake_api import FakeBotApi
from casework.outbox import Message, post
from storage.models import OutboxMessage

CHATS = 60
PER_CHAT = 3
TOTAL = CHATS * PER_CHAT
TEXTS = [f"第{n + 1}条消息" for n in range(TOTAL)]


def prepared(tmp_path: Path) -> dict[str, str]:
    """A county database holding TOTAL pending messages to CHATS Telegram chats."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_"))}
    env["GRID_INTAKE_DB"] = f"sqlite:///{tmp_path / 'worker.sqlite3'}"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "county", "import", str(SAMPLE_COUNTY)],
        env=env, cwd=tmp_path, check=True, capture_output=True,
    )  # fmt: skip
    engine = create_engine(env["GRID_INTAKE_DB"])
    now = datetime.now(UTC)
    with sessionmaker(engine).begin() as session:
        for n, text in enumerate(TEXTS):  # chat by chat in turn, as a busy hour would
            post(session, now, Message(f"chat:telegram:{1000 + n % CHATS}", text))
    engine.dispose()
    return env


def worker(env: dict[str, str], fake: FakeBotApi, log: Path) -> subprocess.Popen[str]:
    """``grid-intake run worker``, its output to ``log`` (a pipe nobody reads would fill)."""
    with log.open("a") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "worker", "--no-scheduler"],
            env={**env, "TELEGRAM_BOT_TOKEN": fake.token,
                 "TELEGRAM_API_BASE_URL": fake.server_root},
            stdout=out, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip


def statuses(env: dict[str, str]) -> Counter[str]:
    engine = create_engine(env["GRID_INTAKE_DB"])
    with engine.connect() as connection:
        rows = connection.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
        )
        counts = Counter({status: n for status, n in rows})
    engine.dispose()
    return counts


async def until(condition, timeout: float, what: str) -> float:
    """Seconds until ``condition()`` holds; fails the test after ``timeout``."""
    start = time.monotonic()
    while not condition():
        if time.monotonic() - start > timeout:
            pytest.fail(f"{what} did not happen within {timeout} s")
        await asyncio.sleep(0.05)
    return time.monotonic() - start


def delivered(fake: FakeBotApi) -> Counter[str]:
    return Counter(text for _chat, text, _markup in fake.sent)


async def test_sigterm_stops_the_worker_within_a_second_and_hands_back_its_rows(tmp_path):
    env = prepared(tmp_path)
    async with FakeBotApi() as fake:
        process = worker(env, fake, tmp_path / "worker.log")
        try:
            await until(lambda: len(fake.sent) >= 20, 60, "the first 20 sends")
            process.send_signal(signal.SIGTERM)
            at_signal = len(fake.sent)
            await until(lambda: process.poll() is not None, 10, "the worker's exit")
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
        output = (tmp_path / "worker.log").read_text()
        assert process.returncode == 0, output
        # It stopped sending at once: the sends already on their way when the signal was
        # handled at most (it used to go on for 10 s, 270 messages, until the process
        # manager's SIGKILL stranded what it held).
        assert len(fake.sent) - at_signal <= 3
        counts = statuses(env)
        assert counts["sending"] == 0  # nothing left claimed for a SIGKILL to strand
        assert counts["sent"] == len(fake.sent) < TOTAL
        assert counts["pending"] == TOTAL - counts["sent"]

        restarted = worker(
            env, fake, tmp_path / "worker.log"
        )  # the next worker sends the rest, each once
        try:
            await until(lambda: len(fake.sent) >= TOTAL, 60, "all sends after the restart")
            await asyncio.sleep(0.5)  # time for a duplicate to show, if there were one
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=10)
        assert delivered(fake) == Counter(TEXTS)


async def test_after_kill_9_every_message_goes_out_exactly_once_within_30_seconds(tmp_path):
    env = prepared(tmp_path)
    async with FakeBotApi() as fake:
        fake.hang_after(25)  # the worker is in the middle of a send when it dies
        process = worker(env, fake, tmp_path / "worker.log")
        try:
            await until(fake.holding.is_set, 60, "the hung send")
            await asyncio.sleep(0.3)
        finally:
            process.kill()
            process.wait(timeout=10)
        counts = statuses(env)
        assert counts["sending"] > 1, counts  # a batch claimed by the dead worker
        before = len(fake.sent)
        assert before == 25

        fake.hang_after(None)
        restarted = worker(env, fake, tmp_path / "worker.log")
        try:
            took = await until(lambda: len(fake.sent) >= TOTAL, 45, "every message after restart")
            await asyncio.sleep(0.5)
        finally:
            restarted.send_signal(signal.SIGTERM)
            restarted.wait(timeout=10)
        assert took <= 30, f"the last message went out {took:.1f} s after the restart"
        assert delivered(fake) == Counter(TEXTS)  # none lost, none twice
        assert statuses(env) == Counter({"sent": TOTAL})
