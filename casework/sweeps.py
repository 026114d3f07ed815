"""Periodic sweeps: plain functions of (session, now), run by the scheduler or the simulator.

Each sweep claims its rows with one conditional UPDATE, so two schedulers running by
mistake never act on the same row twice.

Their cost follows what is due, not the history: each looks for its rows through a partial
index holding only what waits (``storage.models.PARTIAL``), repeating the index's predicate
with literals so both SQLite and PostgreSQL can use it, and claims at most ``BATCH`` rows per
call (the rest are due at the next sweep).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.alarms import Claimed, interpret
from casework.cases import Casework
from casework.duties import gaps, previous_month
from casework.events import (
    DialogExpired,
    DutiesListed,
    DutyReminded,
    Event,
    LookbackListed,
    SurveyAsked,
)
from casework.feedback import close, reopen
from casework.routing import OPEN_STATUSES
from storage.models import (
    PARTIAL,
    Case,
    CaseAlarm,
    ChatIdentity,
    Deputy,
    DialogState,
    JobRun,
    Survey,
)

__all__ = [
    "BATCH",
    "claim_period",
    "duty_reminders",
    "expire_dialogs",
    "fire_alarms",
    "lookback",
    "next_alarm",
    "next_alarm_firing",
    "next_dialog_expiry",
    "next_survey_firing",
    "next_survey_step",
    "run_surveys",
]


BATCH = 500  # rows a sweep claims per kind; what is left is due at the next sweep


def _where(_table: str, key: str) -> ColumnElement[bool]:
    """A partial index's predicate, word for word (``_table`` names where it applies)."""
    return text(PARTIAL[key])


def next_dialog_expiry(session: Session) -> datetime | None:
    return session.scalar(
        select(DialogState.expires_at)
        .where(_where("dialog_states", "dialog_expiring"))
        .order_by(DialogState.expires_at)
        .limit(1)
    )


def expire_dialogs(cw: Casework, session: Session, now: datetime) -> list[Event]:
    """End dialogs idle past their timeout. An unsubmitted description is kept (state
    ``expired``) so the resident can resume it: a resident's message is never lost. A
    dissatisfied resident who never said why still gets the case reopened."""
    due = _due_ids(session, DialogState, "dialog_states", "dialog_expiring", "expires_at", now)
    if not due:
        return []
    rows = session.execute(
        update(DialogState)
        .where(DialogState.id.in_(due), _where("dialog_states", "dialog_expiring"))
        .values(state="expired", expires_at=None, updated_at=now)
        .returning(DialogState.channel, DialogState.chat_id, DialogState.state, DialogState.data)
    ).all()
    events: list[Event] = []
    for channel, chat_id, _state, data in rows:
        data = data or {}
        if data.get("source") in ("rating", "recheck") and data.get("ticket"):
            events += _reopen_without_reason(cw, session, channel, chat_id, data)
            continue
        draft = data.get("draft") or {}
        events.append(DialogExpired(channel, chat_id, draft.get("text", "")))
    return events


def _reopen_without_reason(
    cw: Casework, session: Session, channel: str, chat_id: str, data: dict
) -> list[Event]:
    identity = session.scalars(
        select(ChatIdentity).where(
            ChatIdentity.channel == channel, ChatIdentity.external_id == chat_id
        )
    ).first()
    case = session.scalars(select(Case).where(Case.ticket == data["ticket"])).first()
    if identity is None or case is None or case.status not in ("rated", "closed", "resolved"):
        return []
    return reopen(cw, session, case, identity, "居民未说明原因", data["source"])


# --- time limits ------------------------------------------------------------------------


def _due_ids(
    session: Session, model: type, table: str, key: str, column: str, now: datetime
) -> list[int]:
    """Ids of at most ``BATCH`` rows due by ``now``, earliest first, through the partial index."""
    due_at = getattr(model, column)
    return list(
        session.scalars(
            select(model.id)  # type: ignore[attr-defined]
            .where(_where(table, key), due_at <= now)
            .order_by(due_at)
            .limit(BATCH)
        )
    )


def next_alarm(session: Session) -> datetime | None:
    """The earliest pending alarm: one step into the partial index."""
    return session.scalar(
        select(CaseAlarm.due_at)
        .where(_where("case_alarms", "alarm_pending"))
        .order_by(CaseAlarm.due_at)
        .limit(1)
    )


def next_alarm_firing(cw: Casework, session: Session, now: datetime) -> datetime | None:
    """When a sweep will next have alarms to fire: the earliest pending one, but not before
    the next working moment (what fell due overnight or on a holiday waits for it)."""
    due = next_alarm(session)
    return None if due is None else _reminder_time(cw, max(due, now))


def _reminder_time(cw: Casework, instant: datetime) -> datetime:
    return cw.sla.working_moment(cw.calendar, instant)


def _is_reminder_time(cw: Casework, now: datetime) -> bool:
    return cw.sla.is_working_moment(cw.calendar, now)


def fire_alarms(cw: Casework, session: Session, now: datetime) -> list[Event]:
    """Reminders and escalations that are due; each alarm fires once, across workers.

    Only at a working moment (a working day, inside reminder hours): after a night, a
    holiday or a worker's outage, what is overdue waits for 08:00 like the rest. What the
    claimed alarms mean (one message per limit with its current state) is in
    ``casework.alarms``."""
    if not _is_reminder_time(cw, now):
        return []
    pending = _where("case_alarms", "alarm_pending")
    # The cases of the earliest due alarms (the index covers case_id), then every due alarm
    # of those cases, so that one case's alarms are interpreted together.
    cases = set(
        session.scalars(
            select(CaseAlarm.case_id)
            .where(pending, CaseAlarm.due_at <= now)
            .order_by(CaseAlarm.due_at)
            .limit(BATCH)
        )
    )
    if not cases:
        return []
    claimed = session.execute(
        update(CaseAlarm)
        .where(CaseAlarm.case_id.in_(sorted(cases)), pending, CaseAlarm.due_at <= now)
        .values(status="fired", fired_at=now)
        .returning(CaseAlarm.id, CaseAlarm.case_id, CaseAlarm.round, CaseAlarm.kind)
    ).all()
    outcome = interpret(cw, session, now, [Claimed(*row) for row in claimed])
    _mark_alarms(session, outcome.dropped, "dropped")
    _mark_alarms(session, outcome.superseded, "superseded")
    return outcome.events


def _mark_alarms(session: Session, ids: list[int], status: str) -> None:
    if ids:
        session.execute(update(CaseAlarm).where(CaseAlarm.id.in_(ids)).values(status=status))


# --- feedback ---------------------------------------------------------------------------


def next_survey_step(session: Session) -> datetime | None:
    def first(key: str, column) -> datetime | None:
        return session.scalar(
            select(column)
            .where(_where("surveys", key), column.is_not(None))
            .order_by(column)
            .limit(1)
        )

    times = [
        first("survey_scheduled", Survey.ask_at),
        first("survey_open", Survey.remind_at),
        first("survey_open", Survey.expires_at),
    ]
    return min((t for t in times if t is not None), default=None)


def next_survey_firing(cw: Casework, session: Session, now: datetime) -> datetime | None:
    """When a sweep will next have survey work: not before reminder hours."""
    due = next_survey_step(session)
    return None if due is None else cw.sla.waking(cw.calendar, max(due, now))


def run_surveys(cw: Casework, session: Session, now: datetime) -> list[Event]:
    """Ask the 4-week rechecks, remind once after 24 h, close what expired; residents hear
    nothing between 21:00 and 08:00, even after a worker's outage."""
    if cw.sla.waking(cw.calendar, now) != now:
        return []
    events: list[Event] = []
    scheduled, open_ = _where("surveys", "survey_scheduled"), _where("surveys", "survey_open")
    due = _due_ids(session, Survey, "surveys", "survey_scheduled", "ask_at", now)
    asked = (
        session.execute(
            update(Survey)
            .where(Survey.id.in_(due), scheduled, Survey.ask_at <= now)
            .values(status="open")
            .returning(Survey.id)
        )
        .scalars()
        .all()
    )
    for survey in _surveys(session, asked):
        if survey.case.round != survey.round or survey.case.status not in ("rated", "closed"):
            survey.status = "dropped"  # reopened since, or never rated: nothing to recheck
            continue
        cw.record(survey.case, now, "recheck_asked", "system", "")
        events.append(SurveyAsked(survey.case, "recheck", False))

    due = _due_ids(session, Survey, "surveys", "survey_open", "remind_at", now)
    reminded = (
        session.execute(
            update(Survey)
            .where(Survey.id.in_(due), open_, Survey.remind_at <= now, Survey.expires_at > now)
            .values(remind_at=None)
            .returning(Survey.id)
        )
        .scalars()
        .all()
    )
    for survey in _surveys(session, reminded):
        events.append(SurveyAsked(survey.case, survey.kind, True))

    due = _due_ids(session, Survey, "surveys", "survey_open", "expires_at", now)
    expired = (
        session.execute(
            update(Survey)
            .where(Survey.id.in_(due), open_, Survey.expires_at <= now)
            .values(status="expired", remind_at=None)
            .returning(Survey.id)
        )
        .scalars()
        .all()
    )
    for survey in _surveys(session, expired):
        case = survey.case
        if survey.round == case.round and case.status in ("resolved", "rated"):
            events += close(cw, case, unrated=survey.kind == "rating" and case.rating is None)
    return events


def _surveys(session: Session, ids: list[int]) -> list[Survey]:
    if not ids:
        return []
    return list(session.scalars(select(Survey).where(Survey.id.in_(ids)).order_by(Survey.id)))


# --- the monthly jobs -------------------------------------------------------------------


def claim_period(session: Session, job: str, period: str, now: datetime) -> bool:
    """True for the one worker that runs ``job`` for ``period``; False for any other."""
    try:
        with session.begin_nested():
            session.add(JobRun(job=job, period=period, ran_at=now))
    except IntegrityError:
        return False
    return True


def lookback(cw: Casework, session: Session, now: datetime, period: str) -> list[Event]:
    """回头看: cases still open after the lookback period, listed for the office monthly."""
    if not claim_period(session, "lookback", period, now):
        return []
    since = now - timedelta(days=cw.sla.lookback_days)
    cases = session.scalars(
        select(Case)
        .where(Case.status.in_(OPEN_STATUSES), Case.created_at <= since)
        .order_by(Case.created_at)
    ).all()
    return [LookbackListed(tuple(cases), cw.sla.lookback_days)]


def duty_reminders(session: Session, now: datetime, period: str, zone) -> list[Event]:
    """The monthly duty reminder: to each deputy with a bound chat who did not do all of last
    month's duties (naming what), and the list of them all to the office."""
    if not claim_period(session, "duty", period, now):
        return []
    bound = set(
        session.scalars(select(ChatIdentity.deputy_code).where(ChatIdentity.role == "deputy"))
    )
    last = previous_month(period)
    rows = []
    for deputy in session.scalars(select(Deputy).order_by(Deputy.code)):
        missing = tuple(gap.label for gap in gaps(session, deputy, last, zone))
        if missing:
            rows.append((deputy, missing))
    events: list[Event] = [
        DutyReminded(d, period, missing, last) for d, missing in rows if d.code in bound
    ]
    events.append(DutiesListed(last, tuple(rows)))
    return events
