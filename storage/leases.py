"""Leases: work that one process at a time may do, across processes sharing the database.

A lease is held until ``expires_at`` and renewed while its holder works; when the holder
dies it lapses and another process takes it over. Used by the Telegram update worker, so
that two ``run worker`` processes never handle one chat's updates side by side.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlalchemy.orm import Session

from storage.models import WorkerLease
from storage.upsert import insert_or_ignore

__all__ = ["hold", "release"]


def hold(session: Session, name: str, holder: str, now: datetime, length: timedelta) -> bool:
    """Take or renew the lease ``name`` for ``holder`` until ``now + length``; False while
    another holder's lease runs."""
    insert_or_ignore(
        session,
        WorkerLease,
        {"name": name, "holder": holder, "expires_at": now + length},
        ["name"],
    )
    # The row's own check decides between two processes: only one UPDATE matches.
    taken = session.execute(
        update(WorkerLease)
        .where(
            WorkerLease.name == name,
            or_(WorkerLease.holder == holder, WorkerLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + length)
    ).rowcount
    return bool(taken)


def release(session: Session, name: str, holder: str) -> None:
    """Give the lease up if ``holder`` has it: the next asker takes it at once."""
    session.execute(
        delete(WorkerLease).where(WorkerLease.name == name, WorkerLease.holder == holder)
    )
