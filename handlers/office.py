"""Office staff (代表工委) in chat: look up any case, hand unplaced cases to a deputy, list
the overdue ones, push a deputy (督办) and read this month's figures."""

from __future__ import annotations

from sqlalchemy import select

from casework.errors import Refused
from casework.figures import cases_of_month, figures
from casework.overdue import deadline, late_limit, overdue_cases
from handlers.commands import Command
from handlers.duty import handle_duty, wants_duty
from handlers.format import case_card, case_line, local_time
from handlers.receptions import schedule_from_chat, wants_reception
from handlers.turn import Turn
from storage.models import Case, Deputy

__all__ = ["OFFICE_HELP", "handle_office"]

OFFICE_HELP = (
    "代表工委指令：\n"
    "· 查询 工单号 —— 查看任一工单\n"
    "· 待交办 —— 列出尚未交办代表的工单\n"
    "· 交办 工单号 代表编号 —— 指定承办代表\n"
    "· 逾期 —— 列出逾期未签收、逾期未答复的工单\n"
    "· 督办 工单号 [督办意见] —— 立即提醒承办代表办理\n"
    "· 统计 [年-月] —— 本月（或指定月份，如 统计 2026-11）的办结率、按时办结率、回复率、满意率\n"
    "· 积分排名 —— 本年度履职积分排名\n"
    "· 接待 ST-DL 2026-12-15 09:00-11:30 D001,D002 —— 安排进站接待；接待安排 —— 查看"
)
# One chat message holds this many overdue cases; the rest are counted (the dashboard and
# ``grid-intake cases list`` show them all).
OVERDUE_SHOWN = 30
_LATE = {"accept": "逾期未签收", "answer": "逾期未答复"}


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
        case "overdue":
            turn.reply(_overdue(turn))
        case "supervise":
            case = casework.get(turn.session, command.ticket or "")
            office = turn.services.directory.office_name
            turn.emit(casework.supervise(turn.session, case, "office", office, command.rest))
            who = f"{case.deputy.name}代表" if case.deputy else "承办代表"
            turn.reply(f"已督办工单 {case.ticket}，已提醒{who}。")
        case "figures":
            turn.reply(_month_figures(turn, command.rest))
        case "file_offline":
            raise Refused("代录仅供人大代表使用。")
        case "my_points":
            raise Refused("我的积分仅供人大代表查看；代表工委请发送“积分排名”。")
        case _:
            turn.reply(OFFICE_HELP)


def _overdue(turn: Turn) -> str:
    zone = turn.services.casework.calendar.zone
    cases = overdue_cases(turn.session, turn.now)
    if not cases:
        return "目前没有逾期的工单。"
    lines = []
    for case in cases[:OVERDUE_SHOWN]:
        limit = late_limit(case, turn.now) or "answer"
        due = deadline(case, limit)
        deputy = case.deputy.name if case.deputy else "未交办"
        lines.append(f"{case_line(case)}｜{_LATE[limit]}（{local_time(due, zone)}到期）｜{deputy}")
    more = len(cases) - OVERDUE_SHOWN
    tail = f"\n另有 {more} 件未列出。" if more > 0 else ""
    return f"逾期工单共 {len(cases)} 件：\n" + "\n".join(lines) + tail + "\n督办：督办 工单号"


def _month_figures(turn: Turn, month: str = "") -> str:
    """A month's figures (this month by default) as ``grid-intake report`` computes them,
    as of now, in one message."""
    zone = turn.services.casework.calendar.zone
    local = turn.now.astimezone(zone)
    month = month or f"{local.year:04d}-{local.month:02d}"
    year, number = (int(part) for part in month.split("-"))
    if not 1 <= number <= 12:
        raise Refused(f"没有“{month}”这个月份，请按“统计 2026-11”的格式发送。")
    f = figures(cases_of_month(turn.session, month, zone), turn.now)
    overdue = len(overdue_cases(turn.session, turn.now))
    return (
        f"{year}年{number}月办理情况（截至{local_time(turn.now, zone)}）：\n"
        f"受理 {f.cases} 件（紧急 {f.urgent} 件），办结 {f.resolved} 件\n"
        f"办结率 {f.resolution_rate}\n"
        f"按时办结率 {f.on_time_rate}（已超时限仍未办结的计为未按时）\n"
        f"回复率 {f.reply_rate}\n"
        f"满意率 {f.satisfaction_rate}，参评率 {f.response_rate}\n"
        f"当前逾期工单 {overdue} 件（发送“逾期”查看）"
    )
