"""The deputy's side: act on assigned cases with buttons or typed commands.

States (per deputy chat): ``idle``; ``writing_reply`` / ``writing_resolution`` after pressing
回复居民 / 办结 (the next text is the content); ``choosing_department`` after 转办.

A head acting on a member's case takes it over (``Casework`` records it and tells everyone);
查询 only looks.
"""

from __future__ import annotations

from sqlalchemy import select

from casework.errors import NotPermitted, Refused
from casework.overdue import overdue_of_stations
from handlers import actions
from handlers.commands import Command
from handlers.departments import find_department
from handlers.duty import handle_duty, my_points, wants_duty
from handlers.format import case_card, case_line, deputy_choices
from handlers.intake import handle_intake
from handlers.offline import is_offline_draft, start_offline
from handlers.receptions import schedule_from_chat, wants_reception
from handlers.turn import Turn
from storage.models import Case, Department, Deputy

__all__ = ["DEPUTY_HELP", "handle_deputy"]

DEPUTY_HELP = (
    "代表常用指令：\n"
    "· 受理 工单号（/accept）\n"
    "· 回复 工单号 内容（/reply）—— 答复居民\n"
    "· 转办 工单号 部门（/transfer）—— 转交承办部门\n"
    "· 办结 工单号 说明（/resolve）\n"
    "· 退回 工单号 理由（/return）—— 不属于您办理的，退回代表工委另行安排\n"
    "· 我的工单（/mycases）\n"
    "· 查询 工单号（/status）\n"
    "· 社情民意 内容 —— 报送社情民意（不生成工单）\n"
    "· 我的积分 —— 本年度履职积分和排名\n"
    "· 代录 [群众电话] —— 登记群众当面反映的问题，生成认领码\n"
    "· 接待 2026-12-15 09:00-11:30 D001,D002 —— 站长安排进站接待；接待安排 —— 查看"
)


def _deputy(turn: Turn) -> Deputy:
    deputy = turn.identity.deputy
    if deputy is None:
        raise NotPermitted("您的账号尚未绑定人大代表身份。")
    return deputy


def _case(turn: Turn, ticket: str) -> Case:
    case = turn.services.casework.get(turn.session, ticket)
    turn.services.casework.authorize(case, _deputy(turn))
    return case


def accept(turn: Turn, ticket: str) -> None:
    if not ticket:
        return accept_the_one_waiting(turn)
    case = _case(turn, ticket)
    turn.emit(turn.services.casework.accept(turn.session, case, _deputy(turn)))


def accept_the_one_waiting(turn: Turn) -> None:
    """Bare 受理: the one case awaiting 签收; several are listed to choose from."""
    waiting = turn.services.casework.awaiting_acceptance(turn.session, _deputy(turn))
    if len(waiting) == 1:
        return accept(turn, waiting[0].ticket)
    if not waiting:
        turn.reply("您目前没有待签收的工单。发送“我的工单”查看全部待办。")
        return
    turn.reply(
        f"您有{len(waiting)}件待签收的工单，请选择要受理的一件：\n"
        + "\n".join(case_line(c) for c in waiting),
        [(f"受理 {c.ticket}", actions.encode("accept", c.ticket)) for c in waiting],
    )


def return_case(turn: Turn, ticket: str, reason: str) -> None:
    case = _case(turn, ticket)
    turn.emit(turn.services.casework.return_to_office(turn.session, case, _deputy(turn), reason))


def reply(turn: Turn, ticket: str, text: str) -> None:
    case = _case(turn, ticket)
    if not text:
        turn.go("writing_reply", ticket=case.ticket)
        turn.reply(f"请输入给居民的答复（工单 {case.ticket}），发送“取消”放弃。")
        return
    events = turn.services.casework.answer(turn.session, case, _deputy(turn), text)
    turn.go("idle")
    turn.emit(events)


def transfer(turn: Turn, ticket: str, words: str) -> None:
    case = _case(turn, ticket)
    department = find_department(turn.session, words)
    if department is None:
        departments = sorted(
            turn.session.scalars(select(Department).order_by(Department.code)),
            key=lambda d: case.category not in (d.categories or []),  # those handling it first
        )
        turn.go("choosing_department", ticket=case.ticket)
        head = f"没有找到“{words}”，" if words else ""
        turn.reply(
            f"{head}请选择承办部门（工单 {case.ticket}）：",
            [(d.name, actions.encode("dept", case.ticket, d.code)) for d in departments],
        )
        return
    events = turn.services.casework.transfer(turn.session, case, _deputy(turn), department)
    turn.go("idle")
    turn.emit(events)


def resolve(turn: Turn, ticket: str, note: str) -> None:
    case = _case(turn, ticket)
    if not note:
        turn.go("writing_resolution", ticket=case.ticket)
        turn.reply(f"请输入办理结果说明（工单 {case.ticket}），将告知居民；发送“取消”放弃。")
        return
    events = turn.services.casework.resolve(turn.session, case, _deputy(turn), note)
    turn.go("idle")
    turn.emit(events)


def my_cases(turn: Turn) -> None:
    deputy = _deputy(turn)
    cases = turn.services.casework.cases_of_deputy(turn.session, deputy)
    # Urgent ones first; otherwise oldest first.
    cases.sort(key=lambda c: (not c.urgent, c.id))
    parts = [
        f"您的待办工单（{len(cases)}件）：\n" + "\n".join(case_line(c) for c in cases)
        if cases
        else "您目前没有待办工单。"
    ]
    stations = [s.code for s in deputy.head_of]
    if stations:
        late = [
            c
            for c in overdue_of_stations(turn.session, stations, turn.now)
            if c.deputy_code != deputy.code
        ]
        if late:
            lines = [
                case_line(c) + f"｜承办：{c.deputy.name if c.deputy else '未交办'}" for c in late
            ]
            parts.append(f"本站逾期工单（{len(late)}件，请督办）：\n" + "\n".join(lines))
    turn.reply("\n\n".join(parts))


def show(turn: Turn, ticket: str) -> None:
    case = _case(turn, ticket)
    zone = turn.services.casework.calendar.zone
    card = case_card(case, zone, for_deputy=True, now=turn.now, full=True)
    turn.reply(card, deputy_choices(case.ticket, case.status))


def _on_action(turn: Turn, verb: str, args: list[str]) -> None:
    match verb:
        case "accept":
            accept(turn, args[0])
        case "reply":
            reply(turn, args[0], "")
        case "transfer":
            transfer(turn, args[0], "")
        case "resolve":
            resolve(turn, args[0], "")
        case "dept":
            department = turn.session.get(Department, args[1])
            if department is None:
                raise Refused("该部门不存在，请重新选择。")
            transfer(turn, args[0], department.code)
        case _:
            turn.reply("该按钮不适用于代表账号。")


def handle_deputy(turn: Turn, command: Command | None) -> None:
    writing = turn.state.state in ("writing_reply", "writing_resolution")
    if turn.action is None and not writing and wants_reception(turn.text):
        return schedule_from_chat(turn)
    if turn.action is None and not writing and wants_duty(turn.text):
        return handle_duty(turn)
    if command is None and is_offline_draft(turn):
        return handle_intake(turn)  # 代录: the resident's dialog, filed for them
    if command is None and turn.action is None and not writing and turn.text.startswith("代录 "):
        return start_offline(turn, turn.text.removeprefix("代录 "))
    if turn.action is not None:
        decoded = actions.decode(turn.action)
        if decoded is None:
            turn.reply("无法识别该按钮，请按最新的提示操作。")
            return
        return _on_action(turn, *decoded)
    if command is not None:
        match command.name:
            case "accept":
                return accept(turn, command.ticket or "")
            case "reply":
                return reply(turn, command.ticket or "", command.rest)
            case "transfer":
                return transfer(turn, command.ticket or "", command.rest)
            case "resolve":
                return resolve(turn, command.ticket or "", command.rest)
            case "return":
                return return_case(turn, command.ticket or "", command.rest)
            case "mycases":
                return my_cases(turn)
            case "file_offline":
                return start_offline(turn)
            case "my_points":
                return my_points(turn)
            case "status" if command.ticket:
                return show(turn, command.ticket)
            case "status":
                return my_cases(turn)
            case "cancel":
                turn.go("idle")
                turn.reply("已取消。")
                return
            case _:
                turn.reply(DEPUTY_HELP)
                return
    pending = turn.state.data.get("ticket")
    if turn.state.state == "writing_reply" and turn.text:
        return reply(turn, pending, turn.text)
    if turn.state.state == "writing_resolution" and turn.text:
        return resolve(turn, pending, turn.text)
    if turn.state.state == "choosing_department" and turn.text:
        return transfer(turn, pending, turn.text)
    turn.reply(DEPUTY_HELP)
