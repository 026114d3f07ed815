"""Which open cases are late: past the 签收 limit unaccepted, or past the answer limit
unanswered. The on-time figure and a head's 我的工单 use the same rule."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from casework.routing import OPEN_STATUSES
from storage.models import Case

__all__ = [
    "deadline",
    "is_overdue",
    "late_limit",
    "overdue_cases",
    "overdue_clause",
    "overdue_of_stations",
    "past_answer_limit",
]

_NOT_ACCEPTED = ("assigned", "reopened", "submitted")


def deadline(case: Case, limit: str) -> datetime | None:
    """When ``limit`` (``accept``: 签收, ``answer``: 答复) of the case falls due."""
    return case.accept_due_at if limit == "accept" else case.answer_due_at


def past_answer_limit(case: Case, now: datetime) -> bool:
    """Open, and its answer limit has passed: it can no longer be resolved on time."""
    return (
        case.status in OPEN_STATUSES and case.answer_due_at is not None and case.answer_due_at < now
    )


def is_overdue(case: Case, now: datetime) -> bool:
    return late_limit(case, now) is not None


def late_limit(case: Case, now: datetime) -> str | None:
    """The limit an overdue case missed: ``accept`` (签收) or ``answer`` (答复); else None."""
    if case.status not in OPEN_STATUSES:
        return None
    if case.status in _NOT_ACCEPTED and case.accept_due_at and case.accept_due_at < now:
        return "accept"
    if case.answered_at is None and past_answer_limit(case, now):
        return "answer"
    return None


def overdue_cases(session: Session, now: datetime) -> list[Case]:
    """Every overdue open case of the county, oldest first (the office's 逾期)."""
    cases = session.scalars(select(Case).where(Case.status.in_(OPEN_STATUSES)).order_by(Case.id))
    return [c for c in cases if is_overdue(c, now)]


def overdue_of_stations(session: Session, stations: Sequence[str], now: datetime) -> list[Case]:
    """The overdue open cases of these stations, oldest first."""
    cases = session.scalars(
        select(Case)
        .where(Case.station_code.in_(stations), Case.status.in_(OPEN_STATUSES))
        .order_by(Case.id)
    )
    return [c for c in cases if is_overdue(c, now)]


def overdue_clause(now: datetime, limit: str | None = None) -> ColumnElement[bool]:
    """:func:`is_overdue` (or one ``limit`` of :func:`late_limit`) as SQL, for lists that
    filter and page in the database; tests hold the two to the same answers."""
    not_accepted = and_(
        Case.status.in_(_NOT_ACCEPTED), Case.accept_due_at.is_not(None), Case.accept_due_at < now
    )
    unanswered = and_(
        Case.answered_at.is_(None), Case.answer_due_at.is_not(None), Case.answer_due_at < now
    )
    is_open = Case.status.in_(OPEN_STATUSES)
    if limit == "accept":
        return and_(is_open, not_accepted)
    if limit == "answer":
        return and_(is_open, unanswered, ~not_accepted)
    return and_(is_open, or_(not_accepted, unanswered))
