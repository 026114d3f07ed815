"""What a resident can do besides describing a problem: look up, withdraw, write back."""

from __future__ import annotations

import re

from sqlalchemy import select

from casework import feedback
from casework.errors import UnknownCase
from casework.lifecycle import STATUS_LABELS, Status
from handlers import actions
from handlers.choices import looks_like_number
from handlers.commands import Command
from handlers.format import case_card, case_line
from handlers.intake import handle_intake
from handlers.offline import claim_case
from handlers.small_talk import is_cancel
from handlers.turn import Turn
from storage.models import Case

__all__ = ["handle_resident"]

_CLAIM_CODE = re.compile(r"\d{4,8}")

HELP = (
    "直接用文字描述您遇到的问题即可（可附位置、照片）。\n"
    "常用指令：\n"
    "· 查询 工单号 —— 查看办理进度（只发“查询”列出您的全部工单）\n"
    "· 回复 工单号 内容 —— 给承办代表留言\n"
    "· 撤销 工单号 —— 撤销尚未签收的工单\n"
    "· 重新反映 工单号 原因 —— 办结的问题没有解决时，要求重新办理（结案后30天内）\n"
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
    if command.ticket and _CLAIM_CODE.fullmatch(command.rest):
        return claim_case(turn, command.ticket, command.rest)  # 查询 TICKET 认领码
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


def _cancel(turn: Turn) -> None:
    had_draft = turn.state.state not in ("idle", "expired")
    turn.go("idle")
    turn.reply(
        "已取消，本次内容未提交。如需反映问题，请随时发送文字描述。"
        if had_draft
        else "好的。当前没有正在填写的内容；如需反映问题，请随时发送文字描述。"
    )


def reopen_case(turn: Turn, ticket: str, reason: str) -> None:
    """重新反映 TICKET 原因 (the reason is asked for when missing)."""
    case = _my_case(turn, ticket)
    cw = turn.services.casework
    if not feedback.can_reopen(case, turn.now):
        turn.refuse(f"工单 {case.ticket} 不能重新办理。" + feedback.what_you_can_do(case, turn.now))
        return
    if not reason:
        _ask_reason(turn, case.ticket, "resident", "好的。")
        return
    turn.go("idle")
    turn.emit(feedback.reopen_on_request(cw, turn.session, case, turn.identity, reason))


def handle_resident(turn: Turn, command: Command | None) -> None:
    if command is None and turn.action is None and is_cancel(turn.text):
        return _cancel(turn)  # 算了，不弄了 / 不用了: like 取消
    if command is not None:
        match command.name:
            case "status":
                return status(turn, command)
            case "cancel" if command.ticket is None:
                return _cancel(turn)
            case "reopen":
                return reopen_case(turn, command.ticket or "", command.rest)
            case "withdraw" | "cancel":
                case = _my_case(turn, command.ticket or "")
                return turn.emit(turn.services.casework.cancel(turn.session, case, turn.identity))
            case "reply":
                return write_to_deputy(turn, command.ticket or "", command.rest)
            case "help":
                turn.reply(HELP)
                return
            case "file_offline":
                turn.refuse("代录仅供人大代表使用：您可以直接发送文字描述反映问题。")
                return
            case "my_points":
                turn.refuse("履职积分仅供人大代表查看。")
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
    if turn.action is None and looks_like_number(turn.text) and not turn.state.choices:
        return number_without_a_question(turn)
    handle_intake(turn)


def number_without_a_question(turn: Turn) -> None:
    """A typed "3" when nothing was asked (the survey expired, say): never a dead end."""
    latest = turn.session.scalars(
        select(Case).where(Case.resident_id == turn.identity.resident_id).order_by(Case.id.desc())
    ).first()
    if latest is None:
        turn.refuse("目前没有需要您回复编号的问题。如需反映问题，请直接用文字描述。")
        return
    turn.refuse(
        f"目前没有需要您回复编号的问题。您最近的工单是 {latest.ticket}"
        f"（{STATUS_LABELS[Status(latest.status)]}）。" + feedback.what_you_can_do(latest, turn.now)
    )


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
    cw = turn.services.casework
    if source == "resident":
        events = feedback.reopen_on_request(cw, turn.session, case, turn.identity, reason)
    else:
        events = feedback.reopen(cw, turn.session, case, turn.identity, reason, source)
    turn.go("idle")
    turn.emit(events)
