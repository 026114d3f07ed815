"""The websocket gateway against the fake QQ gateway: identify with the intents, heartbeats
with the last sequence number, resume after a drop (missed events replayed, one effect
each), a fresh identify after an invalid session, a new token after close code 4004."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from bot.channels.qq.gateway import GROUP_AND_C2C_EVENT, QQGateway
from tests.qq.conftest import QQBench

RESIDENT = "user:RESIDENT0001"


@pytest.fixture
async def gateway(qq: QQBench) -> AsyncIterator[QQGateway]:
    qq.fake.heartbeat_interval_ms = 50
    gateway = QQGateway(qq.api, qq.receiver, reconnect_delay=0.05)
    stop = asyncio.Event()
    task = asyncio.create_task(gateway.run(stop))
    await qq.fake.connected()
    yield gateway
    stop.set()
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(task, timeout=5)


async def until(condition, timeout: float = 10) -> None:
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.02)


async def test_identify_with_the_group_and_c2c_intents_then_events_flow(
    qq: QQBench, gateway: QQGateway
):
    identify = qq.fake.identifies[0]
    assert identify["intents"] & GROUP_AND_C2C_EVENT
    assert identify["token"].startswith("QQBot ") and identify["shard"] == [0, 1]
    await qq.fake.push(*qq.fake.c2c_message("RESIDENT0001", "东岭村的路灯坏了"))
    await until(lambda: qq.rows(channel="qq"))
    await qq.flush()
    assert "城乡建设" in qq.fake.texts_to(RESIDENT)[-1]


async def test_heartbeats_carry_the_last_sequence_number(qq: QQBench, gateway: QQGateway):
    await qq.fake.push(*qq.fake.friend_add("RESIDENT0001"))
    await until(lambda: gateway.seq is not None and gateway.seq in qq.fake.heartbeats)


async def test_after_a_drop_the_session_resumes_and_missed_events_arrive_once(
    qq: QQBench, gateway: QQGateway
):
    await qq.fake.push(*qq.fake.c2c_message("RESIDENT0001", "你好"))
    await until(lambda: len(qq.rows(channel="qq")) == 1)
    session_id, seq = gateway.session_id, gateway.seq
    await qq.fake.drop()  # 4009: the connection expired; resume
    missed = qq.fake.c2c_message("RESIDENT0001", "东岭村的路灯坏了")
    await qq.fake.push(*missed)  # sent while nobody listens: replayed on resume
    await until(lambda: len(qq.fake.resumes) == 1 and gateway.ready.is_set())
    assert qq.fake.resumes[0]["session_id"] == session_id
    assert qq.fake.resumes[0]["seq"] == seq
    assert len(qq.fake.identifies) == 1
    await until(lambda: len(qq.rows(channel="qq")) == 2)
    await qq.fake.push(*missed)  # QQ may deliver a message twice: still one effect
    await qq.fake.push(*qq.fake.friend_add("OTHER"))
    await until(lambda: len(qq.rows(channel="qq")) == 3)
    await qq.flush()
    assert len(qq.fake.texts_to(RESIDENT)) == 2


async def test_a_reconnect_request_resumes(qq: QQBench, gateway: QQGateway):
    await qq.fake.reconnect_request()
    await until(lambda: len(qq.fake.resumes) == 1 and gateway.ready.is_set())
    assert len(qq.fake.identifies) == 1


async def test_an_invalid_session_identifies_afresh(qq: QQBench, gateway: QQGateway):
    gateway.session_id = "forgotten-by-qq"
    await qq.fake.drop()
    await until(lambda: len(qq.fake.identifies) == 2 and gateway.ready.is_set())
    assert len(qq.fake.resumes) == 1  # refused with op 9, then a fresh identify
    assert gateway.session_id != "forgotten-by-qq"


async def test_a_refused_token_is_replaced(qq: QQBench, gateway: QQGateway):
    qq.fake.expire_tokens()
    await qq.fake.drop(code=4004)
    await until(lambda: len(qq.fake.identifies) == 2 and gateway.ready.is_set())
    assert qq.fake.identifies[0]["token"] != qq.fake.identifies[1]["token"]
    assert qq.fake.token_requests == 2
