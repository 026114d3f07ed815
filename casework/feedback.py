"""Two-step feedback (DESIGN.md §6): the rating at 办结, the recheck four weeks later, and
reopening a case the resident is not satisfied with (escalated to the station head)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from casework import events as ev
from casework.cases import Casework
from casework.errors import NotPermitted, Refused
from casework.lifecycle import Action, next_status
from storage.models import Case, ChatIdentity, Deputy, Station, Survey

__all__ = [
    "RATING_LABELS",
    "RECHECK_LABELS",
    "answer_recheck",
    "open_survey",
    "rate",
    "reopen",
    "station_heads",
]

# The national five-level scale; the number is what a resident types (5 = 非常满意).
RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RECHECK_LABELS = {"fixed": "已解决", "partly": "部分解决", "not": "未解决"}
DISSATISFIED = (1, 2)


def open_survey(session: Session, case: Case, kind: str) -> Survey | None:
    return session.scalars(
        select(Survey).where(
            Survey.case_id == case.id,
            Survey.round == case.round,
            Survey.kind == kind,
            Survey.status == "open",
        )
    ).first()


def _own(case: Case, identity: ChatIdentity) -> None:
    if case.resident_id != identity.resident_id:
        raise NotPermitted(f"没有找到工单 {case.ticket}，请核对工单号。")


def station_heads(session: Session, case: Case) -> tuple[Deputy, ...]:
    """Heads of the case's station other than its own deputy (who cannot supervise
    themselves); empty means the office supervises."""
    station = session.get(Station, case.station_code) if case.station_code else None
    heads = station.heads if station is not None else []
    return tuple(h for h in heads if h.code != case.deputy_code)


def rate(
    cw: Casework, session: Session, case: Case, identity: ChatIdentity, score: int
) -> list[ev.Event]:
    _own(case, identity)
    if score not in RATING_LABELS:
        raise Refused("请回复 1–5 之间的数字（5 = 非常满意，1 = 非常不满意）。")
    survey = open_survey(session, case, "rating")
    if survey is None:
        raise Refused(f"工单 {case.ticket} 目前没有待评价的办理结果。")
    now = cw.clock.now()
    case.status = next_status(case.status, Action.RATE)
    case.rating, case.rated_at = score, now
    survey.status, survey.answer, survey.answered_at = "answered", str(score), now
    cw.record(case, now, "rated", f"resident:{case.resident_id}", RATING_LABELS[score])
    return [ev.CaseRated(case, score)]


def answer_recheck(
    cw: Casework, session: Session, case: Case, identity: ChatIdentity, answer: str
) -> list[ev.Event]:
    _own(case, identity)
    if answer not in RECHECK_LABELS:
        raise Refused("请选择：已解决、部分解决或未解决。")
    survey = open_survey(session, case, "recheck")
    if survey is None:
        raise Refused(f"工单 {case.ticket} 目前没有待回访的问题。")
    now = cw.clock.now()
    survey.status, survey.answer, survey.answered_at = "answered", answer, now
    cw.record(case, now, "rechecked", f"resident:{case.resident_id}", RECHECK_LABELS[answer])
    events: list[ev.Event] = [ev.RecheckAnswered(case, answer)]
    if answer != "not" and case.status != "closed":
        events += close(cw, case, unrated=False)
    return events


def close(cw: Casework, case: Case, *, unrated: bool) -> list[ev.Event]:
    now = cw.clock.now()
    case.status = next_status(case.status, Action.CLOSE)
    case.closed_at = now
    cw.record(case, now, "closed", "system", "未评价" if unrated else "")
    return [ev.CaseClosed(case, unrated)]


def reopen(
    cw: Casework, session: Session, case: Case, identity: ChatIdentity, reason: str, source: str
) -> list[ev.Event]:
    """Dissatisfied or not fixed: back to the deputy with new limits, the head told."""
    _own(case, identity)
    now = cw.clock.now()
    case.status = next_status(case.status, Action.REOPEN)
    case.round += 1
    case.accepted_at = case.answered_at = case.resolved_at = case.closed_at = None
    due = cw.sla.due_times(cw.calendar, now, urgent=case.urgent, request_type=case.request_type)
    case.accept_due_at, case.answer_due_at = due.accept_by, due.answer_by
    cw.schedule_alarms(session, case, now, due)
    why = "居民评价不满意" if source == "rating" else "回访时居民表示问题未解决"
    cw.record(case, now, "reopened", f"resident:{case.resident_id}", f"{why}：{reason}")
    heads = station_heads(session, case)
    cw.record(
        case, now, "escalated_head" if heads else "escalated_office", "system",
        f"重新办理，报{'、'.join(h.name for h in heads) or '代表工委'}督办",
    )  # fmt: skip
    return [ev.CaseReopened(case, reason, source, heads)]
