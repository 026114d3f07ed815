"""Hometown groups (我为家乡建言献策) and their suggestions: binding a group, collecting,
merging repeats, supports (附议), answers (A/B/C/D), turning one into a case, hiding.

A suggestion's lifecycle is the table ``TRANSITIONS``; every step appends a
SuggestionEvent (the ledger) in the caller's transaction.

```mermaid
stateDiagram-v2
    [*] --> collected: #建议 … (JY-YYYY-NNNNNN)
    collected --> merged: says what an open one of the station said (90 days)
    merged --> collected: its author says it is another matter (不同)
    collected --> in_digest: monthly digest (汇总报送)
    collected --> answered: 答复建议 … B
    in_digest --> answered: 答复建议 … B
    answered --> answered: 答复建议 … B
    collected --> closed: 答复建议 … A / C / D
    in_digest --> closed: A / C / D
    answered --> closed: A / C / D
    collected --> adopted: 转为工单
    in_digest --> adopted: 转为工单
    answered --> adopted: 转为工单
    closed --> adopted: 转为工单
```
Hidden (隐藏建议) is a flag beside the status: a hidden suggestion leaves digests and lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from casework.cases import CaseDraft, Casework
from casework.directory import EntryPoint
from casework.errors import NotPermitted, Refused
from casework.events import Event
from casework.suggestion_events import (
    SuggestionAdopted,
    SuggestionAnswered,
    SuggestionEvent,
    SuggestionHidden,
)
from casework.tickets import next_ticket
from nlp.similarity import SIMILAR, Places, signature, similarity
from storage.models import (
    CaseFollower,
    ChatIdentity,
    Deputy,
    HometownGroup,
    Suggestion,
    Support,
)
from storage.models import (
    SuggestionEvent as LedgerRow,
)

__all__ = [
    "ACK_INTERVAL",
    "DAILY_LIMIT",
    "MAX_LENGTH",
    "MERGE_WINDOW",
    "NUMBER",
    "OPEN",
    "RESULTS",
    "STATUS_LABELS",
    "TRANSITIONS",
    "Recorded",
    "Supported",
    "UnknownSuggestion",
    "adopt",
    "answer",
    "audience",
    "check_actionable",
    "find",
    "groups_of",
    "hide",
    "latest_in_group",
    "may_act",
    "open_for_stations",
    "record_suggestion",
    "root_of",
    "split",
    "suggestions_of",
    "support",
    "supported_by",
    "supporters",
]

NUMBER_PREFIX = "JY"
NUMBER = re.compile(r"JY-\d{4}-\d{6}", re.IGNORECASE)
MAX_LENGTH = 500
DAILY_LIMIT = 10  # suggestions per member per (local) day
MERGE_WINDOW = timedelta(days=90)
# At most one acknowledgement per member per minute, so a group is not flooded.
ACK_INTERVAL = timedelta(minutes=1)

# Result codes as the offices use them for deputies' suggestions.
RESULTS = {
    "A": "已解决或采纳",
    "B": "正在办理或已列入计划",
    "C": "因条件限制暂时难以解决",
    "D": "留作参考",
}
STATUS_LABELS = {
    "collected": "已收集",
    "merged": "已合并",
    "in_digest": "已汇总报送",
    "answered": "已答复，正在办理",
    "closed": "已答复",
    "adopted": "已转为工单",
}
# Still open: can be supported, merged into, listed as waiting.
OPEN = ("collected", "in_digest", "answered")

TRANSITIONS: dict[tuple[str, str], str] = {
    ("collected", "merge"): "merged",
    ("merged", "split"): "collected",
    ("collected", "digest"): "in_digest",
    **{(s, "answer"): "answered" for s in ("collected", "in_digest", "answered")},
    **{(s, "close"): "closed" for s in ("collected", "in_digest", "answered")},
    **{(s, "adopt"): "adopted" for s in ("collected", "in_digest", "answered", "closed")},
}


class UnknownSuggestion(Refused):
    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"没有找到建议 {number}，请核对编号。")


@dataclass(frozen=True)
class Recorded:
    suggestion: Suggestion
    merged_into: Suggestion | None  # the earlier one it repeats, now supported by it
    supporters: int  # of the suggestion it counts for (the author included)
    acknowledge: bool  # False within a minute of this member's last acknowledged step
    own_repeat: bool = False  # merged into the member's own earlier suggestion


@dataclass(frozen=True)
class Supported:
    suggestion: Suggestion  # the one supported (the original, when a repeat was named)
    supporters: int
    acknowledge: bool


# --- finding -----------------------------------------------------------------------------


def find(session: Session, number: str) -> Suggestion:
    """The visible suggestion with this number (hidden ones are unknown to everyone)."""
    number = number.strip().upper()
    suggestion = session.scalars(select(Suggestion).where(Suggestion.number == number)).first()
    if suggestion is None or suggestion.hidden_at is not None:
        raise UnknownSuggestion(number)
    return suggestion


def root_of(suggestion: Suggestion) -> Suggestion:
    """The suggestion a repeat was merged into (itself when it is not a repeat)."""
    seen = {suggestion.id}
    while suggestion.merged_into is not None and suggestion.merged_into.id not in seen:
        suggestion = suggestion.merged_into
        seen.add(suggestion.id)
    return suggestion


def supporters(suggestion: Suggestion) -> int:
    """How many people stand behind it: its author and every support (repeats included)."""
    return 1 + len(suggestion.supports)


def latest_in_group(session: Session, group: HometownGroup) -> Suggestion | None:
    """The group's most recent visible suggestion: what a bare 附议 replying to the bot
    means when the channel does not say which message was quoted."""
    return session.scalars(
        select(Suggestion)
        .where(Suggestion.group_id == group.id, Suggestion.hidden_at.is_(None))
        .order_by(Suggestion.id.desc())
    ).first()


def _station_codes(deputy: Deputy) -> set[str]:
    return {s.code for s in deputy.stations}


def may_act(session: Session, deputy: Deputy, suggestion: Suggestion) -> bool:
    """A deputy of the suggestion's station, or the deputy its group was bound to."""
    if suggestion.station_code in _station_codes(deputy):
        return True
    groups = {g.id for g in groups_of(suggestion)}
    return bool(
        session.scalar(
            select(func.count())
            .select_from(HometownGroup)
            .where(HometownGroup.id.in_(groups), HometownGroup.deputy_code == deputy.code)
        )
    )


def open_for_stations(
    session: Session, station_codes: set[str], deputy_code: str | None = None
) -> list[Suggestion]:
    """Open, visible, original suggestions of these stations (or of groups bound to the
    deputy), oldest first."""
    where = Suggestion.station_code.in_(station_codes)
    if deputy_code:
        bound = select(HometownGroup.id).where(HometownGroup.deputy_code == deputy_code)
        where = where | Suggestion.group_id.in_(bound)
    return list(
        session.scalars(
            select(Suggestion)
            .where(
                where,
                Suggestion.status.in_(OPEN),
                Suggestion.hidden_at.is_(None),
                Suggestion.merged_into_id.is_(None),
            )
            .order_by(Suggestion.id)
        )
    )


def suggestions_of(session: Session, identity: ChatIdentity) -> list[Suggestion]:
    return list(
        session.scalars(
            select(Suggestion)
            .where(Suggestion.author_identity_id == identity.id, Suggestion.hidden_at.is_(None))
            .order_by(Suggestion.id)
        )
    )


def supported_by(session: Session, identity: ChatIdentity) -> list[Suggestion]:
    """Suggestions this member supported by 附议 (not their own repeats)."""
    return list(
        session.scalars(
            select(Suggestion)
            .join(Support, Support.suggestion_id == Suggestion.id)
            .where(
                Support.identity_id == identity.id,
                Support.from_suggestion_id.is_(None),
                Suggestion.hidden_at.is_(None),
            )
            .order_by(Suggestion.id)
        )
    )


def groups_of(suggestion: Suggestion) -> tuple[HometownGroup, ...]:
    """Every group the suggestion or a repeat of it came from, the first first."""
    groups: dict[int, HometownGroup] = {suggestion.group.id: suggestion.group}
    for repeat in suggestion.repeats:
        groups.setdefault(repeat.group.id, repeat.group)
    return tuple(groups.values())


def audience(
    session: Session, suggestion: Suggestion
) -> tuple[tuple[HometownGroup, ...], tuple[ChatIdentity, ...]]:
    """Where an answer goes: every group the suggestion or its repeats came from, and its
    author and supporters who have a private chat with the bot (never a group-only member:
    such a message could never be delivered)."""
    people: dict[int, ChatIdentity] = {}
    candidates = [suggestion.author_identity, *(s.identity for s in suggestion.supports)]
    for person in candidates:
        if person is not None and not person.group_only:
            people.setdefault(person.id, person)
    return groups_of(suggestion), tuple(people.values())


# --- the ledger ---------------------------------------------------------------------------


def _step(suggestion: Suggestion, action: str) -> str:
    after = TRANSITIONS.get((suggestion.status, action))
    if after is None:
        raise Refused(_not_now(suggestion, action))
    return after


def _not_now(suggestion: Suggestion, action: str) -> str:
    number = suggestion.number
    if suggestion.status == "adopted":
        ticket = suggestion.case.ticket if suggestion.case else ""
        if action == "adopt":
            return f"建议 {number} 已转为工单 {ticket}，不能重复转办。"
        return f"建议 {number} 已转为工单 {ticket}，请通过该工单答复居民。"
    if suggestion.status == "closed":
        result = suggestion.result or ""
        return f"建议 {number} 已答复（{result} {RESULTS.get(result, '')}），不能重复答复。"
    return f"建议 {number} 当前状态为“{STATUS_LABELS.get(suggestion.status, '')}”，不能这样办理。"


def _record(suggestion: Suggestion, at: datetime, kind: str, actor: str, note: str = "") -> None:
    suggestion.events.append(
        LedgerRow(at=at, kind=kind, actor=actor, status_after=suggestion.status, note=note)
    )


# --- collecting ---------------------------------------------------------------------------


def _day_start(now: datetime, zone: ZoneInfo) -> datetime:
    local = now.astimezone(zone)
    return datetime.combine(local.date(), time(0), tzinfo=zone)


def _last_step(session: Session, group: HometownGroup, member: ChatIdentity) -> datetime | None:
    """When this member last posted or supported in this group."""
    posted = session.scalar(
        select(func.max(Suggestion.created_at)).where(
            Suggestion.group_id == group.id, Suggestion.author_identity_id == member.id
        )
    )
    supported = session.scalar(
        select(func.max(Support.created_at)).where(
            Support.group_id == group.id,
            Support.identity_id == member.id,
            Support.from_suggestion_id.is_(None),
        )
    )
    return max((t for t in (posted, supported) if t is not None), default=None)


def _most_similar(
    session: Session, station_code: str, text: str, now: datetime, places: Places | None
) -> Suggestion | None:
    """The open, visible, original suggestion of the station (last 90 days) that says the
    same thing; the most similar, the older on a tie."""
    mine = signature(text, places)
    best: tuple[float, Suggestion] | None = None
    for other in session.scalars(
        select(Suggestion)
        .where(
            Suggestion.station_code == station_code,
            Suggestion.created_at >= now - MERGE_WINDOW,
            Suggestion.status.in_(OPEN),
            Suggestion.hidden_at.is_(None),
            Suggestion.merged_into_id.is_(None),
        )
        .order_by(Suggestion.id)
    ):
        score = similarity(mine, signature(other.text, places))
        if score >= SIMILAR and (best is None or score > best[0]):
            best = (score, other)
    return best[1] if best else None


def record_suggestion(
    session: Session,
    group: HometownGroup,
    author: ChatIdentity,
    author_id: str,
    author_name: str,
    text: str,
    category: str,
    keywords: list[str],
    now: datetime,
    *,
    zone: ZoneInfo,
    places: Places | None = None,
) -> Recorded:
    """Number and store a suggestion; a repeat of an open one of the same station (within
    90 days) is merged into it and counts as its author's support."""
    if len(text) > MAX_LENGTH:
        raise Refused(f"建议内容有{len(text)}字，超过{MAX_LENGTH}字的上限，请精简后再发送。")
    today = session.scalar(
        select(func.count())
        .select_from(Suggestion)
        .where(
            Suggestion.author_identity_id == author.id,
            Suggestion.created_at >= _day_start(now, zone),
        )
    )
    if (today or 0) >= DAILY_LIMIT:
        raise Refused(
            f"感谢您的热心！每人每天最多提交{DAILY_LIMIT}条建议，您今天已经提交了{today}条，"
            "请明天再提交。"
        )
    last = _last_step(session, group, author)
    acknowledge = last is None or now - last >= ACK_INTERVAL
    earlier = _most_similar(session, group.station_code, text, now, places)
    year = now.astimezone(zone).year
    suggestion = Suggestion(
        number=next_ticket(session, NUMBER_PREFIX, year),
        group_id=group.id,
        group=group,
        station_code=group.station_code,
        author_id=author_id,
        author_identity_id=author.id,
        author_identity=author,
        author_name=author_name,
        text=text,
        category=category,
        keywords=keywords,
        created_at=now,
        status="collected",
    )
    session.add(suggestion)
    session.flush()
    actor = f"identity:{author.id}"
    _record(suggestion, now, "collected", actor, category)
    if earlier is None:
        return Recorded(suggestion, None, 1, acknowledge)
    suggestion.status = _step(suggestion, "merge")
    suggestion.merged_into = earlier
    _record(suggestion, now, "merged", "system", earlier.number)
    own = earlier.author_identity_id == author.id
    if not own and not _supports(session, earlier, author):
        _add_support(session, earlier, author, group, now, from_suggestion=suggestion)
        _record(earlier, now, "supported", actor, f"重复建议 {suggestion.number}")
    return Recorded(suggestion, earlier, supporters(earlier), acknowledge, own_repeat=own)


def _supports(session: Session, suggestion: Suggestion, member: ChatIdentity) -> bool:
    return any(s.identity_id == member.id for s in suggestion.supports)


def _add_support(
    session: Session,
    suggestion: Suggestion,
    member: ChatIdentity,
    group: HometownGroup,
    now: datetime,
    *,
    from_suggestion: Suggestion | None = None,
) -> bool:
    """Insert the support; False when a concurrent one of the same member won the race
    (the unique key decides)."""
    row = Support(
        suggestion_id=suggestion.id,
        identity_id=member.id,
        identity=member,
        group_id=group.id,
        from_suggestion_id=from_suggestion.id if from_suggestion else None,
        created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    suggestion.supports.append(row)
    return True


def support(
    session: Session,
    suggestion: Suggestion,
    member: ChatIdentity,
    group: HometownGroup,
    now: datetime,
) -> Supported:
    """附议: one support per member per suggestion, never of one's own, only while open and
    only within the suggestion's station."""
    target = root_of(suggestion)
    if target.hidden_at is not None:
        raise UnknownSuggestion(suggestion.number)
    if target.station_code != group.station_code:
        raise Refused(f"建议 {target.number} 不是本群所属联络站收集的建议，不能在本群附议。")
    if target.status not in OPEN:
        label = STATUS_LABELS.get(target.status, "")
        raise Refused(f"建议 {target.number} {label}，无需再附议。谢谢关注！")
    if target.author_identity_id == member.id:
        raise Refused(f"建议 {target.number} 是您本人提出的，不能附议自己的建议。")
    last = _last_step(session, group, member)
    if _supports(session, target, member) or not _add_support(session, target, member, group, now):
        raise Refused(f"您已附议过建议 {target.number}，每人对同一条建议只能附议一次。")
    _record(target, now, "supported", f"identity:{member.id}")
    acknowledge = last is None or now - last >= ACK_INTERVAL
    return Supported(target, supporters(target), acknowledge)


# --- answering ----------------------------------------------------------------------------


def check_actionable(session: Session, suggestion: Suggestion, deputy: Deputy) -> None:
    """Refuse unless ``deputy`` may answer or adopt ``suggestion`` (an original, of theirs)."""
    if suggestion.merged_into is not None:
        root = root_of(suggestion)
        raise Refused(f"建议 {suggestion.number} 已合并到 {root.number}，请对 {root.number} 办理。")
    if not may_act(session, deputy, suggestion):
        raise NotPermitted(
            f"建议 {suggestion.number} 由{suggestion.station.name}收集，"
            f"您不是该站的代表，不能办理。"
        )


def answer(
    session: Session, suggestion: Suggestion, deputy: Deputy, code: str, text: str, now: datetime
) -> list[SuggestionEvent]:
    """答复建议: the result code and the deputy's words, posted back to the groups and to
    the author and supporters. B keeps it open (正在办理); A, C, D close it."""
    check_actionable(session, suggestion, deputy)
    code = code.strip().upper()
    if code not in RESULTS:
        codes = "；".join(f"{k} {v}" for k, v in RESULTS.items())
        raise Refused(f"答复类别只能是 A、B、C、D（{codes}）。")
    text = text.strip()
    if not text:
        raise Refused(f"请写上答复内容：答复建议 {suggestion.number} {code} 内容")
    if len(text) > MAX_LENGTH:
        raise Refused(f"答复内容有{len(text)}字，超过{MAX_LENGTH}字的上限，请精简后再发送。")
    suggestion.status = _step(suggestion, "answer" if code == "B" else "close")
    suggestion.result, suggestion.answer = code, text
    suggestion.answered_by, suggestion.answered_at = deputy.code, now
    _record(suggestion, now, "answered", f"deputy:{deputy.code}", f"{code}：{text}")
    groups, people = audience(session, suggestion)
    return [SuggestionAnswered(suggestion, deputy, groups, people)]


def adopt(
    cw: Casework,
    session: Session,
    suggestion: Suggestion,
    deputy: Deputy,
    now: datetime,
    *,
    entry: EntryPoint | None,
    grid_code: str | None,
) -> tuple[list[Event], list[SuggestionEvent]]:
    """转为工单: a case routed as usual, reported by the suggestion's author, followed by
    its supporters who have a private chat. Returns (case events, suggestion events)."""
    check_actionable(session, suggestion, deputy)
    after = _step(suggestion, "adopt")
    author = suggestion.author_identity
    if author is None or author.resident_id is None:
        raise Refused(f"建议 {suggestion.number} 不是居民提出的，不能转为工单。")
    # A conditional UPDATE claims the suggestion: of two 转为工单 at once, one wins.
    claimed = session.execute(
        update(Suggestion)
        .where(Suggestion.id == suggestion.id, Suggestion.case_id.is_(None))
        .values(status=after)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        session.refresh(suggestion)
        raise Refused(_not_now(suggestion, "adopt"))
    draft = CaseDraft(
        text=suggestion.text,
        category=suggestion.category,
        keywords=list(suggestion.keywords or []),
        request_type="建议",
        grid_code=grid_code,
        entry=entry,
    )
    case, case_events = cw.submit(session, author, draft)
    cw.record(case, now, "from_suggestion", f"deputy:{deputy.code}", suggestion.number)
    suggestion.status = after
    suggestion.case_id, suggestion.case = case.id, case
    _record(suggestion, now, "adopted", f"deputy:{deputy.code}", case.ticket)
    groups, people = audience(session, suggestion)
    for person in people:
        if person.id != author.id:
            session.add(
                CaseFollower(
                    case_id=case.id, identity_id=person.id, created_at=now, source="suggestion"
                )
            )
    session.flush()
    session.refresh(case, ["followers"])
    return case_events, [SuggestionAdopted(suggestion, case, deputy, groups, people)]


SPLIT_WINDOW = timedelta(days=7)


def split(
    session: Session, group: HometownGroup, member: ChatIdentity, now: datetime
) -> Suggestion:
    """不同: the member's latest repeat (this group, last 7 days) was merged by mistake; it
    becomes a suggestion of its own again and its support of the other one is withdrawn."""
    repeat = session.scalars(
        select(Suggestion)
        .where(
            Suggestion.group_id == group.id,
            Suggestion.author_identity_id == member.id,
            Suggestion.status == "merged",
            Suggestion.created_at >= now - SPLIT_WINDOW,
        )
        .order_by(Suggestion.id.desc())
    ).first()
    if repeat is None:
        raise Refused("您最近没有被合并的建议。")
    original = repeat.merged_into
    assert original is not None
    repeat.status = _step(repeat, "split")
    repeat.merged_into = None
    _record(repeat, now, "split", f"identity:{member.id}", original.number)
    for row in [s for s in original.supports if s.from_suggestion_id == repeat.id]:
        original.supports.remove(row)
        session.delete(row)
        _record(original, now, "support_withdrawn", f"identity:{member.id}", repeat.number)
    session.flush()
    return repeat


def hide(
    session: Session, suggestion: Suggestion, reason: str, now: datetime, actor: str = "office"
) -> list[SuggestionEvent]:
    """隐藏建议 (the office): it leaves every digest and list; the author is told why."""
    reason = reason.strip()
    if not reason:
        raise Refused(f"请写明隐藏理由：隐藏建议 {suggestion.number} 理由")
    suggestion.hidden_at, suggestion.hidden_reason = now, reason
    _record(suggestion, now, "hidden", actor, reason)
    author = suggestion.author_identity
    people = (author,) if author is not None and not author.group_only else ()
    return [SuggestionHidden(suggestion, reason, people)]
