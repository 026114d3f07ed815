"""``grid-intake run web`` with channels configured (issue 11, item 6): a webhook without a
secret is refused at start, an unreachable Bot API does not keep the web app down, and WeChat's
plain mode warns and keeps its signed query strings out of the access log."""

from __future__ import annotations

import asyncio
import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select

from bot.bootstrap import SAMPLE_COUNTY
from bot.channels.telegram.fake_api import FakeBotApi
from storage.models import InboundMessage, OutboxMessage, TelegramUpdate
from tests.test_serve import free_port

SECRET = "hook-Secret_42"
WECHAT = {"WECHAT_APP_ID": "wx0123", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "gridintake"}


def start(tmp_path: Path, port: int, part: str = "web", **env: str) -> subprocess.Popen[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "WECHAT_"))}
    clean.update(
        GRID_INTAKE_DB=f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        GRID_INTAKE_HTTP=f"127.0.0.1:{port}",
        **env,
    )
    if not (tmp_path / "serve.sqlite3").exists():  # `run` refuses to start without a county
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "county", "import", str(SAMPLE_COUNTY)],
            env=clean, cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", part],
        env=clean,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


async def wait_for_health(process: subprocess.Popen[str], port: int) -> None:
    deadline = time.monotonic() + 60
    async with httpx.AsyncClient() as http:
        while True:
            try:
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or process.poll() is not None:
                pytest.fail(f"web did not come up: {stop(process)[1]}")
            await asyncio.sleep(0.2)


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    return process.returncode, output


@pytest.mark.parametrize(
    ("secret", "says"),
    [
        (None, "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not"),
        ("has spaces and 密码", "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
    ],
    ids=["no secret", "a secret Telegram refuses"],
)
def test_webhook_mode_without_a_usable_secret_refuses_to_start(tmp_path, secret, says):
    env = {"TELEGRAM_BOT_TOKEN": "123:ABC", "TELEGRAM_WEBHOOK_URL": "https://example.org/hook"}
    env["TELEGRAM_API_BASE_URL"] = f"http://127.0.0.1:{free_port()}"  # never Telegram itself
    if secret is not None:
        env["TELEGRAM_WEBHOOK_SECRET"] = secret
    process = start(tmp_path, free_port(), **env)
    code, output = process.wait(timeout=60), process.communicate()[0]
    assert code == 1
    assert output.strip().splitlines() == [output.strip()]  # one line
    assert output.startswith(f"grid-intake: {says}")


async def test_web_serves_while_the_bot_api_is_unreachable_and_sets_the_webhook_later(
    tmp_path: Path,
):
    api_port, port = free_port(), free_port()
    process = start(
        tmp_path,
        port,
        TELEGRAM_BOT_TOKEN="123:ABC",
        TELEGRAM_API_BASE_URL=f"http://127.0.0.1:{api_port}",  # nothing listens there yet
        TELEGRAM_WEBHOOK_URL="https://example.org/telegram/webhook",
        TELEGRAM_WEBHOOK_SECRET=SECRET,
        **WECHAT,
    )
    try:
        await wait_for_health(process, port)
        base = f"http://127.0.0.1:{port}"
        stamp, nonce = str(int(time.time())), "42"
        signature = hashlib.sha1("".join(sorted(["gridintake", stamp, nonce])).encode())
        query = {"signature": signature.hexdigest(), "timestamp": stamp, "nonce": nonce}
        update = {
            "update_id": 9,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": 77, "type": "private"},
                "from": {"id": 77, "is_bot": False, "first_name": "小王"},
                "text": "东岭村的路灯坏了",
            },
        }
        async with httpx.AsyncClient(base_url=base) as http:
            echo = await http.get("/wechat", params={**query, "echostr": "ok123"})
            hook = await http.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert (echo.status_code, echo.text) == (200, "ok123")
        assert hook.status_code == 200
        engine = create_engine(f"sqlite:///{tmp_path / 'serve.sqlite3'}")
        with engine.connect() as connection:
            # ``run web`` commits the update and answers; ``run worker`` handles it (issue 15).
            assert connection.scalar(select(func.count()).select_from(TelegramUpdate)) == 1
        engine.dispose()

        async with FakeBotApi(port=api_port) as fake:  # the Bot API comes back
            deadline = time.monotonic() + 30
            while not fake.webhook_url and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            assert fake.webhook_url == "https://example.org/telegram/webhook"
            set_hook = [params for method, params in fake.calls if method == "setWebhook"]
            assert set_hook[-1]["secret_token"] == SECRET
    finally:
        code, output = stop(process)
    assert code == 0, output
    assert "Telegram getMe failed (NetworkError" in output


async def test_plain_mode_warns_and_keeps_signatures_out_of_the_access_log(tmp_path: Path):
    port = free_port()
    process = start(tmp_path, port, **WECHAT)
    try:
        await wait_for_health(process, port)
        stamp, nonce = str(int(time.time())), "918273645"
        signature = hashlib.sha1("".join(sorted(["gridintake", stamp, nonce])).encode())
        query = {"signature": signature.hexdigest(), "timestamp": stamp, "nonce": nonce}
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            await http.get("/wechat", params={**query, "echostr": "e"})
            await http.post("/wechat", params=query, content=b"<xml><MsgType>text")
            await http.get("/healthz", params={"probe": "lb"})
    finally:
        code, output = stop(process)
    assert code == 0, output
    assert "WeChat runs in PLAIN mode" in output
    assert '"GET /wechat HTTP/1.1" 200' in output
    assert '"POST /wechat HTTP/1.1" 400' in output
    assert "/healthz?probe=lb" in output  # other paths keep their query strings
    for secret in (signature.hexdigest(), nonce, f"timestamp={stamp}"):
        assert secret not in output


async def test_a_worker_started_after_the_web_stopped_handles_the_stored_update_once(
    tmp_path: Path,
):
    """Stored by ``run web``, which then stops before any worker ran; ``run worker`` started
    afterwards handles it: one inbound message, replies once; a second worker adds nothing."""
    api_port, port = free_port(), free_port()
    env = {
        "TELEGRAM_BOT_TOKEN": "123:ABC",
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{api_port}",  # unreachable: no sends
        "TELEGRAM_WEBHOOK_URL": "https://example.org/telegram/webhook",
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
    }
    web = start(tmp_path, port, **env)
    update = {
        "update_id": 31,
        "message": {
            "message_id": 5,
            "date": int(time.time()),
            "chat": {"id": 78, "type": "private"},
            "from": {"id": 78, "is_bot": False, "first_name": "小李"},
            "text": "东岭村的路灯坏了",
        },
    }
    try:
        await wait_for_health(web, port)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http:
            hook = await http.post(
                "/telegram/webhook",
                json=update,
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
        assert hook.status_code == 200
    finally:
        stop(web)
    engine = create_engine(f"sqlite:///{tmp_path / 'serve.sqlite3'}")

    def counts() -> tuple[int, int, int]:
        with engine.connect() as connection:
            handled = connection.scalar(
                select(func.count())
                .select_from(TelegramUpdate)
                .where(TelegramUpdate.handled_at.is_not(None))
            )
            inbound = connection.scalar(select(func.count()).select_from(InboundMessage))
            out = connection.scalar(select(func.count()).select_from(OutboxMessage))
            return handled or 0, inbound or 0, out or 0

    assert counts() == (0, 0, 0)
    replies = 0
    for _ in range(2):  # the restarted worker, then one more restart
        worker = start(tmp_path, free_port(), "worker", **env)
        try:
            assert worker.stdout is not None
            first = await asyncio.wait_for(asyncio.to_thread(worker.stdout.readline), 60)
            assert "running" in first, first
            deadline = time.monotonic() + 60
            while counts()[0] < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.2)
            await asyncio.sleep(1)
        finally:
            code, output = stop(worker)
        assert code == 0, first + output
        handled, inbound, out = counts()
        assert (handled, inbound) == (1, 1), output
        assert out >= 1
        replies = replies or out
        assert out == replies  # the second worker replied nothing more
    engine.dispose()
