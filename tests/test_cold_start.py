"""Several processes starting together on an empty database (issue 11, item 6): one migrates,
the others wait for it, and all come up; ``grid-intake db upgrade`` is the release phase."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import inspect

from bot.bootstrap import SAMPLE_COUNTY
from bot.cli import main
from storage.db import current_revision, make_engine, migrate
from tests.conftest import PG_URL, _reset_postgres
from tests.test_serve import free_port

HEAD = sorted(p.name for p in (Path("storage/migrations/versions")).glob("0*.py"))[-1][:4]


def empty_database(kind: str, tmp_path: Path) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'cold.sqlite3'}"
    if not PG_URL:
        pytest.skip("GRID_INTAKE_TEST_PG is not set")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_four_migrations_at_once_on_an_empty_database(kind: str, tmp_path: Path):
    url = empty_database(kind, tmp_path)
    engines = [make_engine(url) for _ in range(4)]
    start, failures = threading.Barrier(4), []

    def run(engine) -> None:
        start.wait()
        try:
            migrate(engine)
        except Exception as error:
            failures.append(error)

    threads = [threading.Thread(target=run, args=(engine,)) for engine in engines]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert failures == []
        assert current_revision(engines[0]) == HEAD
        assert inspect(engines[0]).has_table("cases")
    finally:
        for engine in engines:
            engine.dispose()


def test_db_upgrade_migrates_and_says_to_which_revision(tmp_path: Path, capsys):
    url = f"sqlite:///{tmp_path / 'fresh.sqlite3'}"
    assert main(["db", "upgrade", "--db", url]) == 0
    assert main(["db", "upgrade", "--db", url]) == 0  # again: nothing to do
    out = capsys.readouterr().out.splitlines()
    assert out == [f"database schema at revision {HEAD} (latest)"] * 2


def test_db_upgrade_without_a_database_is_one_line(tmp_path: Path, capsys):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    assert main(["db", "upgrade", "--db", url]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("grid-intake: cannot reach the database")


def test_the_procfile_migrates_in_its_release_phase():
    lines = Path("Procfile").read_text().splitlines()
    assert "release: grid-intake db upgrade" in lines


def _start(part: str, url: str, port: int, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "GRID_INTAKE_DB": url, "GRID_INTAKE_HTTP": f"127.0.0.1:{port}"}
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", part],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_the_release_phase_and_imports_at_once_then_three_web_processes_and_the_worker_all_come_up(
    tmp_path: Path,
):
    """On an empty database the release phase, two county imports and … all migrate at once;
    then three web processes and the worker start together (each also checks the schema)."""
    url = empty_database("postgresql", tmp_path)
    env = {**os.environ, "GRID_INTAKE_DB": url}
    commands = [["db", "upgrade"]] + [["county", "import", str(SAMPLE_COUNTY)]] * 2
    setup = [
        subprocess.Popen(
            [sys.executable, "-m", "bot.cli", *command],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for command in commands
    ]
    results = [(p.wait(timeout=120), p.communicate()[0]) for p in setup]
    assert [code for code, _ in results] == [0, 0, 0], results
    ports = [free_port() for _ in range(3)]
    processes = [_start("web", url, port, tmp_path) for port in ports]
    processes.append(_start("worker", url, free_port(), tmp_path))
    try:
        deadline = time.monotonic() + 90
        waiting = set(ports)
        while waiting and time.monotonic() < deadline:
            for port in sorted(waiting):
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                        waiting.discard(port)
                except httpx.TransportError:
                    pass
            if any(p.poll() is not None for p in processes):
                break
            time.sleep(0.3)
        exited = [p.args[-1] for p in processes if p.poll() is not None]
    finally:
        outputs = []
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            outputs.append(process.communicate(timeout=30)[0])
    failed = [line for out in outputs for line in out.splitlines() if "Error" in line]
    assert (exited, sorted(waiting), failed) == ([], [], [])
