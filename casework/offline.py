"""代录: a deputy files a case for a resident met offline, and the resident claims it.

The case's reporting chat is the recorder's own (so whatever the resident would be told goes
to the recorder, marked 请转告群众, until a claim); its resident is a placeholder. The claim
code is shown once to the recorder and kept only as a digest. ``查询 TICKET 认领码`` from a
resident's chat makes that chat the reporter; five wrong codes lock the case's claim for an hour.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from casework import events as ev
from casework.cases import CaseDraft, Casework
from casework.errors import Refused, UnknownCase
from storage.models import Case, ChatIdentity, Deputy, Resident

__all__ = [
    "CLAIM_LOCK",
    "CLAIM_TRIES",
    "ClaimResult",
    "claim",
    "file_offline",
    "find_phone",
    "unclaimed",
]

CLAIM_TRIES = 5
CLAIM_LOCK = timedelta(hours=1)
_PHONE = re.compile(r"(?<!\d)(1[3-9]\d[\s-]?\d{4}[\s-]?\d{4}|0\d{2,3}-?\d{7,8})(?!\d)")


def find_phone(text: str) -> str | None:
    match = _PHONE.search(text)
    return re.sub(r"[\s-]", "", match.group(1)) if match else None


def _digest(ticket: str, code: str) -> str:
    return hashlib.sha256(f"{ticket}:{code}".encode()).hexdigest()


def unclaimed(case: Case) -> bool:
    """An offline case no resident has claimed yet: the recorder relays."""
    return case.source == "offline" and case.claimed_at is None


def file_offline(
    cw: Casework,
    session: Session,
    recorder: ChatIdentity,
    draft: CaseDraft,
    phone: str | None,
) -> tuple[Case, str, list[ev.Event]]:
    """The case, its claim code (to show once) and its events."""
    deputy = recorder.deputy
    if deputy is None:
        raise Refused("代录仅供人大代表使用。")
    now = cw.clock.now()
    placeholder = Resident(display_name=f"线下群众（{deputy.name}代表代录）", created_at=now)
    session.add(placeholder)
    session.flush()
    case, events = cw.submit(
        session, recorder, draft, resident_id=placeholder.id,
        actor=f"deputy:{deputy.code}", note=f"代录：{draft.category}",
    )  # fmt: skip
    code = f"{secrets.randbelow(10**6):06d}"
    case.source = "offline"
    case.recorded_by = deputy.code
    case.resident_phone = phone
    case.claim_digest = _digest(case.ticket, code)
    cw.record(
        case, now, "recorded_offline", f"deputy:{deputy.code}",
        f"{deputy.name}代表代录；群众认领前，办理情况由{deputy.name}代表转告群众",
    )  # fmt: skip
    return case, code, events


@dataclass(frozen=True)
class ClaimResult:
    case: Case
    ok: bool
    tries_left: int = 0
    locked_until: datetime | None = None
    recorder: Deputy | None = None


def claim(
    cw: Casework, session: Session, ticket: str, identity: ChatIdentity, code: str
) -> ClaimResult:
    """Check ``code``; a wrong one is counted (the count must be committed: do not raise)."""
    case = cw.get(session, ticket)
    now = cw.clock.now()
    if case.source != "offline" or case.claim_digest is None:
        raise UnknownCase(case.ticket)  # an online case: no claim, and nothing confirmed
    if case.claimed_at is not None:
        if case.resident_id == identity.resident_id:
            raise Refused(f"您已认领工单 {case.ticket}，发送“查询 {case.ticket}”查看进度。")
        raise Refused(f"工单 {case.ticket} 已被认领。如有疑问，请联系代录的代表。")
    if case.claim_locked_until is not None and case.claim_locked_until > now:
        return ClaimResult(case, False, 0, case.claim_locked_until)
    if not secrets.compare_digest(_digest(case.ticket, code.strip()), case.claim_digest):
        case.claim_failures = (case.claim_failures or 0) + 1
        if case.claim_failures >= CLAIM_TRIES:
            case.claim_failures = 0
            case.claim_locked_until = now + CLAIM_LOCK
            cw.record(
                case, now, "claim_locked", "system", f"认领码连续{CLAIM_TRIES}次错误，锁定1小时"
            )
            return ClaimResult(case, False, 0, case.claim_locked_until)
        return ClaimResult(case, False, CLAIM_TRIES - case.claim_failures)
    assert identity.resident_id is not None
    case.resident_id = identity.resident_id
    case.origin_identity_id = identity.id
    case.origin_identity = identity
    case.claimed_at = now
    case.claim_failures = 0
    case.claim_locked_until = None
    cw.record(
        case, now, "claimed", f"resident:{identity.resident_id}", "群众已认领，此后直接告知群众"
    )
    recorder = session.get(Deputy, case.recorded_by) if case.recorded_by else None
    return ClaimResult(case, True, recorder=recorder)
