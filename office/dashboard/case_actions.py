"""The office's actions on one case, through the same casework functions as the chat
commands: 交办/改派, 转办, 督办 and an internal note. The lifecycle's refusals apply; the
deputy and the resident get the same chat messages; the ledger names the staff member."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from casework.errors import Refused
from casework.events import Event
from casework.outbox import queue
from handlers.notifications import render
from handlers.turn import Services
from storage.models import Case, Department, Deputy

__all__ = ["VERBS", "act"]

VERBS = {"assign": "交办", "transfer": "转办", "urge": "督办", "note": "备注"}


def _emit(session: Session, services: Services, events: Sequence[Event]) -> None:
    casework = services.casework
    now = casework.clock.now()
    office = services.directory.office_name
    for event in events:
        for message in render(event, casework.calendar.zone, office, now=now):
            queue(session, now, message)
    session.flush()


def act(
    session: Session,
    services: Services,
    case: Case,
    verb: str,
    form: dict[str, str],
    *,
    actor: str,
    name: str,
    station: str | None,
) -> str:
    """Carry out ``verb`` and say what was done; Refused with the reason otherwise."""
    casework = services.casework
    match verb:
        case "assign":
            deputy = session.get(Deputy, form.get("deputy", "").strip().upper())
            if deputy is None:
                raise Refused("请选择承办代表。")
            if station is not None and station not in {s.code for s in deputy.stations}:
                raise Refused(f"{deputy.name}代表不属于本联络站。")
            reassign = case.deputy is not None
            _emit(session, services, casework.assign(session, case, deputy, actor))
            return f"已将工单 {case.ticket} {'改派' if reassign else '交办'}{deputy.name}代表。"
        case "transfer":
            department = session.get(Department, form.get("department", "").strip())
            if department is None:
                raise Refused("请选择承办部门。")
            _emit(session, services, casework.transfer_for_deputy(session, case, department, actor))
            return f"已将工单 {case.ticket} 转办{department.name}。"
        case "urge":
            office = services.directory.office_name
            note = form.get("note", "")
            events = casework.supervise(session, case, actor, f"{office}{name}", note)
            _emit(session, services, events)
            deputy_name = case.deputy.name if case.deputy else ""
            return f"已督办工单 {case.ticket}，提醒已发给{deputy_name}代表。"
        case "note":
            casework.add_note(session, case, actor, form.get("text", ""))
            return "已添加内部备注（居民和代表看不到）。"
    raise Refused("未知的操作。")
