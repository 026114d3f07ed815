"""The case lifecycle (DESIGN.md §4) as one table: which action moves which status where.

```mermaid
stateDiagram-v2
    [*] --> submitted: SubmitCase (登记)
    submitted --> assigned: AssignCase (交办)
    assigned --> assigned: AssignCase (office reassigns) / TakeOverCase (head)
    assigned --> accepted: AcceptCase (签收)
    assigned --> submitted: ReturnCase (退回 to the office)
    accepted --> submitted: ReturnCase
    reopened --> submitted: ReturnCase
    accepted --> accepted: TakeOverCase
    transferred --> transferred: TakeOverCase
    answered --> answered: TakeOverCase
    reopened --> reopened: TakeOverCase
    accepted --> transferred: TransferCase (转办)
    accepted --> answered: AnswerResident (反馈)
    transferred --> answered: AnswerResident
    answered --> answered: AnswerResident
    answered --> transferred: TransferCase
    accepted --> resolved: ResolveCase (办结)
    transferred --> resolved: ResolveCase
    answered --> resolved: ResolveCase
    resolved --> rated: RateCase
    rated --> closed
    resolved --> reopened: dissatisfied / not fixed
    rated --> reopened
    closed --> reopened: 重新反映 (within 30 days)
    reopened --> accepted: AcceptCase
    submitted --> cancelled: CancelCase
    assigned --> cancelled: CancelCase
```
"""

from __future__ import annotations

from enum import StrEnum

from casework.errors import Refused

__all__ = [
    "STATUS_LABELS",
    "TRANSITIONS",
    "Action",
    "IllegalTransition",
    "Status",
    "next_status",
    "status_named",
]


class Status(StrEnum):
    SUBMITTED = "submitted"
    ASSIGNED = "assigned"
    ACCEPTED = "accepted"
    TRANSFERRED = "transferred"
    ANSWERED = "answered"
    RESOLVED = "resolved"
    RATED = "rated"
    CLOSED = "closed"
    REOPENED = "reopened"
    CANCELLED = "cancelled"


class Action(StrEnum):
    ASSIGN = "assign"
    ACCEPT = "accept"
    TRANSFER = "transfer"
    ANSWER = "answer"
    RESOLVE = "resolve"
    RATE = "rate"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"
    TAKE_OVER = "take_over"  # a station head takes a member's case (the case changes hands)
    RETURN = "return"  # the deputy hands the case back to the office (退回)


S, A = Status, Action

TRANSITIONS: dict[tuple[Status, Action], Status] = {
    (S.SUBMITTED, A.ASSIGN): S.ASSIGNED,
    (S.REOPENED, A.ASSIGN): S.REOPENED,
    (S.ASSIGNED, A.ASSIGN): S.ASSIGNED,  # reassignment by the office
    (S.ASSIGNED, A.ACCEPT): S.ACCEPTED,
    (S.REOPENED, A.ACCEPT): S.ACCEPTED,
    (S.ACCEPTED, A.TRANSFER): S.TRANSFERRED,
    (S.ANSWERED, A.TRANSFER): S.TRANSFERRED,
    (S.ACCEPTED, A.ANSWER): S.ANSWERED,
    (S.TRANSFERRED, A.ANSWER): S.ANSWERED,
    (S.ANSWERED, A.ANSWER): S.ANSWERED,
    (S.ACCEPTED, A.RESOLVE): S.RESOLVED,
    (S.TRANSFERRED, A.RESOLVE): S.RESOLVED,
    (S.ANSWERED, A.RESOLVE): S.RESOLVED,
    (S.RESOLVED, A.RATE): S.RATED,
    (S.RATED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.CLOSE): S.CLOSED,
    (S.RESOLVED, A.REOPEN): S.REOPENED,
    (S.RATED, A.REOPEN): S.REOPENED,
    (S.CLOSED, A.REOPEN): S.REOPENED,
    (S.SUBMITTED, A.CANCEL): S.CANCELLED,
    (S.ASSIGNED, A.CANCEL): S.CANCELLED,
    # A head who acts on a member's open case takes it over; the status stays.
    (S.ASSIGNED, A.TAKE_OVER): S.ASSIGNED,
    (S.ACCEPTED, A.TAKE_OVER): S.ACCEPTED,
    (S.TRANSFERRED, A.TAKE_OVER): S.TRANSFERRED,
    (S.ANSWERED, A.TAKE_OVER): S.ANSWERED,
    (S.REOPENED, A.TAKE_OVER): S.REOPENED,
    # Handed back before anything was done for the resident: the office assigns it again.
    (S.ASSIGNED, A.RETURN): S.SUBMITTED,
    (S.ACCEPTED, A.RETURN): S.SUBMITTED,
    (S.REOPENED, A.RETURN): S.SUBMITTED,
}


STATUS_LABELS: dict[Status, str] = {
    S.SUBMITTED: "已登记，待交办",
    S.ASSIGNED: "已交办代表",
    S.ACCEPTED: "代表已签收",
    S.TRANSFERRED: "已转办部门",
    S.ANSWERED: "已答复",
    S.RESOLVED: "已办结",
    S.RATED: "已评价",
    S.CLOSED: "已结案",
    S.REOPENED: "已重新办理",
    S.CANCELLED: "已撤销",
}

# Other words people use for a status (the command line's --status, the office's filters).
_STATUS_WORDS: dict[str, Status] = {
    "已登记": S.SUBMITTED, "待交办": S.SUBMITTED, "登记": S.SUBMITTED,
    "已交办": S.ASSIGNED, "交办": S.ASSIGNED, "待签收": S.ASSIGNED,
    "已签收": S.ACCEPTED, "签收": S.ACCEPTED, "已受理": S.ACCEPTED, "受理": S.ACCEPTED,
    "已转办": S.TRANSFERRED, "转办": S.TRANSFERRED,
    "答复": S.ANSWERED,
    "办结": S.RESOLVED,
    "评价": S.RATED,
    "结案": S.CLOSED,
    "重新办理": S.REOPENED,
    "撤销": S.CANCELLED,
}  # fmt: skip


def status_named(word: str) -> Status | None:
    """The status ``word`` names: its code (resolved), label (已办结) or a common word."""
    word = word.strip()
    if word.lower() in {s.value for s in Status}:
        return Status(word.lower())
    for status, label in STATUS_LABELS.items():
        if word == label:
            return status
    return _STATUS_WORDS.get(word)


_VERBS: dict[Action, str] = {
    A.ASSIGN: "交办",
    A.ACCEPT: "签收",
    A.TRANSFER: "转办",
    A.ANSWER: "答复",
    A.RESOLVE: "办结",
    A.RATE: "评价",
    A.CLOSE: "结案",
    A.REOPEN: "重新办理",
    A.CANCEL: "撤销",
    A.TAKE_OVER: "接手",
    A.RETURN: "退回",
}


class IllegalTransition(Refused):
    """An action not allowed from the case's current status; carries a message for people."""

    def __init__(self, status: Status, action: Action) -> None:
        self.status, self.action = status, action
        message = f"该工单当前状态为“{STATUS_LABELS[status]}”，不能{_VERBS[action]}。"
        if status in (S.ASSIGNED, S.REOPENED) and action in (A.TRANSFER, A.ANSWER, A.RESOLVE):
            message += "请先签收（受理）。"
        super().__init__(message)


def next_status(current: str, action: Action) -> Status:
    status = Status(current)
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise IllegalTransition(status, action) from None
