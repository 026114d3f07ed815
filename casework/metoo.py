"""我也遇到: a resident about to report what another resident of the same grid reported in
the last 14 days (same category, similar text, case still open) may follow that case
instead. Followers hear what the reporter hears and are counted for the deputy and the
office. Never across grids (the grid is part of the query, not of the similarity).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select
from sqlalchemy import text as sql
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.cases import Casework
from casework.errors import Refused
from casework.routing import OPEN_STATUSES
from nlp.similarity import OFFER, Places, signature, similarity
from storage.models import PARTIAL, Case, CaseFollower, ChatIdentity

__all__ = ["METOO_CANDIDATES", "METOO_WINDOW", "CaseFollowed", "follow", "similar_open_case"]

METOO_WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class CaseFollowed:
    case: Case
    follower: ChatIdentity
    text: str  # what the follower was about to report
    followers: int


# At most this many distinct texts are compared, the most recent: a flood of reports in
# one grid and category (thousands in the 14 days) costs no more than this many. A day's
# burst (200 reports of one water outage) stays within it, so the offer is the same as
# comparing them all; only beyond it are the oldest texts left out.
METOO_CANDIDATES = 200

_OLDEST = func.min(Case.id)
# Each distinct open text of the grid and category with its oldest case, leaving out the
# resident's own cases and those already followed; the newest first, for the bound. Built
# once, run on every summary.
_CANDIDATES = (
    select(_OLDEST, Case.text)
    .where(
        Case.grid_code == bindparam("grid_code"),
        Case.category == bindparam("category"),
        sql("cases." + PARTIAL["case_open"]),  # the open-case index: not the history
        Case.created_at >= bindparam("since"),
        Case.resident_id != bindparam("resident_id"),
        Case.id.not_in(
            select(CaseFollower.case_id).where(CaseFollower.identity_id == bindparam("identity_id"))
        ),
    )
    .group_by(Case.text)
    .order_by(_OLDEST.desc())
    .limit(METOO_CANDIDATES)
)


def similar_open_case(
    session: Session,
    *,
    grid_code: str,
    category: str,
    text: str,
    identity: ChatIdentity,
    now: datetime,
    places: Places | None = None,
) -> Case | None:
    """The open case of another resident in this grid and category, reported in the last
    14 days, that says the same thing (the most similar; the older on a tie).

    Its cost grew with the open cases of the grid and category (a burst: 200 reports of
    one water outage in a day). It reads only each distinct text with its oldest case's
    id, not whole cases: the texts' signatures are cached, identical texts score alike and
    the oldest of them is what the tie rule keeps; only the chosen case is loaded. And it
    compares at most ``METOO_CANDIDATES`` texts, the most recent."""
    mine = signature(text, places)
    best: tuple[float, int] | None = None
    candidates = session.execute(
        _CANDIDATES,
        {
            "grid_code": grid_code,
            "category": category,
            "since": now - METOO_WINDOW,
            "resident_id": identity.resident_id or 0,
            "identity_id": identity.id,
        },
    ).all()
    for case_id, other in reversed(candidates):  # oldest first: the older wins a tie
        score = similarity(mine, signature(other, places))
        if score >= OFFER and (best is None or score > best[0]):
            best = (score, case_id)
    return session.get(Case, best[1]) if best else None


def follow(
    cw: Casework, session: Session, case: Case, identity: ChatIdentity, text: str
) -> CaseFollowed:
    """Add the resident to the case's followers (once) and note it in the case's ledger."""
    if case.resident_id == identity.resident_id:
        raise Refused(f"工单 {case.ticket} 是您本人反映的，办理进展会直接告诉您。")
    if case.status not in OPEN_STATUSES:
        raise Refused(f"工单 {case.ticket} 已办结或撤销，请直接描述问题，我们将重新登记。")
    now = cw.clock.now()
    try:
        with session.begin_nested():
            session.add(CaseFollower(case_id=case.id, identity_id=identity.id, created_at=now))
            session.flush()
    except IntegrityError:
        raise Refused(f"您已关注工单 {case.ticket}，办理进展会同步告诉您。") from None
    session.refresh(case, ["followers"])
    cw.record(case, now, "followed", f"resident:{identity.resident_id}", text)
    return CaseFollowed(case, identity, text, len(case.followers))
