"""代录 in chat: the deputy's side (start, submit, the claim code) and the resident's claim
(``查询 TICKET 认领码``). The dialog itself is the resident's intake (handlers.intake)."""

from __future__ import annotations

from typing import Any

from casework.cases import CaseDraft
from casework.errors import NotPermitted
from casework.offline import claim, file_offline, find_phone
from handlers.format import case_card, local_time
from handlers.turn import Turn

__all__ = ["claim_case", "is_offline_draft", "start_offline", "submit_offline"]

INTAKE_STATES = (
    "describing",
    "confirming",
    "choosing_category",
    "choosing_township",
    "choosing_grid",
)


def is_offline_draft(turn: Turn) -> bool:
    """A deputy in the middle of a 代录 (or resuming one that timed out)."""
    draft = turn.state.data.get("draft") or {}
    if not draft.get("offline"):
        return False
    if turn.state.state in INTAKE_STATES:
        return True
    return turn.state.state == "expired" and turn.action == "intake:resume"


def start_offline(turn: Turn, rest: str = "") -> None:
    if turn.identity.deputy is None:
        raise NotPermitted("代录仅供人大代表使用：群众可直接发送文字描述反映问题。")
    phone = find_phone(rest) if rest else None
    turn.go("describing", draft={"offline": True, "phone": phone})
    turn.reply(
        "【代录】请描述群众当面反映的问题（在什么地方、出了什么问题），可附位置和照片；"
        "群众的电话可写在描述中（选填）。发送“取消”放弃。"
    )


def submit_offline(turn: Turn, draft: dict[str, Any], case_draft: CaseDraft) -> None:
    cw = turn.services.casework
    case, code, events = file_offline(
        cw, turn.session, turn.identity, case_draft, draft.get("phone")
    )
    turn.go("idle")
    turn.reply(
        f"已代录工单 {case.ticket}，认领码：{code}（只显示这一次，请抄给群众或截图发给群众）。\n"
        f"群众在本平台发送“查询 {case.ticket} {code}”即可认领，此后办理进展直接告诉群众；"
        "认领前，进展发给您，请转告群众。",
        case_id=case.id,
    )
    turn.emit(events)


def claim_case(turn: Turn, ticket: str, code: str) -> None:
    cw = turn.services.casework
    result = claim(cw, turn.session, ticket, turn.identity, code)
    case = result.case
    zone = cw.calendar.zone
    if not result.ok:
        if result.locked_until is not None:
            turn.refuse(
                f"认领码错误次数过多，工单 {case.ticket} 的认领已锁定，"
                f"请于{local_time(result.locked_until, zone)}后再试，或联系代录的代表核对认领码。"
            )
        else:
            turn.refuse(f"认领码不正确，还可再试{result.tries_left}次。请核对代表给您的认领码。")
        return
    turn.reply(
        f"认领成功！工单 {case.ticket} 的办理进展将直接告诉您。\n"
        + case_card(case, zone, for_deputy=False, now=turn.now),
        case_id=case.id,
    )
    if result.recorder is not None:
        turn.send_to(
            f"deputy:{result.recorder.code}",
            f"工单 {case.ticket} 已由群众认领，此后办理进展将直接告诉群众，无需您再转告。",
            case.id,
        )
