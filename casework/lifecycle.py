"""The case lifecycle (DESIGN.md §4) as one table: which action moves which status where.

```mermaid
stateDiagram-v2
    [*] --> submitted: SubmitCase (受理)
    submitted --> assigned: AssignCase (交办)
    assigned --> accepted: AcceptCase (签收)
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
    reopened --> accepted: AcceptCase
    submitted --> cancelled: CancelCase
    assigned --> cancelled: CancelCase
```
"""

from __future__ import annotations

from enum import StrEnum

from casework.errors import Refused

__all__ = ["STATUS_LABELS", "TRANSITIONS", "Action", "IllegalTransition", "Status", "next_status"]


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
}

STATUS_LABELS: dict[Status, str] = {
    S.SUBMITTED: "已受理",
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
