"""The key that signs the dashboard's session cookies: ``GRID_INTAKE_OFFICE_SECRET`` when set,
else one made on first use and kept in the database, so every web process shares it."""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from storage.models import SharedValue
from storage.upsert import insert_or_ignore

__all__ = ["cookie_secret"]

_KEY = "office:cookie-secret"


def cookie_secret(session: Session) -> str:
    insert_or_ignore(
        session,
        SharedValue,
        {"key": _KEY, "value": secrets.token_urlsafe(32), "expires_at": None},
        ("key",),
    )
    row = session.get(SharedValue, _KEY)
    assert row is not None
    return row.value
