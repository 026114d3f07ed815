"""`grid-intake run` starts the QQ channel when QQ_APP_ID is set: the gateway connects to the
(fake) QQ and answers a private message; in webhook mode the web app passes QQ's URL check."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from bot.bootstrap import SAMPLE_COUNTY
from bot.channels.qq.fake_api import FakeQQ
from tests.test_serve import free_port


async def run(part: str, fake: FakeQQ, tmp_path: Path, port: int, mode: str):
    env = {
        **os.environ,
        "GRID_INTAKE_DB": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "GRID_INTAKE_HTTP": f"127.0.0.1:{port}",
        "QQ_APP_ID": fake.app_id,
        "QQ_APP_SECRET": fake.secret,
        "QQ_API_BASE_URL": fake.base_url,
        "QQ_TOKEN_URL": fake.token_url,
        "QQ_MODE": mode,
    }
    if not (tmp_path / "serve.sqlite3").exists():  # `run` refuses to start without a county
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "county", "import", str(SAMPLE_COUNTY)],
            env=env, cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "run", part, "--no-scheduler",
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip


async def stop(process) -> str:
    process.send_signal(signal.SIGTERM)
    output, _ = await asyncio.wait_for(process.communicate(), timeout=30)
    assert process.returncode == 0, output.decode()
    return output.decode()


async def test_run_connects_the_gateway_and_answers(tmp_path: Path):
    async with FakeQQ() as fake:
        process = await run("all", fake, tmp_path, free_port(), "websocket")
        try:
            await fake.connected(timeout=60)
            await fake.push(*fake.c2c_message("RESIDENT0001", "你好"))
            async with asyncio.timeout(30):
                while not fake.texts_to("user:RESIDENT0001"):
                    await asyncio.sleep(0.1)
        finally:
            output = await stop(process)
    assert "channels: qq" in output
    assert fake.sent[0].passive


async def test_run_web_answers_the_callback_address_check(tmp_path: Path):
    port = free_port()
    async with FakeQQ() as fake:
        process = await run("web", fake, tmp_path, port, "webhook")
        try:
            async with asyncio.timeout(60):
                while True:
                    try:
                        async with httpx.AsyncClient() as http:
                            await http.get(f"http://127.0.0.1:{port}/healthz")
                        break
                    except httpx.TransportError:
                        await asyncio.sleep(0.2)
            assert await fake.validate(f"http://127.0.0.1:{port}/qq/webhook")
        finally:
            await stop(process)
