"""The QQ websocket gateway (bot-docs, interface-framework/event-emit.md; close codes from
error-trace/websocket.md), over ``websockets``.

Hello (op 10) gives the heartbeat interval; we identify (op 2) with the intents, or resume
(op 6) with the session id and the last sequence number after a drop, so QQ sends what was
missed; heartbeats (op 1) carry the last sequence number. Reconnect (op 7) and a drop lead to
a resume, Invalid Session (op 9) to a fresh identify. Close codes 4009 and 4008 may resume,
4914/4915 (bot delisted or banned) stop, every other one identifies again; 4004 (bad token)
fetches a new token first. QQ says the websocket is being retired in favour of the webhook.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

import websockets
from websockets.exceptions import ConnectionClosed

from bot.channels.qq.api import QQApi
from bot.channels.qq.receiver import QQReceiver

__all__ = ["GROUP_AND_C2C_EVENT", "QQGateway"]

log = logging.getLogger(__name__)

GROUP_AND_C2C_EVENT = 1 << 25  # C2C_MESSAGE_CREATE, GROUP_AT_MESSAGE_CREATE, FRIEND_ADD, …
DISPATCH, HEARTBEAT, IDENTIFY, RESUME, RECONNECT, INVALID_SESSION, HELLO, HEARTBEAT_ACK = (
    0, 1, 2, 6, 7, 9, 10, 11,
)  # fmt: skip
MAY_RESUME = {4008, 4009}
FATAL = {4914, 4915}
BAD_TOKEN = 4004


class GatewayStopped(Exception):
    """QQ closed the gateway for good (bot delisted or banned)."""


class QQGateway:
    def __init__(
        self,
        api: QQApi,
        receiver: QQReceiver,
        *,
        intents: int = GROUP_AND_C2C_EVENT,
        reconnect_delay: float = 1.0,
        max_delay: float = 60.0,
    ) -> None:
        self.api = api
        self.receiver = receiver
        self.intents = intents
        self.reconnect_delay, self.max_delay = reconnect_delay, max_delay
        self.session_id: str | None = None
        self.seq: int | None = None
        self.ready = asyncio.Event()  # set on READY or RESUMED, cleared on a drop
        self._bad_token: str | None = None  # refused with close code 4004
        self._token: str | None = None

    async def run(self, stop: asyncio.Event) -> None:
        delay = self.reconnect_delay
        while not stop.is_set():
            try:
                url = await self.api.gateway_url()
                async with websockets.connect(url, max_size=2**22) as ws:
                    delay = self.reconnect_delay
                    await self._session(ws, stop)
            except GatewayStopped as error:
                log.error("QQ gateway closed for good: %s", error)
                return
            except (OSError, ConnectionClosed, TimeoutError) as error:
                log.warning("QQ gateway dropped: %r; reconnecting in %.0f s", error, delay)
            except Exception:
                log.exception("QQ gateway failed; reconnecting in %.0f s", delay)
            self.ready.clear()
            if stop.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=delay)
            delay = min(self.max_delay, delay * 2)

    async def _session(self, ws: Any, stop: asyncio.Event) -> None:
        hello = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
        if hello.get("op") != HELLO:
            raise ConnectionError(f"expected Hello, got {str(hello)[:100]}")
        interval = float((hello.get("d") or {}).get("heartbeat_interval", 45000)) / 1000
        token = await self.api.token.get()
        if token == self._bad_token:
            token = await self.api.token.refresh(token)
        self._token = token
        if self.session_id:
            await ws.send(json.dumps({"op": RESUME, "d": {
                "token": f"QQBot {token}", "session_id": self.session_id, "seq": self.seq,
            }}))  # fmt: skip
        else:
            await ws.send(json.dumps({"op": IDENTIFY, "d": {
                "token": f"QQBot {token}", "intents": self.intents, "shard": [0, 1],
                "properties": {"$os": "linux", "$browser": "grid-intake", "$device": "grid-intake"},
            }}))  # fmt: skip
        beating = asyncio.create_task(self._heartbeat(ws, interval))
        watching = asyncio.create_task(self._close_on(stop, ws))
        try:
            async for raw in ws:
                if not await self._on_payload(ws, raw):
                    return
        except ConnectionClosed as closed:
            self._after_close(closed.rcvd.code if closed.rcvd else None)
            raise
        finally:
            beating.cancel()
            watching.cancel()
        self._after_close(ws.close_code)

    async def _on_payload(self, ws: Any, raw: str | bytes) -> bool:
        """False when this connection should end (reconnect, invalid session)."""
        try:
            payload = json.loads(raw)
        except ValueError:
            log.info("QQ gateway sent something that is not JSON: %r", raw[:100])
            return True
        if not isinstance(payload, dict):
            return True
        if isinstance(payload.get("s"), int):
            self.seq = payload["s"]
        op = payload.get("op")
        if op == DISPATCH:
            event, data = payload.get("t"), payload.get("d")
            if event == "READY":
                self.session_id = str((data or {}).get("session_id") or "") or None
                self.ready.set()
            elif event == "RESUMED":
                self.ready.set()
            else:
                try:
                    await self.receiver.handle(event, data, payload.get("id"))
                except Exception:
                    log.exception("QQ event failed, kept here: %s", str(raw)[:4000])
        elif op == HEARTBEAT:
            await ws.send(json.dumps({"op": HEARTBEAT, "d": self.seq}))
        elif op == RECONNECT:
            return False  # then resume
        elif op == INVALID_SESSION:
            self.session_id, self.seq = None, None
            return False
        return True

    def _after_close(self, code: int | None) -> None:
        if code in FATAL:
            raise GatewayStopped(f"close code {code}")
        if code is None or code in MAY_RESUME or code < 4000:
            return  # a drop or a normal close: resume if we have a session
        if code == BAD_TOKEN:
            self._bad_token = self._token
        self.session_id, self.seq = None, None

    async def _heartbeat(self, ws: Any, interval: float) -> None:
        with contextlib.suppress(ConnectionClosed):
            while True:
                await asyncio.sleep(interval)
                await ws.send(json.dumps({"op": HEARTBEAT, "d": self.seq}))

    async def _close_on(self, stop: asyncio.Event, ws: Any) -> None:
        await stop.wait()
        await ws.close()
