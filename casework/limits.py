"""Which time limits still apply to a case, and who is chased for a transferred one.

A transferred case keeps its answer limit: the department's answer is chased (through the
deputy who transferred it and the department's contact, by default the office) until the
deputy relays it (回复) or resolves the case. Alarms dropped before the transfer (the deputy
had answered the resident first) are armed again.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from storage.models import Case, CaseAlarm, Department

__all__ = ["department_contact", "happened_this_round", "rearm_after_transfer", "relevant"]

_NOT_ACCEPTED = ("assigned", "reopened", "submitted")
_NOT_ANSWERED = ("submitted", "assigned", "accepted", "transferred", "reopened")


def happened_this_round(case: Case, kinds: tuple[str, ...]) -> bool:
    """Whether the ledger has one of ``kinds`` since the case was (re)opened: a supervisor
    already brought in, so the resident is not told of it again this round."""
    for event in reversed(case.events):
        if event.kind in kinds:
            return True
        if event.kind == "reopened":
            return False
    return False


def relevant(case: Case, alarm_round: int, kind: str) -> bool:
    if case.round != alarm_round:
        return False
    if kind.startswith("accept"):
        return case.status in _NOT_ACCEPTED
    if case.status == "transferred":  # the department has not answered yet
        return True
    return case.status in _NOT_ANSWERED and case.answered_at is None


def department_contact(department: Department | None) -> str:
    """Who relays to a department: its contact deputy, else the office."""
    contact = department.contact if department is not None else None
    return f"deputy:{contact}" if contact and contact != "office" else "office"


def rearm_after_transfer(session: Session, case: Case) -> int:
    """Arm again this round's answer alarms dropped before the transfer (the deputy had
    answered the resident first), so the department's answer is chased; an alarm whose
    time has passed fires at the next working moment, as the current state."""
    result = session.execute(
        update(CaseAlarm)
        .where(
            CaseAlarm.case_id == case.id,
            CaseAlarm.round == case.round,
            CaseAlarm.kind.like("answer_%"),
            CaseAlarm.status == "dropped",
        )
        .values(status="pending", fired_at=None)
    )
    return result.rowcount or 0
