"""Periodic sweeps: plain functions of (session, now), run by the scheduler or the simulator.

Each sweep claims its rows with one conditional UPDATE, so two schedulers running by
mistake never act on the same row twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select, update
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
from storage.models import Case, CaseAlarm, ChatIdentity, Deputy, DialogState, JobRun, Survey

__all__ = [
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


def next_dialog_expiry(session: Session) -> datetime | None:
    return session.scalar(
        select(func.min(DialogState.expires_at)).where(
            DialogState.expires_at.is_not(None), DialogState.state != "expired"
        )
    )


def expire_dialogs(cw: Casework, session: Session, now: datetime) -> list[Event]:
    """End dialogs idle past their timeout. An unsubmitted description is kept (state
    ``expired``) so the resident can resume it: a resident's message is never lost. A
    dissatisfied resident who never said why still gets the case reopened."""
    rows = session.execute(
        update(DialogState)
        .where(
            DialogState.expires_at.is_not(None),
            DialogState.expires_at <= now,
            DialogState.state != "expired",
        )
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


def next_alarm(session: Session) -> datetime | None:
    return session.scalar(select(func.min(CaseAlarm.due_at)).where(CaseAlarm.status == "pending"))


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
    claimed = session.execute(
        update(CaseAlarm)
        .where(CaseAlarm.status == "pending", CaseAlarm.due_at <= now)
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
    times = [
        session.scalar(select(func.min(Survey.ask_at)).where(Survey.status == "scheduled")),
        session.scalar(select(func.min(Survey.remind_at)).where(Survey.status == "open")),
        session.scalar(select(func.min(Survey.expires_at)).where(Survey.status == "open")),
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
    asked = (
        session.execute(
            update(Survey)
            .where(Survey.status == "scheduled", Survey.ask_at <= now)
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

    reminded = (
        session.execute(
            update(Survey)
            .where(Survey.status == "open", Survey.remind_at <= now, Survey.expires_at > now)
            .values(remind_at=None)
            .returning(Survey.id)
        )
        .scalars()
        .all()
    )
    for survey in _surveys(session, reminded):
        events.append(SurveyAsked(survey.case, survey.kind, True))

    expired = (
        session.execute(
            update(Survey)
            .where(Survey.status == "open", Survey.expires_at <= now)
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
