"""Messages of the two-step feedback: the rating question, the 4-week recheck, thanks."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import object_session

from casework import events as ev
from casework.feedback import RATING_LABELS, RECHECK_LABELS
from casework.outbox import Message
from handlers import actions
from handlers.format import local_time, resident_of, short
from storage.models import Case, Survey

__all__ = ["rating_choices", "survey_messages"]


def rating_choices(ticket: str) -> list[tuple[str, str]]:
    """1 = 非常不满意 … 5 = 非常满意, so a typed number is the score itself."""
    return [(RATING_LABELS[n], actions.encode("rate", ticket, str(n))) for n in range(1, 6)]


def _rating_deadline(case: Case) -> datetime | None:
    """When this round's rating closes (the survey row holds it)."""
    session = object_session(case)
    if session is None:
        return None
    return session.scalar(
        select(Survey.expires_at).where(
            Survey.case_id == case.id, Survey.round == case.round, Survey.kind == "rating"
        )
    )


def survey_messages(event: ev.Event, zone: ZoneInfo) -> list[Message]:
    match event:
        case ev.SurveyAsked(case=case, kind="rating", reminder=reminder):
            head = "【提醒】您还没有评价" if reminder else "请您评价"
            deadline = _rating_deadline(case)
            tail = (
                f"。{local_time(deadline, zone)}前未评价的，将按“未评价”结案"
                if deadline is not None
                else ""
            )
            return [
                Message(
                    resident_of(case),
                    f"{head}工单 {case.ticket} 的办理结果{tail}（回复数字即可，5 = 非常满意）：",
                    rating_choices(case.ticket),
                    case.id,
                    kind="survey",
                )
            ]
        case ev.SurveyAsked(case=case, kind="recheck", reminder=reminder):
            head = "【提醒】" if reminder else ""
            return [
                Message(
                    resident_of(case),
                    f"{head}您反映的问题（工单 {case.ticket}：{short(case.text, 20)}）"
                    "办结已满四周，请问现在解决了吗？",
                    [
                        (label, actions.encode("check", case.ticket, key))
                        for key, label in RECHECK_LABELS.items()
                    ],
                    case.id,
                )
            ]
        case ev.CaseRated(case=case, score=score):
            out = []
            if score >= 3:
                out.append(
                    Message(
                        resident_of(case),
                        f"感谢您的评价（{RATING_LABELS[score]}）！四周后我们会再回访一次。",
                        case_id=case.id,
                    )
                )
            if case.deputy_code:
                out.append(
                    Message(
                        f"deputy:{case.deputy_code}",
                        f"工单 {case.ticket} 居民评价：{RATING_LABELS[score]}。",
                        case_id=case.id,
                    )
                )
            return out
        case ev.CaseClosed(case=case, unrated=unrated):
            text = (
                f"工单 {case.ticket} 已结案（未评价）。如问题仍未解决，欢迎随时再次反映。"
                if unrated
                else f"工单 {case.ticket} 已结案，感谢您的反馈。"
            )
            out = [Message(resident_of(case), text, case_id=case.id)]
            if case.deputy_code:
                suffix = "（居民未评价）" if unrated else ""
                out.append(
                    Message(
                        f"deputy:{case.deputy_code}",
                        f"工单 {case.ticket} 已结案{suffix}。",
                        case_id=case.id,
                    )
                )
            return out
        case ev.RecheckAnswered(case=case, answer=answer):
            if answer == "not":
                return []  # the conversation asks why, then reopens
            out = []
            if case.deputy_code:
                out.append(
                    Message(
                        f"deputy:{case.deputy_code}",
                        f"工单 {case.ticket} 四周回访：{RECHECK_LABELS[answer]}。",
                        case_id=case.id,
                    )
                )
            return out
    raise TypeError(f"no rendering for {event!r}")
