"""Ticket numbers like ``YS-2026-000123``: county code, year, a gapless counter per year."""

from __future__ import annotations

import re
import unicodedata

from sqlalchemy import bindparam, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from storage.models import TicketCounter

__all__ = ["TICKET_PATTERN", "next_ticket", "normalise_ticket"]

# As people type them: any case, full-width or not, with or without the leading zeros
# (ys-2026-1, YS－2026－000001).
TICKET_PATTERN = r"[A-Za-z]{1,8}\s*-\s*\d{4}\s*-\s*\d{1,6}"
_PARTS = re.compile(r"^([A-Za-z]{1,8})\s*-\s*(\d{4})\s*-\s*(\d{1,6})$")


def normalise_ticket(text: str) -> str:
    """``ys-2026-1`` → ``YS-2026-000001``; anything else comes back stripped, unchanged."""
    folded = unicodedata.normalize("NFKC", text).strip()
    match = _PARTS.match(folded)
    if match is None:
        return text.strip()
    county, year, number = match.groups()
    return f"{county.upper()}-{year}-{int(number):06d}"


# Built once, run on every submission.
_TAKE_NUMBER = (
    update(TicketCounter)
    .where(TicketCounter.prefix == bindparam("counter"))
    .values(last=TicketCounter.last + 1)
    .returning(TicketCounter.last)
)


def next_ticket(session: Session, county_code: str, year: int) -> str:
    prefix = f"{county_code}-{year}"
    # UPDATE … RETURNING takes the row lock, so concurrent submitters never share a number.
    number = session.execute(_TAKE_NUMBER, {"counter": prefix}).scalar_one_or_none()
    if number is None:
        try:
            with session.begin_nested():
                session.execute(insert(TicketCounter).values(prefix=prefix, last=1))
            number = 1
        except IntegrityError:  # another transaction created this year's counter first
            return next_ticket(session, county_code, year)
    return f"{prefix}-{number:06d}"
