"""Insert-or-keep and insert-or-update in one statement, for rows that two transactions may
create at once (a new user's first two messages, one MsgId delivered four times).

Select-then-insert loses that race: both see no row, both insert, one fails on the unique key.
``INSERT … ON CONFLICT`` does not: on PostgreSQL the second waits for the first to commit and
then keeps (or updates) its row; SQLite runs writers one at a time anyway.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

__all__ = [
    "insert_or_ignore",
    "insert_or_ignore_row",
    "insert_or_ignore_statement",
    "insert_or_update",
]

T = TypeVar("T")

_DIALECTS = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}


def _insert(session: Session, model: type, values: Mapping[str, Any]) -> Any:
    return _dialect_insert(session.get_bind().dialect.name, model, values)


def insert_or_ignore_statement(
    dialect: str, model: type, values: Mapping[str, Any], key: Sequence[str]
) -> Any:
    """:func:`insert_or_ignore` as a statement, for a caller that runs it on a connection of
    its own (the webhook's one autocommit statement)."""
    return _dialect_insert(dialect, model, values).on_conflict_do_nothing(index_elements=key)


def _dialect_insert(name: str, model: type, values: Mapping[str, Any]) -> Any:
    try:
        return _DIALECTS[name](model).values(**values)
    except KeyError:
        raise NotImplementedError(f"no upsert for the {name} dialect") from None


@functools.lru_cache(maxsize=64)
def _ignoring(dialect: str, model: type, key: tuple[str, ...]) -> Any:
    """``INSERT … ON CONFLICT (key) DO NOTHING RETURNING <the row>`` with the values left to
    the execution's parameters: built once, not per call (building one and its cache key
    costs about as much as running it on SQLite)."""
    try:
        statement = _DIALECTS[dialect](model)
    except KeyError:
        raise NotImplementedError(f"no upsert for the {dialect} dialect") from None
    return statement.on_conflict_do_nothing(index_elements=key).returning(model)


@functools.lru_cache(maxsize=64)
def _ignoring_table(dialect: str, model: type, key: tuple[str, ...]) -> Any:
    """:func:`_ignoring` on the model's table, returning only its primary key."""
    table = model.__table__  # type: ignore[attr-defined]
    try:
        statement = _DIALECTS[dialect](table)
    except KeyError:
        raise NotImplementedError(f"no upsert for the {dialect} dialect") from None
    return statement.on_conflict_do_nothing(index_elements=key).returning(
        *table.primary_key.columns
    )


def insert_or_ignore(
    session: Session, model: type, values: Mapping[str, Any], key: Sequence[str]
) -> bool:
    """Insert the row unless one with the same ``key`` (a unique constraint) exists; True
    when it was inserted. Told by the primary key coming back: the rowcount of an ORM
    INSERT is -1 on PostgreSQL, where SQLAlchemy adds its own RETURNING."""
    statement = _ignoring_table(session.get_bind().dialect.name, model, tuple(key))
    if session.new or session.dirty or session.deleted:
        session.flush()  # what Session.execute's autoflush would have done
    # On the session's connection, as Core: an ORM-enabled INSERT goes through the ORM's
    # bulk-insert machinery, which cost four times the statement itself (issue 15).
    return session.connection().execute(statement, dict(values)).first() is not None


def insert_or_ignore_row(
    session: Session, model: type[T], values: Mapping[str, Any], key: Sequence[str]
) -> T | None:
    """:func:`insert_or_ignore`, returning the inserted row as an object of the session
    (``RETURNING``: no second query to read it); None when the key was taken."""
    statement = _ignoring(session.get_bind().dialect.name, model, tuple(key))
    return session.scalars(statement, dict(values)).one_or_none()


def insert_or_update(
    session: Session,
    model: type,
    values: Mapping[str, Any],
    key: Sequence[str],
    update: Mapping[str, Any],
) -> None:
    """Insert the row, or set ``update`` on the one with the same ``key``."""
    statement = _insert(session, model, values)
    session.execute(statement.on_conflict_do_update(index_elements=key, set_=dict(update)))
