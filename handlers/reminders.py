"""Messages of the time limits: reminders, escalations (督办, 通报), reopened cases and the
yearly calendar notice.

Each reminder is worded for the limit it is about (签收 or 答复) and for the case's state
(not yet accepted, transferred to a department, …), offers only the buttons the lifecycle
allows, and says a limit already over as overdue with the time it was due. Each notice is
named by its step: 督办 one working day late (the station head, or the office when the
deputy heads the station), 通报 five working days late.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from casework import events as ev
from casework.feedback import REOPEN_WHY
from casework.limits import department_contact
from casework.outbox import Message
from casework.overdue import deadline
from handlers.format import case_card, deputy_choices, local_time, resident_of, short
from storage.models import Case

__all__ = ["limits_messages"]

_LABELS = {"accept": "签收", "answer": "答复"}


def limits_messages(
    event: ev.Event, zone: ZoneInfo, office_name: str, now: datetime | None = None
) -> list[Message]:
    match event:
        case ev.ReminderDue():
            return _reminder(event, zone)
        case ev.CaseEscalated():
            return _escalation(event, zone, office_name, now)
        case ev.CaseReopened():
            return _reopened(event, zone, office_name, now)
        case ev.CaseSupervised():
            return _supervised(event, zone, office_name, now)
        case ev.CalendarUnknown(year=year):
            return [Message("office", _calendar_notice(year))]
    raise TypeError(f"no rendering for {event!r}")


def _where_it_stands(event: ev.ReminderDue, zone: ZoneInfo) -> str:
    label = _LABELS[event.limit]
    due = local_time(deadline(event.case, event.limit), zone)
    if event.step == "75":
        return f"{label}时限为{due}，即将到期"
    if event.overdue:
        return f"已超过{label}时限（{due}到期）"
    return f"{label}时限已到（{due}）"


def _reminder(event: ev.ReminderDue, zone: ZoneInfo) -> list[Message]:
    case = event.case
    head = f"【提醒】工单 {case.ticket}（{short(case.text, 20)}）"
    when = _where_it_stands(event, zone)
    department = case.department.name if case.department else ""
    if case.deputy_code is None:
        return [
            Message(
                "office",
                f"{head}尚未交办代表，{when}。请回复“交办 {case.ticket} 代表编号”。",
                case_id=case.id,
            )
        ]
    if event.limit == "accept":
        text = f"{head}{when}，请尽快签收。"
    elif case.status in ("assigned", "reopened"):
        text = f"{head}尚未签收，{when}。请先签收，再尽快答复居民。"
    elif case.status == "transferred":
        text = f"{head}已转办{department}，{when}。请督促{department}办理，并将结果答复居民。"
    else:
        text = f"{head}{when}，请尽快答复居民。"
    recipient = f"deputy:{case.deputy_code}"
    out = [Message(recipient, text, deputy_choices(case.ticket, case.status), case.id)]
    contact = department_contact(case.department)
    if case.status == "transferred" and contact != recipient:
        deputy = case.deputy.name if case.deputy else ""
        out.append(
            Message(
                contact,
                f"{head}已由{deputy}代表转{department}办理，{when}。请督促{department}尽快答复。",
                case_id=case.id,
            )
        )
    return out


def _deputy_heads_station(case: Case) -> bool:
    station = case.station
    return station is not None and any(h.code == case.deputy_code for h in station.heads)


def _escalation(
    event: ev.CaseEscalated, zone: ZoneInfo, office_name: str, now: datetime | None
) -> list[Message]:
    case, heads, days = event.case, event.heads, event.days
    label = _LABELS[event.limit]
    deputy = case.deputy.name if case.deputy else "（未交办）"
    department = case.department.name if case.department else ""
    transferred = case.status == "transferred"
    late = f"已超过{label}时限{days}个工作日，承办代表：{deputy}"
    if transferred:
        late += f"，转办部门：{department}"
    card = case_card(case, zone, for_deputy=True, now=now)
    if event.level == "head" and heads:
        names = "、".join(h.name for h in heads) + "站长"
        station = case.station.name if case.station else "联络站"
        targets = [f"deputy:{h.code}" for h in heads]
        header = f"【督办】工单 {case.ticket} {late}。请督促办理。"
        to_deputy = f"已报{names}督办"
        to_resident = f"已提请{station}站长督办"
    elif event.level == "head":
        why = "（承办代表即站长）" if _deputy_heads_station(case) else ""
        targets = ["office"]
        header = f"【督办】工单 {case.ticket} {late}{why}。请{office_name}督办。"
        to_deputy = f"已报{office_name}督办"
        to_resident = f"已报{office_name}督办"
    else:
        targets = ["office"]
        header = f"【通报】工单 {case.ticket} {late}。"
        to_deputy = f"{office_name}已通报"
        to_resident = f"已报{office_name}督办"
    out = [Message(t, f"{header}\n{card}", case_id=case.id) for t in targets]
    contact = department_contact(case.department)
    deputy_recipient = f"deputy:{case.deputy_code}" if case.deputy_code else None
    if transferred and contact not in (*targets, deputy_recipient):
        out.append(
            Message(contact, f"{header}\n请督促{department}尽快答复。\n{card}", case_id=case.id)
        )
    if event.tell_deputy and deputy_recipient:
        please = f"请督促{department}尽快办理" if transferred else "请尽快办理"
        out.append(
            Message(
                deputy_recipient,
                f"工单 {case.ticket} 已超过{label}时限{days}个工作日，{to_deputy}，{please}。",
                deputy_choices(case.ticket, case.status),
                case.id,
            )
        )
    if event.tell_resident:
        verb = "签收" if event.limit == "accept" else "答复"
        out.append(
            Message(
                resident_of(case),
                f"工单 {case.ticket}：您反映的问题未能在时限内{verb}，{to_resident}，"
                "我们会继续跟进并及时告知您进展。",
                case_id=case.id,
            )
        )
    return out


def _supervised(
    event: ev.CaseSupervised, zone: ZoneInfo, office_name: str, now: datetime | None
) -> list[Message]:
    """The office's 督办 by hand: worded for where the case stands (签收, 答复, or a
    department's answer), with only the buttons the lifecycle allows."""
    case = event.case
    if case.status in ("assigned", "reopened"):
        limit, todo = "accept", "请尽快签收并联系群众"
    elif case.status == "transferred":
        department = case.department.name if case.department else "承办部门"
        limit, todo = "answer", f"请督促{department}尽快答复"
    else:
        limit, todo = "answer", "请尽快办理并答复群众"
    due_at = deadline(case, limit)
    when, label = "", _LABELS[limit]
    if due_at is not None and now is not None and due_at < now:
        when = f"，已超过{label}时限（{local_time(due_at, zone)}到期）"
    elif due_at is not None:
        when = f"，{label}时限为{local_time(due_at, zone)}"
    note = f"\n督办意见：{event.note}" if event.note else ""
    out = []
    if case.deputy_code:
        out.append(
            Message(
                f"deputy:{case.deputy_code}",
                f"【督办】{event.by}督办工单 {case.ticket}（{short(case.text, 20)}）{when}。"
                f"{todo}。{note}",
                deputy_choices(case.ticket, case.status),
                case.id,
            )
        )
    if event.tell_resident:
        out.append(
            Message(
                resident_of(case),
                f"工单 {case.ticket}：{office_name}已督办您反映的问题，"
                "我们会继续跟进并及时告知您进展。",
                case_id=case.id,
            )
        )
    return out


def _reopened(
    event: ev.CaseReopened, zone: ZoneInfo, office_name: str, now: datetime | None
) -> list[Message]:
    case, reason, heads = event.case, event.reason, event.heads
    why = REOPEN_WHY.get(event.source, REOPEN_WHY["resident"])
    supervisors = "、".join(h.name for h in heads) + "站长" if heads else office_name
    handler = f"{case.deputy.name}代表" if case.deputy else office_name
    out = [
        Message(
            resident_of(case),
            f"已收到。工单 {case.ticket} 已重新交办{handler}办理，并报{supervisors}督办，"
            f"将于{local_time(case.answer_due_at, zone)}前答复您。",
            case_id=case.id,
        )
    ]
    if case.deputy_code:
        out.append(
            Message(
                f"deputy:{case.deputy_code}",
                f"【重新办理】工单 {case.ticket}：{why}。\n原因：{reason}\n"
                f"请于{local_time(case.accept_due_at, zone)}前重新签收。",
                deputy_choices(case.ticket, case.status),
                case.id,
                kind="assignment",
            )
        )
    card = case_card(case, zone, for_deputy=True, now=now)
    targets = [f"deputy:{h.code}" for h in heads] or ["office"]
    out += [
        Message(
            t,
            f"【督办】工单 {case.ticket} 重新办理（{why}：{reason}）。\n{card}",
            case_id=case.id,
        )
        for t in targets
    ]
    return out


def _calendar_notice(year: int) -> str:
    return (
        f"【日历提醒】尚未取得{year}年的法定节假日和调休安排（chinese-calendar 软件包未收录，"
        f"县文件的 calendar: 中也没有列出）。在此之前，{year}年的工作日按周一至周五计算，"
        "元旦、清明、劳动节、国庆节照常放假；春节、端午、中秋和调休安排要等公布后才能计入，"
        "这些日子可能被当作工作日发送提醒、计算时限。\n"
        f"国务院办公厅公布安排后，请在县文件 calendar: 中列出{year}年的放假日期（holidays）"
        "和调休上班日期（workdays），再执行 county import；或升级 chinesecalendar 软件包。"
    )
