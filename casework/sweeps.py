"""Periodic sweeps: plain functions of (session, now), run by the scheduler or the simulator.

Each sweep claims its rows with one conditional UPDATE, so two schedulers running by
mistake never act on the same row twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from casework.events import DialogExpired
from storage.models import DialogState

__all__ = ["expire_dialogs", "next_dialog_expiry"]


def next_dialog_expiry(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(DialogState.expires_at)).where(
            DialogState.expires_at.is_not(None), DialogState.state != "expired"
        )
    )


def expire_dialogs(session: Session, now: datetime) -> list[DialogExpired]:
    """End dialogs idle past their timeout. An unsubmitted description is kept (state
    ``expired``) so the resident can resume it: a resident's message is never lost."""
    rows = session.execute(
        update(DialogState)
        .where(
            DialogState.expires_at.is_not(None),
            DialogState.expires_at <= now,
            DialogState.state != "expired",
        )
        .values(state="expired", expires_at=None, updated_at=now)
        .returning(DialogState.channel, DialogState.chat_id, DialogState.data)
    ).all()
    events = []
    for channel, chat_id, data in rows:
        draft = (data or {}).get("draft") or {}
        events.append(DialogExpired(channel, chat_id, draft.get("text", "")))
    return events
