"""What a resident can do besides describing a problem: look up, withdraw, write back."""

from __future__ import annotations

from sqlalchemy import select

from casework import feedback
from casework.errors import UnknownCase
from handlers import actions
from handlers.commands import Command
from handlers.format import case_card, case_line
from handlers.intake import handle_intake
from handlers.turn import Turn
from storage.models import Case

__all__ = ["handle_resident"]

HELP = (
    "直接用文字描述您遇到的问题即可（可附位置、照片）。\n"
    "常用指令：\n"
    "· 查询 工单号 —— 查看办理进度（只发“查询”列出您的全部工单）\n"
    "· 回复 工单号 内容 —— 给承办代表留言\n"
    "· 撤销 工单号 —— 撤销尚未签收的工单\n"
    "· 取消 —— 放弃正在填写的内容"
)


def _my_case(turn: Turn, ticket: str) -> Case:
    case = turn.services.casework.get(turn.session, ticket)
    if case.resident_id != turn.identity.resident_id:
        # Same words as an unknown ticket: do not confirm that someone else's ticket exists.
        raise UnknownCase(ticket)
    return case


def status(turn: Turn, command: Command) -> None:
    zone = turn.services.casework.calendar.zone
    if command.ticket:
        case = _my_case(turn, command.ticket)
        turn.reply(case_card(case, zone, for_deputy=False, now=turn.now), case_id=case.id)
        return
    cases = turn.session.scalars(
        select(Case).where(Case.resident_id == turn.identity.resident_id).order_by(Case.id)
    ).all()
    if not cases:
        turn.reply("您还没有反映过问题。直接发送文字描述即可。")
        return
    turn.reply("您的工单：\n" + "\n".join(case_line(c) for c in cases[-10:]))


def write_to_deputy(turn: Turn, ticket: str, text: str) -> None:
    case = _my_case(turn, ticket)
    if not text:
        turn.go("writing_to_deputy", ticket=case.ticket)
        turn.reply(f"请输入要转达给代表的内容（工单 {case.ticket}），发送“取消”放弃。")
        return
    events = turn.services.casework.relay_from_resident(turn.session, case, turn.identity, text)
    turn.go("idle")
    turn.emit(events)


def handle_resident(turn: Turn, command: Command | None) -> None:
    if command is not None:
        match command.name:
            case "status":
                return status(turn, command)
            case "cancel" if command.ticket is None:
                had_draft = turn.state.state != "idle"
                turn.go("idle")
                turn.reply("已取消，本次内容未提交。" if had_draft else "当前没有正在填写的内容。")
                return
            case "withdraw" | "cancel":
                case = _my_case(turn, command.ticket or "")
                return turn.emit(turn.services.casework.cancel(turn.session, case, turn.identity))
            case "reply":
                return write_to_deputy(turn, command.ticket or "", command.rest)
            case "help":
                turn.reply(HELP)
                return
            case _:
                turn.reply("该指令仅供人大代表使用。" + "\n" + HELP)
                return
    decoded = actions.decode(turn.action) if turn.action else None
    if decoded is not None:
        verb, args = decoded
        if verb == "msg":
            return write_to_deputy(turn, args[0], "")
        if verb == "rate" and args[1].isdigit():
            return rate_case(turn, args[0], int(args[1]))
        if verb == "check":
            return recheck(turn, args[0], args[1])
    if turn.action is None and turn.text:
        if turn.state.state == "writing_to_deputy":
            return write_to_deputy(turn, turn.state.data["ticket"], turn.text)
        if turn.state.state == "giving_reason":
            return reopen_with_reason(turn, turn.text)
    if turn.state.state in ("writing_to_deputy", "giving_reason"):
        turn.go("idle")
    handle_intake(turn)


def rate_case(turn: Turn, ticket: str, score: int) -> None:
    case = _my_case(turn, ticket)
    turn.emit(feedback.rate(turn.services.casework, turn.session, case, turn.identity, score))
    if score in feedback.DISSATISFIED:
        _ask_reason(turn, case.ticket, "rating", "很抱歉办理结果没能让您满意。")


def recheck(turn: Turn, ticket: str, answer: str) -> None:
    case = _my_case(turn, ticket)
    cw = turn.services.casework
    events = feedback.answer_recheck(cw, turn.session, case, turn.identity, answer)
    if answer != "not":
        turn.reply(f"感谢您的回访反馈（{feedback.RECHECK_LABELS[answer]}）。", case_id=case.id)
    turn.emit(events)
    if answer == "not":
        _ask_reason(turn, case.ticket, "recheck", "很抱歉问题还没有解决。")


def _ask_reason(turn: Turn, ticket: str, source: str, opening: str) -> None:
    turn.go("giving_reason", ticket=ticket, source=source)
    turn.reply(f"{opening}请简要说明原因（如：路灯修好后又坏了），我们将重新交办并督办。")


def reopen_with_reason(turn: Turn, reason: str) -> None:
    case = _my_case(turn, turn.state.data["ticket"])
    source = turn.state.data.get("source", "rating")
    events = feedback.reopen(
        turn.services.casework, turn.session, case, turn.identity, reason, source
    )
    turn.go("idle")
    turn.emit(events)
