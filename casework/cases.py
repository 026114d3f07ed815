"""Case use cases: submit, accept, answer, transfer, resolve, relay, cancel, return.

Ownership rule: the assigned deputy acts on a case; a head of the case's station may act on
a member's case too, and by doing so takes it over (a ``reassigned`` ledger row, the member and
the resident told). Looking a case up (查询) takes nothing over. So the ledger, 查询, the
case list and the report always name the one deputy who handles the case now.

Each method changes one case, appends its ledger rows (CaseEvent) and returns the domain
events for the handlers to turn into messages. All of it happens in the caller's session,
so the change, the ledger and the outbox commit together or not at all.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from casework import events as ev
from casework.calendar import WorkingCalendar
from casework.clock import Clock
from casework.directory import EntryPoint
from casework.errors import NotPermitted, Refused, UnknownCase
from casework.lifecycle import STATUS_LABELS, Action, Status, next_status
from casework.limits import happened_this_round, rearm_after_transfer
from casework.routing import OPEN_STATUSES, choose_deputy, grid_for_routing
from casework.sla import DueTimes, SlaPolicy
from casework.tickets import next_ticket, normalise_ticket
from storage.models import (
    Case,
    CaseAlarm,
    CaseEvent,
    ChatIdentity,
    Department,
    Deputy,
    Station,
    Survey,
)

__all__ = ["MAX_CASE_TEXT", "CaseDraft", "Casework", "text_digest"]

DUPLICATE_WINDOW = timedelta(minutes=10)
# The longest text a case, an answer or a note may have, whatever the channel (a 4,096-
# character Telegram message must still hold it with the card around it).
MAX_CASE_TEXT = 2000


def _fits(text: str, what: str) -> None:
    if len(text) > MAX_CASE_TEXT:
        raise Refused(f"{what}有{len(text)}字，超过了{MAX_CASE_TEXT}字的上限，请精简后再发送。")


def text_digest(text: str) -> str:
    """Same complaint, same digest: whitespace and punctuation do not make a new case."""
    normalised = "".join(ch for ch in text if ch.isalnum())
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


# Built once: asked on every problem message and every submission.
_RECENT_SAME_TEXT = (
    select(Case)
    .where(
        Case.resident_id == bindparam("resident_id"),
        Case.text_digest == bindparam("digest"),
        Case.created_at >= bindparam("since"),
    )
    .order_by(Case.id.desc())
)


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
        number = normalise_ticket(ticket)
        case = session.scalars(select(Case).where(Case.ticket == number.upper())).first()
        if case is None:
            raise UnknownCase(number)
        return case

    def recent_duplicate(self, session: Session, resident_id: int, text: str) -> Case | None:
        """The resident's case with the same text submitted within the last 10 minutes."""
        since = self.clock.now() - DUPLICATE_WINDOW
        digest = text_digest(text)
        return session.scalars(
            _RECENT_SAME_TEXT, {"resident_id": resident_id, "digest": digest, "since": since}
        ).first()

    def cases_of_deputy(self, session: Session, deputy: Deputy) -> list[Case]:
        return list(
            session.scalars(
                select(Case)
                .where(Case.deputy_code == deputy.code, Case.status.in_(OPEN_STATUSES))
                .order_by(Case.id)
            )
        )

    def awaiting_acceptance(self, session: Session, deputy: Deputy) -> list[Case]:
        """The deputy's cases still to be 签收, oldest first."""
        return [
            c
            for c in self.cases_of_deputy(session, deputy)
            if c.status in (Status.ASSIGNED, Status.REOPENED)
        ]

    # --- commands ------------------------------------------------------------------------

    def submit(
        self,
        session: Session,
        identity: ChatIdentity,
        draft: CaseDraft,
        *,
        resident_id: int | None = None,
        actor: str | None = None,
        note: str | None = None,
    ) -> tuple[Case, list[ev.Event]]:
        """A resident's case; ``resident_id``/``actor``/``note`` for one a deputy files for a
        resident met offline (casework.offline)."""
        _fits(draft.text, "问题描述")
        now = self.clock.now()
        year = now.astimezone(self.calendar.zone).year
        due = self.sla.due_times(
            self.calendar, now, urgent=draft.urgent, request_type=draft.request_type
        )
        resident_id = resident_id if resident_id is not None else identity.resident_id
        assert resident_id is not None
        # Routed before the case is written: the case goes in once, with its station, deputy
        # and status, instead of an INSERT and an UPDATE (the new case has no deputy, so it
        # counts in nobody's load either way). The grid (with its station and deputies) and
        # the station are loaded once and held by the case for the cards told next: the
        # session's identity map keeps rows only while something holds them.
        grid = grid_for_routing(session, draft.grid_code)
        assignment = choose_deputy(
            session, grid_code=draft.grid_code, category=draft.category, entry=draft.entry
        )
        station = session.get(Station, assignment.station_code) if assignment.station_code else None
        case = Case(
            ticket=next_ticket(session, self.county_code, year),
            resident_id=resident_id,
            origin_identity_id=identity.id,
            text=draft.text,
            text_digest=text_digest(draft.text),
            photos=list(draft.photos),
            latitude=draft.latitude,
            longitude=draft.longitude,
            entry_code=draft.entry.code if draft.entry else None,
            grid_code=draft.grid_code,
            station_code=assignment.station_code,
            category=draft.category,
            confidence=draft.confidence,
            keywords=list(draft.keywords),
            urgent=draft.urgent,
            request_type=draft.request_type,
            status=Status.SUBMITTED,
            created_at=now,
            accept_due_at=due.accept_by,
            answer_due_at=due.answer_by,
            # A new case has neither: said here, the cards' follower count needs no query.
            events=[],
            followers=[],
        )
        if grid is not None:
            case.grid = grid
        if station is not None:
            case.station = station
        self.record(
            case, now, "submitted", actor or f"resident:{resident_id}", note or draft.category
        )
        events: list[ev.Event] = [ev.CaseSubmitted(case)]
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
        session.add(case)
        session.flush()  # the alarms need the case's id
        self.schedule_alarms(session, case, now, due)
        return case, events

    def assign(self, session: Session, case: Case, deputy: Deputy, actor: str) -> list[ev.Event]:
        """The office hands a case to a deputy by hand (unplaced cases, or reassignment)."""
        now = self.clock.now()
        previous = case.deputy
        if previous is not None and previous.code == deputy.code:
            raise Refused(f"工单 {case.ticket} 已由{deputy.name}代表承办。")
        case.status = next_status(case.status, Action.ASSIGN)
        case.deputy_code = deputy.code
        case.deputy = deputy
        reason = "代表工委指定交办"
        if previous is not None:
            self.record(
                case, now, "reassigned", actor, f"{previous.name} → {deputy.name}：代表工委改派"
            )
            return [ev.CaseReassigned(case, deputy, previous, "office")]
        self.record(case, now, "assigned", actor, f"{deputy.name}：{reason}")
        return [ev.CaseAssigned(case, deputy, reason)]

    def transfer_for_deputy(
        self, session: Session, case: Case, department: Department, actor: str
    ) -> list[ev.Event]:
        """The office 转办 a case on its deputy's behalf: the deputy keeps it and follows up."""
        deputy = case.deputy
        if deputy is None:
            raise Refused(f"工单 {case.ticket} 尚未交办代表，请先交办。")
        now = self.clock.now()
        case.status = next_status(case.status, Action.TRANSFER)
        case.department_code = department.code
        case.department = department
        self.record(case, now, "transferred", actor, f"{department.name}（代表工委代为转办）")
        rearm_after_transfer(session, case)
        return [ev.CaseTransferred(case, deputy, department)]

    def add_note(self, session: Session, case: Case, actor: str, text: str) -> None:
        """An internal note of the office: in the ledger, told to no one."""
        text = text.strip()
        if not text:
            raise Refused("备注内容不能为空。")
        _fits(text, "备注")
        self.record(case, self.clock.now(), "office_note", actor, text)

    def accept(self, session: Session, case: Case, deputy: Deputy) -> list[ev.Event]:
        now = self.clock.now()
        next_status(case.status, Action.ACCEPT)  # refuse before anything changes hands
        events = self._take_over_if_head(case, deputy, now)
        case.status = next_status(case.status, Action.ACCEPT)
        late = case.accept_due_at is not None and now > case.accept_due_at
        case.accepted_at = now
        self.record(case, now, "accepted", f"deputy:{deputy.code}", "逾期签收" if late else "")
        return [*events, ev.CaseAccepted(case, deputy, late)]

    def answer(self, session: Session, case: Case, deputy: Deputy, text: str) -> list[ev.Event]:
        _fits(text, "答复")
        now = self.clock.now()
        next_status(case.status, Action.ANSWER)
        events = self._take_over_if_head(case, deputy, now)
        case.status = next_status(case.status, Action.ANSWER)
        case.answered_at = case.answered_at or now
        self.record(case, now, "answered", f"deputy:{deputy.code}", text)
        self._relayed(case, now)
        return [*events, ev.DeputyAnswered(case, deputy, text)]

    def transfer(
        self, session: Session, case: Case, deputy: Deputy, department: Department
    ) -> list[ev.Event]:
        now = self.clock.now()
        next_status(case.status, Action.TRANSFER)
        events = self._take_over_if_head(case, deputy, now)
        case.status = next_status(case.status, Action.TRANSFER)
        case.department_code = department.code
        case.department = department
        self.record(case, now, "transferred", f"deputy:{deputy.code}", department.name)
        rearm_after_transfer(session, case)  # the department's answer is chased too
        return [*events, ev.CaseTransferred(case, deputy, department)]

    def return_to_office(
        self, session: Session, case: Case, deputy: Deputy, reason: str
    ) -> list[ev.Event]:
        """退回: the deputy hands the case back; the office assigns it again."""
        self.authorize(case, deputy)
        if not reason.strip():
            raise Refused(f"请说明退回的理由，例如：退回 {case.ticket} 不属于本网格。")
        now = self.clock.now()
        case.status = next_status(case.status, Action.RETURN)
        case.deputy_code = None
        case.deputy = None
        case.accepted_at = None
        self.record(case, now, "returned", f"deputy:{deputy.code}", reason.strip())
        return [ev.CaseReturned(case, deputy, reason.strip())]

    def resolve(self, session: Session, case: Case, deputy: Deputy, note: str) -> list[ev.Event]:
        _fits(note, "办理结果")
        now = self.clock.now()
        next_status(case.status, Action.RESOLVE)
        events = self._take_over_if_head(case, deputy, now)
        case.status = next_status(case.status, Action.RESOLVE)
        case.resolved_at = now
        case.answered_at = case.answered_at or now
        case.resolution = note
        self.record(case, now, "resolved", f"deputy:{deputy.code}", note)
        self._relayed(case, now)
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
        return [*events, ev.CaseResolved(case, deputy, note), ev.SurveyAsked(case, "rating", False)]

    def schedule_alarms(self, session: Session, case: Case, start: datetime, due: DueTimes) -> None:
        # One multi-row INSERT: as objects, the ORM inserts them one by one on SQLite (it
        # would read back each id, which nothing here needs).
        rows = [
            {"case_id": case.id, "round": case.round, "kind": kind, "due_at": at}
            for kind, at in self.sla.alarms(self.calendar, start, due).items()
        ]
        if rows:
            session.execute(insert(CaseAlarm), rows)

    def relay_from_resident(
        self, session: Session, case: Case, identity: ChatIdentity, text: str
    ) -> list[ev.Event]:
        if case.resident_id != identity.resident_id:
            raise NotPermitted("只能就本人反映的工单留言。")
        if case.status == Status.CANCELLED:
            raise NotPermitted(f"工单 {case.ticket} 已撤销，如有新问题请直接描述，我们将重新登记。")
        if case.status == Status.CLOSED:
            raise NotPermitted(
                f"工单 {case.ticket} 已结案。如问题没有解决，可发送“重新反映 {case.ticket} 原因”"
                "要求重新办理；如有新问题请直接描述，我们将重新登记。"
            )
        _fits(text, "留言")
        self.record(case, self.clock.now(), "resident_wrote", f"resident:{case.resident_id}", text)
        return [ev.ResidentWrote(case, text)]

    def cancel(self, session: Session, case: Case, identity: ChatIdentity) -> list[ev.Event]:
        if case.resident_id != identity.resident_id:
            raise NotPermitted("只能撤销本人反映的工单。")
        case.status = next_status(case.status, Action.CANCEL)
        self.record(case, self.clock.now(), "cancelled", f"resident:{case.resident_id}", "")
        return [ev.CaseCancelled(case)]

    def supervise(
        self, session: Session, case: Case, actor: str, by: str, note: str = ""
    ) -> list[ev.Event]:
        """督办 by the office: the deputy is pushed now; the resident hears it once a round.

        Only an open case that a deputy holds can be pushed; the ledger keeps who did it
        (``actor``: ``office`` in chat, ``staff:NAME`` on the dashboard; ``by`` in words).
        """
        _fits(note, "督办说明")
        if case.status not in OPEN_STATUSES:
            label = STATUS_LABELS[Status(case.status)]
            raise Refused(f"工单 {case.ticket} 当前状态为“{label}”，无需督办。")
        if case.deputy is None:
            raise Refused(
                f"工单 {case.ticket} 尚未交办代表，请先交办：交办 {case.ticket} 代表编号。"
            )
        first = not happened_this_round(case, ("supervised", "escalated_office"))
        self.record(case, self.clock.now(), "supervised", actor, note.strip() or f"{by}督办")
        return [ev.CaseSupervised(case, by, note.strip(), tell_resident=first)]

    # --- rules ---------------------------------------------------------------------------

    @staticmethod
    def authorize(case: Case, deputy: Deputy) -> None:
        """The assigned deputy, or a head of the case's station, may act on it."""
        if case.deputy_code == deputy.code:
            return
        if case.station_code and any(s.code == case.station_code for s in deputy.head_of):
            return
        raise NotPermitted(f"工单 {case.ticket} 未交办给您，您无权办理。")

    def _take_over_if_head(self, case: Case, deputy: Deputy, now: datetime) -> list[ev.Event]:
        """Authorise ``deputy``; a head acting on a member's case becomes its deputy."""
        self.authorize(case, deputy)
        previous = case.deputy
        if previous is None or previous.code == deputy.code:
            return []
        case.status = next_status(case.status, Action.TAKE_OVER)
        case.deputy_code, case.deputy = deputy.code, deputy
        self.record(
            case, now, "reassigned", f"deputy:{deputy.code}",
            f"{previous.name} → {deputy.name}：站长接手办理",
        )  # fmt: skip
        return [ev.CaseReassigned(case, deputy, previous, "head")]

    def _relayed(self, case: Case, now: datetime) -> None:
        """An offline case nobody has claimed: its recorder tells the resident (the ledger
        says so)."""
        if case.source == "offline" and case.claimed_at is None and case.recorded_by:
            self.record(
                case, now, "relayed", f"deputy:{case.recorded_by}", "未认领，由代录代表转告群众"
            )

    @staticmethod
    def record(case: Case, at: datetime, kind: str, actor: str, note: str) -> None:
        """Append one row to the case's ledger."""
        case.events.append(
            CaseEvent(at=at, kind=kind, actor=actor, status_after=case.status, note=note)
        )
