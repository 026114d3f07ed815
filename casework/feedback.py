"""Two-step feedback (DESIGN.md §6): the rating at 办结, the recheck four weeks later, and
reopening a case the resident is not satisfied with (escalated to the station head)."""

from __future__ import annotations

from datetime import datetime, timedelta

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
    "REOPEN_DAYS",
    "REOPEN_WHY",
    "answer_recheck",
    "can_reopen",
    "open_survey",
    "rate",
    "reopen",
    "reopen_on_request",
    "station_heads",
    "what_you_can_do",
]

# The national five-level scale; the number is what a resident types (5 = 非常满意).
RATING_LABELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
RECHECK_LABELS = {"fixed": "已解决", "partly": "部分解决", "not": "未解决"}
DISSATISFIED = (1, 2)
# A resident may reopen a case (重新反映) while it is resolved or rated, and for this many
# days after it closed; later it is a new report.
REOPEN_DAYS = 30
REOPEN_WHY = {
    "rating": "居民评价不满意",
    "recheck": "四周回访时居民表示问题未解决",
    "resident": "居民申请重新办理",
}


def can_reopen(case: Case, now: datetime) -> bool:
    if case.status in ("resolved", "rated"):
        return True
    return (
        case.status == "closed"
        and case.closed_at is not None
        and now - case.closed_at <= timedelta(days=REOPEN_DAYS)
    )


def what_you_can_do(case: Case, now: datetime) -> str:
    """What a resident can still do about a case when the bot cannot take an answer."""
    if case.status in ("resolved", "rated", "closed"):
        if can_reopen(case, now):
            until = "" if case.closed_at is None else f"（结案后{REOPEN_DAYS}天内）"
            return (
                f"如问题没有解决，可发送“重新反映 {case.ticket} 原因”{until}要求重新办理；"
                "如是新的问题，直接发送文字描述即可。"
            )
        return (
            f"该工单结案已超过{REOPEN_DAYS}天，不能再重新办理；"
            "如问题仍未解决，请直接发送文字描述，我们将作为新问题登记。"
        )
    if case.status == "cancelled":
        return "该工单已撤销；如需反映问题，请直接发送文字描述。"
    return (
        f"该工单正在办理中，办结后会请您评价。"
        f"发送“查询 {case.ticket}”查看进度，发送“回复 {case.ticket} 内容”给承办代表留言。"
    )


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
        raise Refused(
            f"工单 {case.ticket} 目前没有待评价的办理结果。" + what_you_can_do(case, cw.clock.now())
        )
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
        # The 4-week question expired (or was never asked): say what can still be done.
        raise Refused(
            f"工单 {case.ticket} 的回访已结束，这次的回答未能记录。"
            + what_you_can_do(case, cw.clock.now())
        )
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
    # Each round is rated on its own: round one's score must not close or count round two.
    case.rating = case.rated_at = None
    due = cw.sla.due_times(cw.calendar, now, urgent=case.urgent, request_type=case.request_type)
    case.accept_due_at, case.answer_due_at = due.accept_by, due.answer_by
    cw.schedule_alarms(session, case, now, due)
    why = REOPEN_WHY.get(source, REOPEN_WHY["resident"])
    cw.record(case, now, "reopened", f"resident:{case.resident_id}", f"{why}：{reason}")
    heads = station_heads(session, case)
    cw.record(
        case, now, "escalated_head" if heads else "escalated_office", "system",
        f"重新办理，报{'、'.join(h.name for h in heads) or '代表工委'}督办",
    )  # fmt: skip
    return [ev.CaseReopened(case, reason, source, heads)]


def reopen_on_request(
    cw: Casework, session: Session, case: Case, identity: ChatIdentity, reason: str
) -> list[ev.Event]:
    """重新反映 TICKET 原因: the resident reopens a resolved case (within REOPEN_DAYS)."""
    _own(case, identity)
    now = cw.clock.now()
    if not can_reopen(case, now):
        raise Refused(f"工单 {case.ticket} 不能重新办理。" + what_you_can_do(case, now))
    for survey in session.scalars(
        select(Survey).where(Survey.case_id == case.id, Survey.status.in_(("open", "scheduled")))
    ):
        survey.status = "dropped"  # this round's questions are moot now
    return reopen(cw, session, case, identity, reason, "resident")
