"""Case use cases: submit, accept, answer, transfer, resolve, relay, cancel.

Each method changes one case, appends its ledger rows (CaseEvent) and returns the domain
events for the handlers to turn into messages. All of it happens in the caller's session,
so the change, the ledger and the outbox commit together or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import events as ev
from casework.calendar import WorkingCalendar
from casework.clock import Clock
from casework.directory import EntryPoint
from casework.errors import NotPermitted, UnknownCase
from casework.lifecycle import Action, Status, next_status
from casework.limits import rearm_after_transfer
from casework.routing import OPEN_STATUSES, choose_deputy
from casework.sla import DueTimes, SlaPolicy
from casework.tickets import next_ticket
from storage.models import Case, CaseAlarm, CaseEvent, ChatIdentity, Department, Deputy, Survey

__all__ = ["CaseDraft", "Casework", "text_digest"]

DUPLICATE_WINDOW = timedelta(minutes=10)


def text_digest(text: str) -> str:
    """Same complaint, same digest: whitespace and punctuation do not make a new case."""
    normalised = "".join(ch for ch in text if ch.isalnum())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class CaseDraft:
    text: str
    category: str
    confidence: float = 0.0
    keywords: list[str] = field(default_factory=list)
    urgent: bool = False
    request_type: str = "求助"
    grid_code: str | None = None
    entry: EntryPoint | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: list[str] = field(default_factory=list)


@dataclass
class Casework:
    clock: Clock
    calendar: WorkingCalendar
    sla: SlaPolicy
    county_code: str

    # --- queries -------------------------------------------------------------------------

    def get(self, session: Session, ticket: str) -> Case:
        case = session.scalars(select(Case).where(Case.ticket == ticket.strip().upper())).first()
        if case is None:
            raise UnknownCase(ticket.strip())
        return case

    def recent_duplicate(self, session: Session, resident_id: int, text: str) -> Case | None:
        """The resident's case with the same text submitted within the last 10 minutes."""
        since = self.clock.now() - DUPLICATE_WINDOW
        return session.scalars(
            select(Case)
            .where(
                Case.resident_id == resident_id,
                Case.text_digest == text_digest(text),
                Case.created_at >= since,
            )
            .order_by(Case.id.desc())
        ).first()

    def cases_of_deputy(self, session: Session, deputy: Deputy) -> list[Case]:
        return list(
            session.scalars(
                select(Case)
                .where(Case.deputy_code == deputy.code, Case.status.in_(OPEN_STATUSES))
                .order_by(Case.id)
            )
        )

    # --- commands ------------------------------------------------------------------------

    def submit(
        self, session: Session, identity: ChatIdentity, draft: CaseDraft
    ) -> tuple[Case, list[ev.Event]]:
        now = self.clock.now()
        year = now.astimezone(self.calendar.zone).year
        due = self.sla.due_times(
            self.calendar, now, urgent=draft.urgent, request_type=draft.request_type
        )
        assert identity.resident_id is not None
        case = Case(
            ticket=next_ticket(session, self.county_code, year),
            resident_id=identity.resident_id,
            origin_identity_id=identity.id,
            text=draft.text,
            text_digest=text_digest(draft.text),
            photos=list(draft.photos),
            latitude=draft.latitude,
            longitude=draft.longitude,
            entry_code=draft.entry.code if draft.entry else None,
            grid_code=draft.grid_code,
            category=draft.category,
            confidence=draft.confidence,
            keywords=list(draft.keywords),
            urgent=draft.urgent,
            request_type=draft.request_type,
            status=Status.SUBMITTED,
            created_at=now,
            accept_due_at=due.accept_by,
            answer_due_at=due.answer_by,
        )
        session.add(case)
        session.flush()
        self.schedule_alarms(session, case, now, due)
        self.record(case, now, "submitted", f"resident:{identity.resident_id}", draft.category)
        events: list[ev.Event] = [ev.CaseSubmitted(case)]

        assignment = choose_deputy(
            session, grid_code=draft.grid_code, category=draft.category, entry=draft.entry
        )
        case.station_code = assignment.station_code
        if assignment.deputy is None:
            self.record(case, now, "routed_to_office", "system", assignment.reason)
            events.append(ev.RoutedToOffice(case, assignment.reason))
        else:
            case.deputy_code = assignment.deputy.code
            case.deputy = assignment.deputy
            case.status = next_status(case.status, Action.ASSIGN)
            self.record(
                case, now, "assigned", "system", f"{assignment.deputy.name}：{assignment.reason}"
            )
            events.append(ev.CaseAssigned(case, assignment.deputy, assignment.reason))
        return case, events

    def assign(self, session: Session, case: Case, deputy: Deputy, actor: str) -> list[ev.Event]:
        """The office hands a case to a deputy by hand (cases routing could not place)."""
        now = self.clock.now()
        case.status = next_status(case.status, Action.ASSIGN)
        case.deputy_code = deputy.code
        case.deputy = deputy
        reason = "代表工委指定交办"
        self.record(case, now, "assigned", actor, f"{deputy.name}：{reason}")
        return [ev.CaseAssigned(case, deputy, reason)]

    def accept(self, session: Session, case: Case, deputy: Deputy) -> list[ev.Event]:
        self.authorize(case, deputy)
        now = self.clock.now()
        case.status = next_status(case.status, Action.ACCEPT)
        late = case.accept_due_at is not None and now > case.accept_due_at
        case.accepted_at = now
        self.record(case, now, "accepted", f"deputy:{deputy.code}", "逾期签收" if late else "")
        return [ev.CaseAccepted(case, deputy, late)]

    def answer(self, session: Session, case: Case, deputy: Deputy, text: str) -> list[ev.Event]:
        self.authorize(case, deputy)
        now = self.clock.now()
        case.status = next_status(case.status, Action.ANSWER)
        case.answered_at = case.answered_at or now
        self.record(case, now, "answered", f"deputy:{deputy.code}", text)
        return [ev.DeputyAnswered(case, deputy, text)]

    def transfer(
        self, session: Session, case: Case, deputy: Deputy, department: Department
    ) -> list[ev.Event]:
        self.authorize(case, deputy)
        now = self.clock.now()
        case.status = next_status(case.status, Action.TRANSFER)
        case.department_code = department.code
        case.department = department
        self.record(case, now, "transferred", f"deputy:{deputy.code}", department.name)
        rearm_after_transfer(session, case)  # the department's answer is chased too
        return [ev.CaseTransferred(case, deputy, department)]

    def resolve(self, session: Session, case: Case, deputy: Deputy, note: str) -> list[ev.Event]:
        self.authorize(case, deputy)
        now = self.clock.now()
        case.status = next_status(case.status, Action.RESOLVE)
        case.resolved_at = now
        case.answered_at = case.answered_at or now
        case.resolution = note
        self.record(case, now, "resolved", f"deputy:{deputy.code}", note)
        # Two-step feedback: the rating now, "is it still fixed?" four weeks later.
        times = self.sla.survey_times(self.calendar, now)
        session.add(
            Survey(
                case_id=case.id, round=case.round, kind="rating", status="open", ask_at=now,
                remind_at=times.rating_remind_at, expires_at=times.rating_expires_at,
            )
        )  # fmt: skip
        session.add(
            Survey(
                case_id=case.id, round=case.round, kind="recheck", status="scheduled",
                ask_at=times.recheck_at, expires_at=times.recheck_expires_at,
            )
        )  # fmt: skip
        return [ev.CaseResolved(case, deputy, note), ev.SurveyAsked(case, "rating", False)]

    def schedule_alarms(self, session: Session, case: Case, start: datetime, due: DueTimes) -> None:
        for kind, at in self.sla.alarms(self.calendar, start, due).items():
            session.add(CaseAlarm(case_id=case.id, round=case.round, kind=kind, due_at=at))

    def relay_from_resident(
        self, session: Session, case: Case, identity: ChatIdentity, text: str
    ) -> list[ev.Event]:
        if case.resident_id != identity.resident_id:
            raise NotPermitted("只能就本人反映的工单留言。")
        if case.status in (Status.CLOSED, Status.CANCELLED):
            raise NotPermitted(f"工单 {case.ticket} 已结束，如有新问题请直接描述，我们将重新登记。")
        self.record(case, self.clock.now(), "resident_wrote", f"resident:{case.resident_id}", text)
        return [ev.ResidentWrote(case, text)]

    def cancel(self, session: Session, case: Case, identity: ChatIdentity) -> list[ev.Event]:
        if case.resident_id != identity.resident_id:
            raise NotPermitted("只能撤销本人反映的工单。")
        case.status = next_status(case.status, Action.CANCEL)
        self.record(case, self.clock.now(), "cancelled", f"resident:{case.resident_id}", "")
        return [ev.CaseCancelled(case)]

    # --- rules ---------------------------------------------------------------------------

    @staticmethod
    def authorize(case: Case, deputy: Deputy) -> None:
        """The assigned deputy, or a head of the case's station, may act on it."""
        if case.deputy_code == deputy.code:
            return
        if case.station_code and any(s.code == case.station_code for s in deputy.head_of):
            return
        raise NotPermitted(f"工单 {case.ticket} 未交办给您，您无权办理。")

    @staticmethod
    def record(case: Case, at: datetime, kind: str, actor: str, note: str) -> None:
        """Append one row to the case's ledger."""
        case.events.append(
            CaseEvent(at=at, kind=kind, actor=actor, status_after=case.status, note=note)
        )
