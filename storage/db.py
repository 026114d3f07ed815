"""Engines, sessions and schema migration.

Nothing here runs at import time: the composition root calls :func:`make_engine` and
:func:`migrate` once and hands the session factory to everything else.
"""

from __future__ import annotations

import sqlite3
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.dialects.sqlite.base import SQLiteCompiler
from sqlalchemy.orm import Session, sessionmaker

__all__ = [
    "SessionFactory",
    "autocommit_engine",
    "current_revision",
    "database_answers",
    "engine_of",
    "lock_county",
    "make_engine",
    "migrate",
    "transaction",
]

MIGRATIONS = Path(__file__).parent / "migrations"

SessionFactory = sessionmaker[Session]


def _sqlite_table_hint(_compiler: SQLiteCompiler, _table: Any, hint: str) -> str:
    return hint


# SQLite's ``INDEXED BY`` is a table hint: SQLAlchemy's SQLite compiler drops the texts of
# ``select().with_hint(table, "INDEXED BY ix", "sqlite")``; render them after the table.
SQLiteCompiler.get_from_hint_text = _sqlite_table_hint  # type: ignore[method-assign]


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for ``url``; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


def engine_of(sessions: SessionFactory) -> Engine:
    """The engine a session factory is bound to."""
    bind = sessions.kw.get("bind")
    if not isinstance(bind, Engine):
        raise TypeError("the session factory is not bound to an engine")
    return bind


_AUTOCOMMIT: weakref.WeakKeyDictionary[Engine, dict[bool, Engine]] = weakref.WeakKeyDictionary()


def autocommit_engine(engine: Engine, *, durable: bool = True) -> Engine:
    """For single statements that are their own transaction (the webhook's insert, the
    outbox sender's claim and mark): on PostgreSQL a second pool of the same database in
    autocommit from the start and without the pre-ping, so such a statement is one round
    trip instead of four (ping, BEGIN, statement, COMMIT); a connection found dead fails
    that one statement and the pool drops it. SQLite: the engine itself, or for
    ``durable=False`` a second pool of the same file. Use it as
    ``with autocommit_engine(engine).begin() as connection`` (a no-op BEGIN in autocommit).

    ``durable=False``: the commit returns before the disk has it (PostgreSQL: before the
    WAL flush, 0.25 ms here; SQLite: ``synchronous=NORMAL``, no fsync of the WAL, 0.56 ms
    here). Only for bookkeeping whose loss in a power cut or a crash of the database server
    is harmless, such as the sender's "sending" and "sent" marks (the row is then sent
    again: the duplicate a crash mid-send already risks); never for a resident's message.
    The database itself stays whole either way."""
    postgresql = engine.dialect.name == "postgresql"
    if not postgresql and (durable or not _sqlite_file(engine)):
        return engine
    pools = _AUTOCOMMIT.get(engine)
    if pools is None:
        pools = _AUTOCOMMIT[engine] = {}
        # Disposing of the engine closes its autocommit pools' connections too.
        event.listen(engine, "engine_disposed", lambda _e: [p.dispose() for p in pools.values()])
    found = pools.get(durable)
    if found is None:
        url = engine.url.render_as_string(hide_password=False)
        if not postgresql:
            found = pools[durable] = make_engine(url)
            event.listen(found, "connect", _sqlite_not_synced)
            return found
        options = {} if durable else {"connect_args": {"options": "-c synchronous_commit=off"}}
        found = pools[durable] = create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=10, **options
        )
    return found


def _sqlite_file(engine: Engine) -> bool:
    """A database in a file, which a second pool opens as the same database (a memory
    database would be another, empty one)."""
    database = engine.url.database or ""
    return database not in ("", ":memory:") and "mode=memory" not in str(engine.url)


def _sqlite_not_synced(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    # WAL lets the web process read while the worker writes; memory databases refuse it.
    # Switching a new file to WAL does not wait on the busy timeout: several processes
    # opening a new database at once get "database is locked" (seen in test_cold_start).
    # WAL is kept in the file, so the first switch serves them all; the others retry.
    for attempt in range(100):
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or attempt == 99:
                raise
            time.sleep(0.05)
    cursor.close()


# Any fixed 64-bit numbers: the advisory locks grid-intake processes take to migrate, and to
# import a county file.
_MIGRATION_LOCK = 0x6772_6964_6D69_6772  # "gridmigr"
_COUNTY_LOCK = 0x6772_6964_636F_756E  # "gridcoun"


def lock_county(session: Session) -> None:
    """Serialise county imports: two at once would both insert the same new codes. PostgreSQL
    holds the lock until the transaction ends; SQLite serialises writers by itself."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _COUNTY_LOCK})


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic, the only way the schema is made.

    Safe when several processes start together on an empty database: the first takes a lock
    for the whole upgrade, the others wait for it and then find nothing left to do.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Released at commit; without it concurrent CREATE TYPE/TABLE collide
            # (UniqueViolation on pg_type_typname_nsp_index).
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        elif connection.dialect.name == "sqlite":
            # The database's own write lock, taken before Alembic reads its version: the
            # driver would otherwise run each DDL statement on its own, unlocked.
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's Alembic revision; None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def has_schema(engine: Engine) -> bool:
    return inspect(engine).has_table("cases")


def database_answers(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception:
        return False
    return True


@contextmanager
def transaction(factory: SessionFactory) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
