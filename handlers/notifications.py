"""Who is told what when a case moves: domain events → messages.

The resident hears about every step of their case; the deputy sees the case, never the
resident's account (DESIGN.md §9): everything is relayed through the bot. Reminders and
escalations are in ``handlers.reminders``, the rating and recheck in ``handlers.surveys``.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from casework import events as ev
from casework.limits import department_contact
from casework.outbox import Message
from handlers import actions
from handlers.followers import for_case_audience
from handlers.format import (
    case_card,
    case_line,
    deputy_choices,
    local_time,
    passed,
    resident_of,
    short,
)
from handlers.reminders import limits_messages
from handlers.surveys import survey_messages
from storage.models import Case

__all__ = ["render"]


def _month(period: str) -> str:
    year, month = period.split("-")
    return f"{year}年{int(month)}月"


def _station_of(case: Case) -> str:
    return case.station.name if case.station is not None else ""


def _answer_promise(case: Case, zone: ZoneInfo, now: datetime | None) -> str:
    """What the resident is promised; a limit already over is said as overdue."""
    due = local_time(case.answer_due_at, zone)
    if passed(case.answer_due_at, now):
        return f"答复时限为{due}，现已逾期，将督促代表尽快答复您。"
    return f"将于{due}前答复您。"


def _answer_by(case: Case, zone: ZoneInfo, now: datetime | None) -> str:
    """What the deputy is asked; a limit already over is said as overdue."""
    due = local_time(case.answer_due_at, zone)
    if passed(case.answer_due_at, now):
        return f"答复时限已于{due}到期（已逾期），请尽快答复居民。"
    return f"请于{due}前答复居民。"


def _assignment(case: Case, zone: ZoneInfo, now: datetime | None) -> Message:
    """The new deputy's card: the full text (the deputy needs all of it), urgent first."""
    assert case.deputy_code is not None
    urgent = "【紧急】" if case.urgent else ""
    return Message(
        f"deputy:{case.deputy_code}",
        f"{urgent}【新交办工单】\n"
        + case_card(case, zone, for_deputy=True, now=now, full=True)
        + f"\n请在签收时限前回复“受理 {case.ticket}”或点击下方按钮。",
        deputy_choices(case.ticket, case.status),
        case.id,
        kind="assignment",
    )


def render(
    event: ev.Event, zone: ZoneInfo, office_name: str, *, now: datetime | None = None
) -> list[Message]:
    """The messages ``event`` means; ``now`` lets due times already over read as overdue.
    Followers of a case (我也遇到) hear what the reporter hears."""
    return for_case_audience(event, _render(event, zone, office_name, now=now))


def _render(
    event: ev.Event, zone: ZoneInfo, office_name: str, *, now: datetime | None = None
) -> list[Message]:
    match event:
        case ev.CaseSubmitted():
            return []  # told together with the assignment or the office routing
        case ev.CaseAssigned(case=case, deputy=deputy):
            if any(e.kind == "returned" for e in case.events):  # assigned again after 退回
                told = f"工单 {case.ticket}：改由{_station_of(case)}{deputy.name}代表办理。"
            else:
                told = (
                    f"您反映的问题已登记，工单号：{case.ticket}。\n"
                    f"已交办{_station_of(case)}{deputy.name}代表办理，"
                    f"{_answer_promise(case, zone, now)}\n"
                    f"发送“查询 {case.ticket}”可随时查看进度。"
                )
            return [
                Message(resident_of(case), told, case_id=case.id),
                _assignment(case, zone, now),
            ]
        case ev.CaseReassigned(case=case, deputy=deputy, previous=previous, by=by):
            if by == "head":
                lost = f"工单 {case.ticket} 已由{deputy.name}站长接手办理，您无需再办理。"
            else:
                lost = (
                    f"工单 {case.ticket} 已由{office_name}改派{deputy.name}代表办理，您无需再办理。"
                )
            out = [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket}：改由{_station_of(case)}{deputy.name}代表办理。",
                    case_id=case.id,
                ),
                Message(f"deputy:{previous.code}", lost, case_id=case.id),
            ]
            if by == "office":
                out.append(_assignment(case, zone, now))
            return out
        case ev.CaseReturned(case=case, deputy=deputy, reason=reason):
            return [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket}：正在为您重新安排承办代表，安排好后会第一时间告诉您。",
                    case_id=case.id,
                ),
                Message(
                    f"deputy:{deputy.code}",
                    f"已将工单 {case.ticket} 退回{office_name}，由其另行安排。",
                    case_id=case.id,
                ),
                Message(
                    "office",
                    f"【退回】{deputy.name}代表退回工单 {case.ticket}，理由：{reason}\n"
                    + case_card(case, zone, for_deputy=True, now=now, full=True)
                    + f"\n请回复“交办 {case.ticket} 代表编号”重新指定代表。",
                    case_id=case.id,
                ),
            ]
        case ev.RoutedToOffice(case=case, reason=reason):
            return [
                Message(
                    resident_of(case),
                    f"您反映的问题已登记，工单号：{case.ticket}。\n"
                    f"{office_name}正在为您安排代表办理，安排好后会第一时间告诉您。",
                    case_id=case.id,
                ),
                Message(
                    "office",
                    f"【待交办】{reason}\n"
                    + case_card(case, zone, for_deputy=True, now=now, full=True)
                    + f"\n请回复“交办 {case.ticket} 代表编号”指定代表。",
                    case_id=case.id,
                ),
            ]
        case ev.CaseAccepted(case=case, deputy=deputy, late=late):
            return [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket}：{deputy.name}代表已签收，正在办理。",
                    case_id=case.id,
                ),
                Message(
                    f"deputy:{deputy.code}",
                    f"已签收工单 {case.ticket}"
                    + ("（已超过签收时限，已记录）" if late else "")
                    + f"。{_answer_by(case, zone, now)}",
                    deputy_choices(case.ticket, case.status),
                    case.id,
                ),
            ]
        case ev.DeputyAnswered(case=case, deputy=deputy, text=text):
            return [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket}｜{deputy.name}代表答复：\n{text}\n"
                    "如需回复代表，请点击“回复代表”或发送“回复 工单号 内容”。",
                    [("回复代表", actions.encode("msg", case.ticket))],
                    case.id,
                ),
                Message(
                    f"deputy:{deputy.code}",
                    f"您的答复已转达居民（工单 {case.ticket}）。",
                    deputy_choices(case.ticket, case.status),
                    case.id,
                ),
            ]
        case ev.CaseTransferred(case=case, deputy=deputy, department=department):
            out = [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket}：{deputy.name}代表已将您的问题转交{department.name}办理，"
                    "代表将继续跟进并答复您。",
                    case_id=case.id,
                ),
                Message(
                    f"deputy:{deputy.code}",
                    f"工单 {case.ticket} 已转办至{department.name}。请跟进办理情况，"
                    f"办结后回复“办结 {case.ticket} 说明”。",
                    deputy_choices(case.ticket, case.status),
                    case.id,
                ),
            ]
            # Whoever relays to the department (its contact deputy, else the office) gets
            # the case, and later its reminders (handlers.reminders).
            contact = department_contact(department)
            if contact != f"deputy:{deputy.code}":
                out.append(
                    Message(
                        contact,
                        f"【转办】工单 {case.ticket} 已由{deputy.name}代表转{department.name}办理，"
                        f"请转告{department.name}并跟进，结果由{deputy.name}代表答复居民。\n"
                        + case_card(case, zone, for_deputy=True, now=now),
                        case_id=case.id,
                    )
                )
            return out
        case ev.CaseResolved(case=case, deputy=deputy, note=note):
            return [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket} 已办结。\n办理结果：{note}\n"
                    f"感谢您的反映！承办代表：{deputy.name}。",
                    case_id=case.id,
                    kind="result",
                ),
                Message(
                    f"deputy:{deputy.code}",
                    f"工单 {case.ticket} 已办结，办理结果已告知居民。",
                    case_id=case.id,
                ),
            ]
        case ev.ResidentWrote(case=case, text=text):
            out = [
                Message(
                    resident_of(case),
                    f"您的留言已转达给承办代表（工单 {case.ticket}）。",
                    case_id=case.id,
                )
            ]
            target = f"deputy:{case.deputy_code}" if case.deputy_code else "office"
            out.append(
                Message(
                    target,
                    f"工单 {case.ticket}｜居民留言：\n{text}",
                    [("回复居民", actions.encode("reply", case.ticket))]
                    if case.deputy_code
                    else (),
                    case.id,
                )
            )
            return out
        case ev.CaseCancelled(case=case):
            out = [
                Message(
                    resident_of(case),
                    f"工单 {case.ticket} 已撤销。",
                    case_id=case.id,
                )
            ]
            if case.deputy_code:
                out.append(
                    Message(
                        f"deputy:{case.deputy_code}",
                        f"工单 {case.ticket} 已由居民撤销，无需再办理。",
                        case_id=case.id,
                    )
                )
            return out
        case ev.DialogExpired(channel=channel, chat_id=chat_id, draft_text=draft):
            if draft:
                text = (
                    f"您刚才描述的问题（“{short(draft, 20)}”）超过30分钟未确认提交，"
                    "本次对话已结束。\n"
                    "内容已为您保留：点击“继续提交”接着办理，或直接发送新的问题。"
                )
                return [Message(f"chat:{channel}:{chat_id}", text, [("继续提交", "intake:resume")])]
            return [
                Message(
                    f"chat:{channel}:{chat_id}",
                    "由于30分钟未操作，本次对话已结束。如需反映问题，请直接发送文字描述。",
                )
            ]
        case ev.SurveyAsked() | ev.CaseRated() | ev.CaseClosed() | ev.RecheckAnswered():
            return survey_messages(event, zone)
        case (
            ev.CaseReopened()
            | ev.ReminderDue()
            | ev.CaseEscalated()
            | ev.CaseSupervised()
            | ev.CalendarUnknown()
        ):
            return limits_messages(event, zone, office_name, now)
        case ev.LookbackListed(cases=cases, days=days):
            if not cases:
                return [Message("office", f"【回头看】本月没有超过{days}天仍未办结的工单。")]
            lines = [
                case_line(c) + f"｜承办：{c.deputy.name if c.deputy else '未交办'}" for c in cases
            ]
            return [
                Message(
                    "office",
                    f"【回头看】超过{days}天仍未办结的工单（{len(cases)}件）：\n"
                    + "\n".join(lines),
                )
            ]
        case ev.DutyReminded(deputy=deputy, month=month, missing=missing, last_month=last):
            gap = f"{_month(last)}您尚未完成：{'、'.join(missing)}。" if missing else ""
            return [
                Message(
                    f"deputy:{deputy.code}",
                    f"【履职提醒】{deputy.name}代表，{gap}{_month(month)}已开始。按“八个一”要求，"
                    "请本月至少到联络站接待选民一次、报送社情民意一条（发送“社情民意 内容”）。"
                    "发送“我的积分”查看履职积分。",
                )
            ]
        case ev.DutiesListed(month=month, rows=rows):
            if not rows:
                return [Message("office", f"【履职情况】{_month(month)}全体代表均已完成履职任务。")]
            lines = [f"{d.name}（{d.code}）：{'、'.join(missing)}" for d, missing in rows]
            return [
                Message(
                    "office",
                    f"【履职情况】{_month(month)}未完成履职任务的代表（{len(rows)}位）：\n"
                    + "\n".join(lines),
                )
            ]
    raise TypeError(f"no rendering for {event!r}")
