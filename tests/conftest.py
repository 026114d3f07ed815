"""Shared fixtures: no network but loopback, a migrated database (SQLite, and PostgreSQL when
GRID_INTAKE_TEST_PG is set), and a simulation of the sample county on a virtual clock."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from bot.bootstrap import SAMPLE_COUNTY, App, build_app, open_database
from bot.settings import Settings
from bot.simulator import Simulation
from casework.clock import ManualClock

SHANGHAI = ZoneInfo("Asia/Shanghai")
# A Monday morning, so working-day limits read naturally.
MONDAY_9AM = datetime(2026, 11, 23, 9, 0, tzinfo=SHANGHAI)


def _worker_database(url: str | None) -> str | None:
    """Each pytest-xdist worker gets its own PostgreSQL database (``test_gw0``, ``test_gw1``…),
    made on first use: the tests drop and recreate the schema, so workers must not share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    name = f"{base.database}_{worker}"
    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    for attempt in range(10):
        try:
            with engine.connect() as connection:
                query = text("SELECT 1 FROM pg_database WHERE datname = :n")
                if not connection.scalar(query, {"n": name}):
                    connection.execute(text(f'CREATE DATABASE "{name}"'))
            break
        except DBAPIError:
            # Two workers copying template1 at once: one waits and tries again.
            time.sleep(0.2 * (attempt + 1))
    engine.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _worker_database(os.environ.get("GRID_INTAKE_TEST_PG"))

_real_connect = socket.socket.connect


def _loopback_only(self: socket.socket, address: object) -> object:
    if self.family in (socket.AF_INET, socket.AF_INET6):
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "::1", "localhost"):
            raise RuntimeError(f"tests must not reach the network (tried {address!r})")
    return _real_connect(self, address)


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any connection that is not to this machine fails the test (PTB's OfflineRequest)."""
    monkeypatch.setattr(socket.socket, "connect", _loopback_only)


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def sample_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file with the sample county, made once and copied per test."""
    path = tmp_path_factory.mktemp("template") / "sample.sqlite3"
    settings = make_settings(f"sqlite:///{path}", path.parent)
    app = build_app(settings, ManualClock(MONDAY_9AM), county_file=SAMPLE_COUNTY)
    app.engine.dispose()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sample_sqlite: Path) -> str:
    """A database holding the sample county and nothing else; PostgreSQL only where
    GRID_INTAKE_TEST_PG is set."""
    if request.param == "sqlite":
        return _copy(sample_sqlite, tmp_path)
    if not PG_URL:
        pytest.skip("GRID_INTAKE_TEST_PG is not set")
    _reset_postgres(PG_URL)
    return PG_URL


@pytest.fixture
def sqlite_url(tmp_path: Path, sample_sqlite: Path) -> str:
    return _copy(sample_sqlite, tmp_path)


def _copy(template: Path, folder: Path) -> str:
    target = folder / "test.sqlite3"
    shutil.copyfile(template, target)
    return f"sqlite:///{target}"


def make_settings(url: str, tmp_path: Path) -> Settings:
    settings = Settings(_env_file=None)
    settings.db = url
    settings.data_dir = tmp_path / "var"
    return settings


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(MONDAY_9AM)


def make_app(url: str, tmp_path: Path, clock: ManualClock) -> App:
    """The app on ``url``; SQLite copies of the template already hold the county."""
    settings = make_settings(url, tmp_path)
    county = None if url.startswith("sqlite") else SAMPLE_COUNTY
    return build_app(settings, clock, engine=open_database(settings), county_file=county)


@pytest.fixture
def app(db_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[App]:
    app = make_app(db_url, tmp_path, clock)
    yield app
    app.engine.dispose()


@pytest.fixture
def sim(app: App, clock: ManualClock) -> Simulation:
    return Simulation.attach(app, clock)


@pytest.fixture
def sqlite_sim(sqlite_url: str, tmp_path: Path, clock: ManualClock) -> Iterator[Simulation]:
    """The sample county on SQLite only, for tests about conversation rather than storage."""
    app = make_app(sqlite_url, tmp_path, clock)
    yield Simulation.attach(app, clock)
    app.engine.dispose()
