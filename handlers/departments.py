"""Finding the department a deputy names in 转办: its code, name, short name or an alias of
the county file (``aliases: [人社局]``)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.models import Department

__all__ = ["find_department"]

_PREFIXES = ("县", "市", "区")


def _fold(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isalnum()).upper()


def _names(department: Department) -> list[str]:
    names = [department.name, *(department.aliases or [])]
    for prefix in _PREFIXES:
        if department.name.startswith(prefix):
            names.append(department.name.removeprefix(prefix))
    return [_fold(n) for n in names if n]


def find_department(session: Session, words: str) -> Department | None:
    """The one department ``words`` names; None when none or several match."""
    wanted = _fold(words)
    if not wanted:
        return None
    departments = session.scalars(select(Department).order_by(Department.code)).all()
    for department in departments:
        if wanted == _fold(department.code) or wanted in _names(department):
            return department
    # A part of a name (水利 → 县水利局), or a name inside the words (转给县水利局处理).
    matches = [
        d
        for d in departments
        if any(wanted in n or (len(n) >= 3 and n in wanted) for n in _names(d))
    ]
    return matches[0] if len(matches) == 1 else None
