"""Sent outbox rows older than the county's retention move to outbox_archive, in bounded
batches, run daily by the scheduler; pending, failed and recent rows stay."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, insert, select

from bot.bootstrap import App
from casework.outbox import archive_sent
from storage.db import transaction
from storage.models import OutboxArchive, OutboxMessage


def _row(i: int, status: str, sent_days_ago: int | None, now) -> dict:
    sent = None if sent_days_ago is None else now - timedelta(days=sent_days_ago)
    return {"recipient": "office", "channel": "telegram", "chat_id": "1", "text": f"m{i}",
            "choices": [], "kind": "", "status": status, "attempts": 1,
            "created_at": now - timedelta(days=200), "not_before": now - timedelta(days=200),
            "sent_at": sent}  # fmt: skip


def test_old_sent_rows_move_to_the_archive_in_batches(app: App, clock) -> None:
    now = clock.now()
    rows = [_row(i, "sent", 100, now) for i in range(25)]
    rows += [_row(100, "sent", 10, now), _row(101, "failed", None, now)]
    rows += [_row(102, "pending", None, now)]
    with transaction(app.sessions) as session:
        session.execute(insert(OutboxMessage), rows)
        before = session.scalar(select(func.count()).select_from(OutboxMessage))
    with transaction(app.sessions) as session:
        assert archive_sent(session, now, 90, batch=10) == 10
    job = next(job for job in app.jobs if job.name == "retention")
    assert job.run() == 15  # the other 15, in bounded batches until none is left
    assert job.run() == 0
    with transaction(app.sessions) as session:
        left = session.scalar(select(func.count()).select_from(OutboxMessage))
        archived = session.scalars(select(OutboxArchive).order_by(OutboxArchive.id)).all()
        kept = set(session.scalars(select(OutboxMessage.text)))
    assert left == before - 25
    assert len(archived) == 25 and {a.status for a in archived} == {"sent"}
    assert archived[0].text == "m0" and archived[0].archived_at == now
    assert {"m100", "m101", "m102"} <= kept


def test_the_retention_is_the_countys(app: App, clock) -> None:
    now = clock.now()
    with transaction(app.sessions) as session:
        session.execute(insert(OutboxMessage), [_row(1, "sent", 40, now)])
    app.services.casework.sla = app.services.casework.sla.__class__.from_overrides(
        {"outbox_retention_days": 30}
    )
    job = next(job for job in app.jobs if job.name == "retention")
    assert job.run() == 1
