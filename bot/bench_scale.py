"""``grid-intake bench sweep`` and ``bench outbox``: the sweep and the outbox claim at a
province's size. Rows are bulk-loaded (COPY on PostgreSQL, executemany on SQLite) into an
empty database, then the real code is timed. Prints JSON (BENCHMARKS.md)."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import sessionmaker

from casework.clock import ManualClock
from casework.outbox import claim
from storage.db import make_engine, migrate, transaction
from storage.models import Case, Deputy

__all__ = ["add_bench_resident", "bench_outbox", "bench_sweep", "bulk"]

# Monday 2026-11-23 10:00 in Shanghai: a working moment.
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
_CHUNK = 20_000


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _value(engine: Engine, value: Any) -> Any:
    if isinstance(value, datetime):
        naive = value.astimezone(UTC).replace(tzinfo=None)
        return (
            naive if engine.dialect.name == "postgresql" else naive.isoformat(" ", "microseconds")
        )
    return value


def bulk(engine: Engine, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
    """Load rows fast: COPY on PostgreSQL, executemany in chunks on SQLite."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row([_value(engine, v) for v in row])
        else:
            marks = ", ".join("?" * len(columns))
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            chunk: list[tuple] = []
            for row in rows:
                chunk.append(tuple(_value(engine, v) for v in row))
                if len(chunk) >= _CHUNK:
                    cursor.executemany(sql, chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
        raw.commit()
    finally:
        raw.close()


def add_bench_resident(engine: Engine, name: str, when: datetime) -> None:
    """Resident 1 with chat identity 1: whom bulk-loaded cases belong to."""
    with engine.begin() as c:
        c.execute(text("INSERT INTO residents (id, display_name, created_at) VALUES "
                       "(1, :name, :t)"), {"name": name, "t": _value(engine, when)})  # fmt: skip
        c.execute(
            text("INSERT INTO chat_identities (id, channel, external_id, role, resident_id,"
                 " display_name, created_at, group_only) VALUES (1, 'telegram', :name,"
                 " 'resident', 1, :name, :t, false)"),
            {"name": name, "t": _value(engine, when)},
        )  # fmt: skip


def _engine(url: str | None, workdir: Path) -> Engine:
    engine = make_engine(url or f"sqlite:///{workdir / 'bench.sqlite3'}")
    migrate(engine)
    with engine.connect() as c:
        if (
            c.execute(text("SELECT count(*) FROM outbox")).scalar()
            or c.execute(text("SELECT count(*) FROM cases")).scalar()
        ):
            raise SystemExit("grid-intake: bench needs an empty database")
    return engine


def _analyze(engine: Engine) -> None:
    with engine.begin() as c:
        c.execute(text("ANALYZE"))


def _outbox_rows(history: int, pending: int, chats: int) -> Iterable[tuple]:
    past = NOW - timedelta(days=30)
    for i in range(history + pending):
        sent = i < history
        chat = str(10_000 + i % chats)
        yield (f"chat:telegram:{chat}", "telegram", chat, f"消息 {i}", "[]", "",
               "sent" if sent else "pending", 1 if sent else 0, past, past,
               past if sent else None)  # fmt: skip


_OUTBOX = ("recipient", "channel", "chat_id", "text", "choices", "kind", "status", "attempts",
           "created_at", "not_before", "sent_at")  # fmt: skip


def bench_outbox(url: str | None, history: int, analyze: bool, runs: int = 200) -> int:
    with tempfile.TemporaryDirectory() as workdir:
        engine = _engine(url, Path(workdir))
        started = time.perf_counter()
        bulk(engine, "outbox", _OUTBOX, _outbox_rows(history, 1_000, 2_000))
        load = time.perf_counter() - started
        if analyze:
            _analyze(engine)
        sessions = sessionmaker(engine)
        times = []
        for _ in range(runs):  # the same claim each time: rolled back
            session = sessions()
            t = time.perf_counter()
            rows = claim(session, NOW, ["telegram"], 50, timedelta(minutes=5))
            times.append((time.perf_counter() - t) * 1000)
            session.rollback()
            session.close()
            assert len(rows) == 50
        times.sort()
        result = {
            "database": engine.dialect.name,
            "history_rows": history,
            "pending_rows": 1_000,
            "analyzed": analyze,
            "load_seconds": round(load, 1),
            "claim_50_ms_p50": round(statistics.median(times), 2),
            "claim_50_ms_p99": round(times[int(len(times) * 0.99) - 1], 2),
        }
        engine.dispose()
    print(json.dumps(result, indent=2))
    return 0


def bench_sweep(url: str | None, open_cases: int, due: int, analyze: bool = True) -> int:
    from bot.bootstrap import SAMPLE_COUNTY, build_app
    from bot.settings import Settings

    with tempfile.TemporaryDirectory() as workdir:
        engine = _engine(url, Path(workdir))
        settings = Settings(_env_file=None)
        settings.db = str(engine.url.render_as_string(hide_password=False))
        settings.data_dir = Path(workdir) / "var"
        clock = ManualClock(NOW)
        sessions = sessionmaker(engine, expire_on_commit=False)
        app = build_app(settings, clock, engine=(engine, sessions), county_file=SAMPLE_COUNTY)
        with transaction(sessions) as session:
            deputy = session.scalars(select(Deputy.code).order_by(Deputy.code)).first()
        started = time.perf_counter()
        past, future = NOW - timedelta(days=3), NOW + timedelta(days=5)
        add_bench_resident(engine, "bench", past)
        bulk(engine, "cases",
              ("id", "ticket", "resident_id", "origin_identity_id", "text", "text_digest",
               "photos", "category", "confidence", "keywords", "urgent", "request_type",
               "status", "deputy_code", "created_at", "accept_due_at", "answer_due_at", "round"),
              ((i, f"B-{i}", 1, 1, "路灯坏了", f"d{i}", "[]", "城乡建设", 0.9, "[]", False,
                "求助", "assigned", deputy, past, NOW, future, 0)
               for i in range(1, open_cases + 1)))  # fmt: skip
        # Each open case: its accept reminder fired (history), its answer reminder pending;
        # ``due`` of them have their accept limit due now.
        bulk(engine, "case_alarms", ("case_id", "round", "kind", "due_at", "status", "fired_at"),
              (row for i in range(1, open_cases + 1) for row in (
                  (i, 0, "accept_75", past, "fired", past),
                  (i, 0, "accept_due", NOW - timedelta(minutes=1) if i <= due else future,
                   "pending", None))))  # fmt: skip
        load = time.perf_counter() - started
        if analyze:
            _analyze(engine)
        sweep = next(job for job in app.jobs if job.name == "sweep")
        rss_before = _rss_mib()
        runs = []
        for _ in range(-(-due // 500) + 1):  # batches of 500: until nothing is left
            t = time.perf_counter()
            sweep.run()
            runs.append(time.perf_counter() - t)
        t = time.perf_counter()
        sweep.run()
        idle = time.perf_counter() - t
        with transaction(sessions) as session:
            fired = session.scalar(select(func.count()).select_from(Case).where(Case.id <= due))
        result = {
            "database": engine.dialect.name,
            "open_cases": open_cases,
            "alarm_rows": 2 * open_cases,
            "due": due,
            "load_seconds": round(load, 1),
            "sweep_seconds_with_due": round(sum(runs[:-1]), 3),
            "sweep_batches": len(runs) - 1,
            "sweep_seconds_after": round(runs[-1], 3),
            "idle_sweep_seconds": round(idle, 3),
            "rss_mib_before": rss_before,
            "rss_mib_after": _rss_mib(),
            "cases_checked": fired,
        }
        engine.dispose()
    print(json.dumps(result, indent=2))
    return 0
