"""Ticket numbers like ``YS-2026-000123``: county code, year, a gapless counter per year."""

from __future__ import annotations

from sqlalchemy import insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import TicketCounter

__all__ = ["next_ticket"]


def next_ticket(session: Session, county_code: str, year: int) -> str:
    prefix = f"{county_code}-{year}"
    # UPDATE … RETURNING takes the row lock, so concurrent submitters never share a number.
    number = session.execute(
        update(TicketCounter)
        .where(TicketCounter.prefix == prefix)
        .values(last=TicketCounter.last + 1)
        .returning(TicketCounter.last)
    ).scalar_one_or_none()
    if number is None:
        try:
            with session.begin_nested():
                session.execute(insert(TicketCounter).values(prefix=prefix, last=1))
            number = 1
        except IntegrityError:  # another transaction created this year's counter first
            return next_ticket(session, county_code, year)
    return f"{prefix}-{number:06d}"
