"""``grid-intake bench webhook``: the webhook's latency under concurrent residents, with
``/healthz`` (one database round trip) measured in the same run as the floor.

``--processes`` web processes (uvicorn, the real ``make_web_app`` in store mode) share
nothing but the database; ``--clients`` concurrent residents each post ``--requests``
updates (10 % re-sent, as Telegram does after a slow answer), spread over the processes.
Prints p50/p99 in ms for /healthz and the webhook, and the stored row count check."""

from __future__ import annotations

import asyncio
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path
from typing import Any, cast

SECRET = "bench-Secret_1"

__all__ = ["bench_webhook"]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def serve_one(url: str, port: int) -> None:
    """One web process (run in a subprocess)."""
    import uvicorn

    from bot.channels.telegram.runner import TelegramReceiver
    from bot.channels.telegram.stored import store_update
    from bot.web import make_web_app
    from casework.clock import SystemClock
    from storage.db import make_engine

    engine = make_engine(url)
    app = make_web_app(
        engine,
        channels=["telegram"],
        telegram=cast(TelegramReceiver, object()),  # store mode: the worker handles
        telegram_secret=SECRET,
        telegram_store=partial(store_update, engine, SystemClock()),
    )
    from bot.serve import settle_memory

    settle_memory()  # as ``run web`` does before serving
    # As ``run web`` serves: uvloop and httptools where installed (bot.serve).
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def _update(update_id: int, user: int) -> bytes:
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user, "type": "private", "first_name": "小王"},
        "from": {"id": user, "is_bot": False, "first_name": "小王"},
        "text": "东岭村的路灯坏了，晚上看不见路",
    }
    return json.dumps({"update_id": update_id, "message": message}).encode()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000, 1)


class _Connection:
    """One keep-alive HTTP/1.1 connection, written by hand: httpx spent about 1 ms of CPU
    per request, on the same two cores as the servers it measures."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, method: str, path: str, body: bytes = b"") -> int:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        self.writer.write(head.encode() + body)
        status_line = await self.reader.readline()
        length = 0
        while (line := await self.reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.strip().lower() == "content-length":
                length = int(value)
        await self.reader.readexactly(length)
        return int(status_line.split()[1])

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


async def _load(
    ports: list[int], clients: int, requests: int, base_id: int, webhook: bool
) -> tuple[list[float], int, set[int]]:
    timings: list[float] = []
    errors = 0
    sent: set[int] = set()
    rng = random.Random(1)

    async def resident(index: int) -> None:
        nonlocal errors
        user = 5_000_000 + index
        last: bytes | None = None
        connections = {port: _Connection(port) for port in ports}
        try:
            for n in range(requests):
                connection = connections[ports[(index + n) % len(ports)]]
                if webhook:
                    if last is not None and rng.random() < 0.1:
                        body = last  # Telegram re-sends
                    else:
                        update_id = base_id + index * requests + n
                        sent.add(update_id)
                        body = last = _update(update_id, user)
                    started = time.perf_counter()
                    status = await connection.request("POST", "/telegram/webhook", body)
                else:
                    started = time.perf_counter()
                    status = await connection.request("GET", "/healthz")
                timings.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
        finally:
            for connection in connections.values():
                connection.close()

    await asyncio.gather(*(resident(i) for i in range(clients)))
    return timings, errors, sent


async def _wait_up(ports: list[int]) -> None:
    import httpx

    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as http:
        for port in ports:
            while True:
                try:
                    if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit(f"web process on port {port} did not come up")
                await asyncio.sleep(0.2)


def bench_webhook(db: str | None, clients: int, requests: int, processes: int) -> int:
    from sqlalchemy import func, select

    from storage.db import make_engine, migrate
    from storage.models import TelegramUpdate

    with tempfile.TemporaryDirectory() as workdir:
        url = db or f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        engine = make_engine(url)
        migrate(engine)
        ports = [_free_port() for _ in range(processes)]
        code = "import sys; from bot.channels.telegram.webhook_bench import serve_one; " + (
            "serve_one(sys.argv[1], int(sys.argv[2]))"
        )
        env = dict(os.environ)
        procs = [
            subprocess.Popen([sys.executable, "-c", code, url, str(port)], env=env)
            for port in ports
        ]
        try:
            asyncio.run(_wait_up(ports))
            base_id = int(time.time() * 1000) % 2**40 * 1000
            result: dict[str, Any] = {
                "database": engine.dialect.name,
                "processes": processes,
                "clients": clients,
                "requests_per_client": requests,
            }
            for name, webhook in (("healthz", False), ("webhook", True)):
                started = time.monotonic()
                timings, errors, sent = asyncio.run(
                    _load(ports, clients, requests, base_id, webhook)
                )
                elapsed = time.monotonic() - started
                result[name] = {
                    "p50_ms": _pct(timings, 0.5),
                    "p99_ms": _pct(timings, 0.99),
                    "mean_ms": round(statistics.fmean(timings) * 1000, 1),
                    "requests_per_s": round(len(timings) / elapsed, 1),
                    "non_200": errors,
                }
            with engine.connect() as connection:
                stored = connection.scalar(
                    select(func.count())
                    .select_from(TelegramUpdate)
                    .where(TelegramUpdate.update_id.in_(sorted(sent)))
                )
            result["webhook"]["updates_sent"] = len(sent)
            result["webhook"]["updates_stored"] = stored
            result["webhook_p99_over_healthz_p99"] = round(
                result["webhook"]["p99_ms"] / max(result["healthz"]["p99_ms"], 0.1), 2
            )
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=30)
            engine.dispose()
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0
