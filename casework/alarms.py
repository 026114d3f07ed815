"""What due alarms mean when a sweep claims them (the claim itself is in ``sweeps``).

- An alarm whose limit no longer applies (accepted, answered, another round) is dropped.
- Several alarms of one case and limit claimed at once (the worker was down, or a 75% point
  that could only fall after the limit) say the *current* state once: the latest step
  fires, earlier reminders are superseded, and a 75% reminder whose limit has passed is
  sent as the reminder at the limit, worded as overdue since the limit.
- Each escalation is a ledger step and tells its supervisor; the deputy hears once per
  batch, and each step's notice to the deputy differs (督办 at the head step, 通报 at the
  office step), so no deputy gets the same text twice for one limit.
- The resident hears, once per supervisor and round, that the case is being pushed.
- Which limits still apply, and who relays to a department: ``casework.limits``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from casework.events import CaseEscalated, Event, ReminderDue
from casework.feedback import station_heads
from casework.limits import happened_this_round, relevant
from casework.overdue import deadline
from storage.models import Case

if TYPE_CHECKING:
    from casework.cases import Casework

__all__ = ["AT_THE_LIMIT", "Claimed", "Interpretation", "interpret"]

STEPS = ("75", "due", "head", "office")
# A reminder fired this soon after its limit still says "the limit is reached"; later (it
# waited for reminder hours, a holiday or a worker's restart) it says "overdue since".
AT_THE_LIMIT = timedelta(minutes=15)

_LABELS = {"accept": "签收", "answer": "答复"}


@dataclass(frozen=True)
class Claimed:
    id: int
    case_id: int
    round: int
    kind: str

    @property
    def limit(self) -> str:
        return self.kind.split("_")[0]

    @property
    def step(self) -> str:
        return self.kind.split("_")[1]


@dataclass
class Interpretation:
    events: list[Event] = field(default_factory=list)
    dropped: list[int] = field(default_factory=list)  # the limit no longer applies
    superseded: list[int] = field(default_factory=list)  # a later step said it


def interpret(
    cw: Casework, session: Session, now: datetime, claimed: list[Claimed]
) -> Interpretation:
    out = Interpretation()
    groups: dict[tuple[int, str], list[Claimed]] = defaultdict(list)
    for alarm in sorted(claimed, key=lambda a: a.id):
        groups[(alarm.case_id, alarm.limit)].append(alarm)
    # The batch's cases and their ledgers in two queries, not two per case.
    ids = sorted({case_id for case_id, _limit in groups})
    query = select(Case).where(Case.id.in_(ids)).options(selectinload(Case.events))
    cases = {case.id: case for case in session.scalars(query)}
    for (case_id, limit), group in groups.items():
        case = cases[case_id]
        live = [a for a in group if relevant(case, a.round, a.kind)]
        out.dropped += [a.id for a in group if a not in live]
        if not live:
            continue
        live.sort(key=lambda a: STEPS.index(a.step))
        escalations = [a for a in live if a.step in ("head", "office")]
        reminders = [a for a in live if a.step in ("75", "due")]
        if escalations:
            out.superseded += [a.id for a in reminders]
            for a in escalations:
                last = a is escalations[-1]
                out.events.append(_escalate(cw, session, case, limit, a.step, now, last))
        else:
            out.superseded += [a.id for a in reminders[:-1]]
            out.events.append(_remind(cw, case, limit, reminders[-1].step, now))
    out.events = _resident_told_once(out.events)
    return out


def _resident_told_once(events: list[Event]) -> list[Event]:
    """Several escalations of one case in one batch tell the resident once, the last (the
    highest supervisor brought in)."""
    last: dict[int, int] = {}
    for i, event in enumerate(events):
        if isinstance(event, CaseEscalated) and event.tell_resident:
            last[event.case.id] = i
    return [
        replace(e, tell_resident=False)
        if isinstance(e, CaseEscalated) and e.tell_resident and last[e.case.id] != i
        else e
        for i, e in enumerate(events)
    ]


def _remind(cw: Casework, case: Case, limit: str, step: str, now: datetime) -> ReminderDue:
    label = _LABELS[limit]
    due_at = deadline(case, limit)
    if step == "75" and due_at is not None and due_at <= now:
        step = "due"  # the limit passed while the reminder waited: say where things stand
    overdue = step == "due" and due_at is not None and now - due_at > AT_THE_LIMIT
    note = {"75": f"{label}时限将到", "due": f"{label}时限已{'过' if overdue else '到'}"}[step]
    cw.record(case, now, "reminded", "system", note + "，提醒代表")
    return ReminderDue(case, limit, step, overdue=overdue)


def _escalate(
    cw: Casework, session: Session, case: Case, limit: str, step: str, now: datetime, last: bool
) -> CaseEscalated:
    label = _LABELS[limit]
    if step == "head":
        days = cw.sla.head_after_working_days
        heads = station_heads(session, case)
        kind = "escalated_head" if heads else "escalated_office"
        names = "、".join(h.name for h in heads) or "代表工委"
        note = f"超过{label}时限{days}个工作日，报{names}督办"
    else:
        days = cw.sla.office_after_working_days
        heads, kind = (), "escalated_office"
        note = f"超过{label}时限{days}个工作日，通报"
    first_time = not happened_this_round(case, (kind,))
    cw.record(case, now, kind, "system", note)
    return CaseEscalated(
        case, limit, step, heads, days=days, tell_deputy=last, tell_resident=first_time
    )
