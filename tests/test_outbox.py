"""The outbox (DESIGN.md §8): written with the change, sent once, in order, with retries."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.channels.base import Capabilities, PermanentFailure, RetryLater
from bot.channels.recording import RecordingChannel
from bot.outbox_sender import OutboxSender
from bot.simulator import CHANNEL, Simulation
from casework.outbox import Message, post
from handlers.incoming import Incoming
from storage.db import transaction
from storage.models import OutboxMessage


def queue(sim: Simulation, chat: str, *texts: str) -> None:
    with transaction(sim.app.sessions) as session:
        for text in texts:
            post(session, sim.clock.now(), Message(f"chat:{CHANNEL}:{chat}", text))


def statuses(sim: Simulation) -> list[tuple[str, str]]:
    with transaction(sim.app.sessions) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [(r.text, r.status) for r in rows]


class FlakyChannel:
    """Fails the first ``failures`` sends with the given error, then records."""

    capabilities = Capabilities()

    def __init__(self, inner: RecordingChannel, failures: int, error: Exception) -> None:
        self.name = inner.name
        self.inner, self.failures, self.error = inner, failures, error

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        if self.failures:
            self.failures -= 1
            raise self.error
        await self.inner.send(chat_id, text, choices, kind=kind)


async def test_a_crash_after_commit_loses_nothing_and_sends_once(sqlite_sim: Simulation):
    # The dispatcher commits; the process "dies" before any sender runs.
    incoming = Incoming(CHANNEL, "resident:a", "resident:a", "m1", text="东岭村的路灯坏了")
    sqlite_sim.app.dispatcher.handle(incoming)
    assert statuses(sqlite_sim)[0][1] == "pending"
    # A new sender (the restarted worker) delivers it; a second drain sends nothing more.
    fresh = OutboxSender(sqlite_sim.app.sessions, {CHANNEL: sqlite_sim.recorder}, sqlite_sim.clock)
    assert await fresh.drain() == 1
    assert await fresh.drain() == 0
    assert len(sqlite_sim.recorder.take()) == 1


async def test_rate_limited_messages_wait_retry_after_and_keep_their_order(sqlite_sim: Simulation):
    recorder = sqlite_sim.recorder
    flaky = FlakyChannel(recorder, 1, RetryLater("429 Too Many Requests", after_seconds=30))
    sender = OutboxSender(sqlite_sim.app.sessions, {CHANNEL: flaky}, sqlite_sim.clock)
    queue(sqlite_sim, "resident:a", "第一条", "第二条")
    queue(sqlite_sim, "resident:b", "给另一位居民")
    assert await sender.drain() == 1  # only the other chat's message goes now
    assert [s.text for s in recorder.take()] == ["给另一位居民"]
    sqlite_sim.clock.advance(timedelta(seconds=29))
    assert await sender.drain() == 0
    sqlite_sim.clock.advance(timedelta(seconds=1))
    assert await sender.drain() == 2
    assert [s.text for s in recorder.take()] == ["第一条", "第二条"]


async def test_network_errors_back_off_and_retry(sqlite_sim: Simulation):
    flaky = FlakyChannel(sqlite_sim.recorder, 2, ConnectionError("connection reset"))
    sender = OutboxSender(sqlite_sim.app.sessions, {CHANNEL: flaky}, sqlite_sim.clock)
    queue(sqlite_sim, "resident:a", "您好")
    assert await sender.drain() == 0
    sqlite_sim.clock.advance(timedelta(seconds=2))
    assert await sender.drain() == 0
    sqlite_sim.clock.advance(timedelta(seconds=4))
    assert await sender.drain() == 1
    assert statuses(sqlite_sim) == [("您好", "sent")]


async def test_a_blocked_user_is_marked_failed_and_the_office_is_told(sqlite_sim: Simulation):
    flaky = FlakyChannel(sqlite_sim.recorder, 1, PermanentFailure("403 Forbidden: bot was blocked"))
    sender = OutboxSender(sqlite_sim.app.sessions, {CHANNEL: flaky}, sqlite_sim.clock)
    queue(sqlite_sim, "resident:a", "工单已办结")
    await sender.drain()
    rows = statuses(sqlite_sim)
    assert rows[0] == ("工单已办结", "failed")
    office = sqlite_sim.recorder.take()
    assert [s.chat_id for s in office] == ["office"]
    assert "403 Forbidden" in office[0].text and "工单已办结" in office[0].text


async def test_two_senders_draining_at_once_send_each_message_once(app, clock):
    sim = Simulation.attach(app, clock)
    queue(sim, "resident:a", *[f"消息{i}" for i in range(30)])
    queue(sim, "resident:b", *[f"通知{i}" for i in range(30)])
    recorder = RecordingChannel(clock, CHANNEL)
    senders = [OutboxSender(app.sessions, {CHANNEL: recorder}, clock, batch=7) for _ in range(2)]
    # Two workers, each in its own thread with its own event loop, racing for the same rows.
    counts = await asyncio.gather(*(asyncio.to_thread(asyncio.run, s.drain()) for s in senders))
    assert sum(counts) == 60
    texts = [s.text for s in recorder.sent]
    assert sorted(texts) == sorted({*texts})  # no duplicates
    for chat, prefix in (("resident:a", "消息"), ("resident:b", "通知")):
        in_chat = [s.text for s in recorder.sent if s.chat_id == chat]
        assert in_chat == [f"{prefix}{i}" for i in range(30)]


async def test_a_deputy_with_no_chat_yet_gets_held_messages_on_binding(sqlite_sim: Simulation):
    from casework.identities import bind_deputy
    from storage.models import ChatIdentity

    with transaction(sqlite_sim.app.sessions) as session:
        for identity in session.scalars(
            select(ChatIdentity).where(ChatIdentity.deputy_code == "D001")
        ):
            session.delete(identity)
    await sqlite_sim.send("resident:a", start="ST-DL")
    await sqlite_sim.say("resident:a", "东岭村的路灯坏了")
    sent = await sqlite_sim.say("resident:a", "1")
    assert [s.chat_id for s in sent] == ["resident:a"]  # nowhere to deliver the assignment yet
    with transaction(sqlite_sim.app.sessions) as session:
        bind_deputy(session, "console", "deputy:D001-phone", "D001", sqlite_sim.clock.now())
    await sqlite_sim.sender.drain()
    late = sqlite_sim.recorder.take()
    assert [s.chat_id for s in late] == ["deputy:D001-phone"]
    assert "【新交办工单】" in late[0].text


async def test_the_claim_takes_only_each_chats_first_unsent_message(app, clock):
    """A message waits while an earlier one to its chat is deferred or being sent; other
    chats go on."""
    from casework.outbox import claim

    sim = Simulation.attach(app, clock)
    queue(sim, "resident:a", "a1", "a2")
    queue(sim, "resident:b", "b1", "b2")
    queue(sim, "resident:c", "c1")
    with transaction(app.sessions) as session:
        rows = {r.text: r for r in session.scalars(select(OutboxMessage))}
        rows["a1"].not_before = clock.now() + timedelta(minutes=5)  # deferred by a retry
        rows["b1"].status = "sending"  # another worker has it
        rows["b1"].claimed_at = clock.now()
    with transaction(app.sessions) as session:
        claimed = claim(session, clock.now(), [CHANNEL], 50, timedelta(seconds=20))
    assert [row[3] for row in claimed] == ["c1"]
    with transaction(app.sessions) as session:
        session.get(OutboxMessage, claimed[0][0]).status = "sent"
    clock.advance(timedelta(minutes=6))  # a1 is due, b1's lease has run out
    with transaction(app.sessions) as session:
        claimed = claim(session, clock.now(), [CHANNEL], 50, timedelta(seconds=20))
    assert [row[3] for row in claimed] == ["a1", "b1"]


def test_on_sqlite_too_only_the_senders_marks_skip_the_disk(tmp_path):
    """SQLite: the sender's marks go through a second pool of the same file with
    ``synchronous=NORMAL`` (no fsync per mark); everything else keeps FULL, and what the
    marks write is the same database's."""
    from sqlalchemy import text

    from storage.db import autocommit_engine, make_engine

    engine = make_engine(f"sqlite:///{tmp_path / 'marks.sqlite3'}")
    try:
        marks = autocommit_engine(engine, durable=False)
        assert autocommit_engine(engine, durable=False) is marks
        assert autocommit_engine(engine) is engine
        with engine.begin() as connection:
            assert connection.scalar(text("PRAGMA synchronous")) == 2  # FULL
            connection.execute(text("CREATE TABLE marks (id INTEGER PRIMARY KEY)"))
        with marks.begin() as connection:
            assert connection.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
            assert connection.scalar(text("PRAGMA journal_mode")) == "wal"
            connection.execute(text("INSERT INTO marks (id) VALUES (7)"))
        with engine.connect() as connection:
            assert connection.scalar(text("SELECT id FROM marks")) == 7
    finally:
        engine.dispose()
    memory = make_engine("sqlite://")
    assert autocommit_engine(memory, durable=False) is memory  # another pool: another db


def test_a_residents_message_waits_for_the_disk_and_the_senders_marks_do_not():
    """On PostgreSQL the webhook's insert commits durably; the sender's "sending"/"sent"
    marks skip the WAL flush (losing one in a crash only re-sends a message)."""
    from sqlalchemy import text

    from storage.db import autocommit_engine, make_engine
    from tests.conftest import PG_URL

    if not PG_URL:
        pytest.skip("GRID_INTAKE_TEST_PG is not set")
    engine = make_engine(PG_URL)
    try:
        for durable, expected in ((True, "on"), (False, "off")):
            with autocommit_engine(engine, durable=durable).begin() as connection:
                assert connection.scalar(text("SHOW synchronous_commit")) == expected
    finally:
        engine.dispose()
