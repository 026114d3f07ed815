"""Messages of the time limits: reminders, escalations (督办, 通报) and reopened cases."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from casework import events as ev
from casework.outbox import Message
from handlers.format import case_card, deputy_choices, local_time, resident_of, short

__all__ = ["limits_messages"]


def limits_messages(event: ev.Event, zone: ZoneInfo, office_name: str) -> list[Message]:
    match event:
        case ev.ReminderDue(case=case, limit=limit, step=step):
            label = "签收" if limit == "accept" else "答复"
            due = case.accept_due_at if limit == "accept" else case.answer_due_at
            when = (
                f"将于{local_time(due, zone)}到{label}时限" if step == "75" else f"已到{label}时限"
            )
            return [
                Message(
                    f"deputy:{case.deputy_code}" if case.deputy_code else "office",
                    f"【提醒】工单 {case.ticket}（{short(case.text, 20)}）{when}，请尽快{label}。",
                    deputy_choices(case.ticket, case.status) if case.deputy_code else (),
                    case.id,
                )
            ]
        case ev.CaseEscalated(case=case, limit=limit, level=level, heads=heads):
            label = "签收" if limit == "accept" else "答复"
            deputy = case.deputy.name if case.deputy else "（未交办）"
            if level == "head" and heads:
                header = (
                    f"【督办】工单 {case.ticket} 已超过{label}时限1个工作日，承办代表：{deputy}。"
                )
                out = [
                    Message(
                        f"deputy:{h.code}",
                        header + "\n" + case_card(case, zone, for_deputy=True),
                        case_id=case.id,
                    )
                    for h in heads
                ]
                told = "站长"
            else:
                days = 1 if level == "head" else 5
                header = (
                    f"【通报】工单 {case.ticket} 已超过{label}时限{days}个工作日，"
                    f"承办代表：{deputy}。"
                )
                out = [
                    Message(
                        "office",
                        header + "\n" + case_card(case, zone, for_deputy=True),
                        case_id=case.id,
                    )
                ]
                told = office_name
            if case.deputy_code:
                out.append(
                    Message(
                        f"deputy:{case.deputy_code}",
                        f"工单 {case.ticket} 已超过{label}时限，已报{told}督办，请尽快办理。",
                        deputy_choices(case.ticket, case.status),
                        case.id,
                    )
                )
            return out
        case ev.CaseReopened(case=case, reason=reason, source=source, heads=heads):
            why = "居民评价不满意" if source == "rating" else "四周回访时居民表示问题未解决"
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
            card = case_card(case, zone, for_deputy=True)
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
    raise TypeError(f"no rendering for {event!r}")
