"""Office staff (代表工委) in chat: look up any case, hand unplaced cases to a deputy."""

from __future__ import annotations

from sqlalchemy import select

from casework.errors import Refused
from handlers.commands import Command
from handlers.duty import handle_duty, wants_duty
from handlers.format import case_card, case_line
from handlers.receptions import schedule_from_chat, wants_reception
from handlers.turn import Turn
from storage.models import Case, Deputy

__all__ = ["OFFICE_HELP", "handle_office"]

OFFICE_HELP = (
    "代表工委指令：\n"
    "· 查询 工单号 —— 查看任一工单\n"
    "· 待交办 —— 列出尚未交办代表的工单\n"
    "· 交办 工单号 代表编号 —— 指定承办代表\n"
    "· 积分排名 —— 本年度履职积分排名\n"
    "· 接待 ST-DL 2026-12-15 09:00-11:30 D001,D002 —— 安排进站接待；接待安排 —— 查看"
)


def handle_office(turn: Turn, command: Command | None) -> None:
    casework = turn.services.casework
    zone = casework.calendar.zone
    if command is None and turn.action is None and wants_reception(turn.text):
        return schedule_from_chat(turn)
    if command is None and turn.action is None and wants_duty(turn.text):
        return handle_duty(turn)
    if command is None:
        turn.reply(OFFICE_HELP)
        return
    match command.name:
        case "status" if command.ticket:
            case = casework.get(turn.session, command.ticket)
            turn.reply(case_card(case, zone, for_deputy=True, now=turn.now), case_id=case.id)
        case "unassigned":
            cases = turn.session.scalars(
                select(Case).where(Case.status == "submitted").order_by(Case.id)
            ).all()
            turn.reply(
                "待交办工单：\n" + "\n".join(case_line(c) for c in cases)
                if cases
                else "目前没有待交办的工单。"
            )
        case "assign":
            case = casework.get(turn.session, command.ticket or "")
            deputy = turn.session.get(Deputy, command.rest.strip().upper())
            if deputy is None:
                raise Refused(f"没有编号为“{command.rest.strip()}”的代表。")
            turn.emit(casework.assign(turn.session, case, deputy, "office"))
            turn.reply(f"已将工单 {case.ticket} 交办{deputy.name}代表。")
        case "file_offline":
            raise Refused("代录仅供人大代表使用。")
        case "my_points":
            raise Refused("我的积分仅供人大代表查看；代表工委请发送“积分排名”。")
        case _:
            turn.reply(OFFICE_HELP)
