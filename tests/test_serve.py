"""`grid-intake run web|worker` (the Procfile's processes) start, answer and stop cleanly."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from bot.bootstrap import SAMPLE_COUNTY


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(part: str, tmp_path: Path, port: int, *, county: bool = True) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "GRID_INTAKE_DB": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
        "GRID_INTAKE_HTTP": f"127.0.0.1:{port}",
    }
    if county:  # `run` refuses to start without a county
        subprocess.run(
            [sys.executable, "-m", "bot.cli", "county", "import", str(SAMPLE_COUNTY)],
            env=env, cwd=tmp_path, check=True, capture_output=True,
        )  # fmt: skip
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", part],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=20)
    return process.returncode, output


def test_web_answers_health_and_stops_on_sigterm(tmp_path: Path):
    port = free_port()
    process = start("web", tmp_path, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or process.poll() is not None:
                    pytest.fail(f"web did not start: {process.communicate(timeout=5)[0]}")
                time.sleep(0.2)
        assert response.status_code == 200
        assert response.json()["database"] is True
    finally:
        code, output = stop(process)
    assert code == 0, output


def test_worker_runs_until_sigterm(tmp_path: Path):
    process = start("worker", tmp_path, free_port())
    assert process.stdout is not None
    seen = []
    for line in process.stdout:  # start-up output, up to the ready line
        seen.append(line)
        if "grid-intake worker: running" in line:
            break
    assert process.poll() is None, "".join(seen)
    code, output = stop(process)
    assert code == 0, output
    assert any("no channel is configured" in line for line in seen)


def test_run_on_an_empty_database_refuses_to_start_saying_how_to_import(tmp_path: Path):
    process = start("web", tmp_path, free_port(), county=False)
    output, _ = process.communicate(timeout=60)

    assert process.returncode == 1
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "grid-intake county import" in lines[0]


def test_a_busy_port_is_one_line_not_a_traceback(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        process = start("web", tmp_path, taken.getsockname()[1])
        output, _ = process.communicate(timeout=60)

    assert process.returncode == 1
    assert "Traceback" not in output
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert "GRID_INTAKE_HTTP" in lines[0]
