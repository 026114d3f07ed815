"""A case's audience beyond its reporter: residents who follow it (我也遇到, or supporters
of the suggestion it came from) hear its progress, in their own words.

``for_case_audience`` wraps every rendering of a case event (``handlers.notifications``):
it adds a short follower message for the events that move the case, and drops messages to
a reporter the bot cannot write to privately (a group-only author of an adopted
suggestion: such a message could never be delivered).
"""

from __future__ import annotations

from casework import events as ev
from casework.metoo import CaseFollowed
from casework.offline import unclaimed
from casework.outbox import Message
from casework.suggestions import groups_of
from handlers import actions
from handlers.format import resident_of, short
from handlers.suggestion_messages import group_chat
from storage.models import Case

__all__ = ["for_case_audience", "metoo_messages"]


def _progress(event: object) -> str | None:
    """What a follower is told about ``event``; None for what concerns the reporter alone
    (their own messages, the rating and the recheck)."""
    match event:
        case ev.CaseAssigned(deputy=deputy):
            return f"已交办{deputy.name}代表办理。"
        case ev.CaseAccepted(deputy=deputy):
            return f"{deputy.name}代表已签收，正在办理。"
        case ev.DeputyAnswered(deputy=deputy, text=text):
            return f"{deputy.name}代表答复：\n{text}"
        case ev.CaseTransferred(department=department):
            return f"已转交{department.name}办理，代表将继续跟进。"
        case ev.CaseResolved(note=note):
            return f"已办结。\n办理结果：{note}"
        case ev.CaseReopened():
            return "已重新交办办理。"
        case ev.CaseCancelled():
            return "已由反映人撤销。如问题仍然存在，请直接发送文字描述，我们将重新登记。"
    return None


def _to_recorder(case: Case, reporter: str, messages: list[Message]) -> list[Message]:
    """An unclaimed offline case: what the resident would hear goes to the recording deputy
    (the reporting chat is theirs), to pass on; the resident's buttons are left off."""
    head = f"【代录工单 {case.ticket}｜请转告群众】\n"
    return [
        Message(m.recipient, head + m.text, (), m.case_id) if m.recipient == reporter else m
        for m in messages
    ]


def for_case_audience(event: object, messages: list[Message]) -> list[Message]:
    case: Case | None = getattr(event, "case", None)
    if not isinstance(case, Case):
        return messages
    reporter = resident_of(case)
    if unclaimed(case):
        messages = _to_recorder(case, reporter, messages)
    origin = case.origin_identity
    if origin is not None and origin.group_only:
        messages = [m for m in messages if m.recipient != reporter]
    if isinstance(event, ev.CaseResolved) and case.suggestion is not None:
        messages.extend(_resolved_in_groups(case, event.note))
    progress = _progress(event)
    if progress is None or not case.followers:
        return messages
    told = {reporter}
    for follower in case.followers:
        recipient = f"identity:{follower.identity_id}"
        if recipient in told or follower.identity.group_only:
            continue
        told.add(recipient)
        messages.append(
            Message(recipient, f"【您关注的工单 {case.ticket}】{progress}", case_id=case.id)
        )
    return messages


def _resolved_in_groups(case: Case, note: str) -> list[Message]:
    """A case that was a hometown suggestion: its result goes back to the groups too."""
    suggestion = case.suggestion
    assert suggestion is not None
    text = (
        f"【建议办结】建议 {suggestion.number}（{short(suggestion.text, 30)}）"
        f"转为的工单 {case.ticket} 已办结。\n办理结果：{note}"
    )
    return [Message(group_chat(group), text) for group in groups_of(suggestion)]


def metoo_messages(followed: CaseFollowed) -> list[Message]:
    """The follower's confirmation and the deputy's (or the office's) news of one more."""
    case = followed.case
    mine = Message(
        f"identity:{followed.follower.id}",
        f"已为您关注工单 {case.ticket}（{short(case.text, 20)}），不再重复登记。"
        "办理进展将同步告诉您。",
        case_id=case.id,
    )
    target = f"deputy:{case.deputy_code}" if case.deputy_code else "office"
    news = Message(
        target,
        f"工单 {case.ticket}：又有一位居民反映了同一问题（我也遇到，共{followed.followers}人）：\n"
        f"“{short(followed.text, 60)}”",
        [("回复居民", actions.encode("reply", case.ticket))] if case.deputy_code else (),
        case.id,
    )
    return [mine, news]
