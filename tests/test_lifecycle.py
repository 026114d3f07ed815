"""The case lifecycle (DESIGN.md §4): allowed moves, and clear refusals for everything else."""

from __future__ import annotations

import pytest

from casework.errors import Refused
from casework.lifecycle import (
    STATUS_LABELS,
    TRANSITIONS,
    Action,
    IllegalTransition,
    Status,
    next_status,
)

ILLEGAL = [
    (status, action)
    for status in Status
    for action in Action
    if (status, action) not in TRANSITIONS
]


@pytest.mark.parametrize(
    ("status", "action"), ILLEGAL, ids=[f"{s.value}-{a.value}" for s, a in ILLEGAL]
)
def test_a_move_not_in_the_table_is_refused_naming_the_current_status(
    status: Status, action: Action
) -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status(status.value, action)

    assert f"当前状态为“{STATUS_LABELS[status]}”" in str(refused.value)
    assert (refused.value.status, refused.value.action) == (status, action)
    assert isinstance(refused.value, Refused)  # shown to the user, nothing changed


@pytest.mark.parametrize(
    ("status", "action", "expected"),
    [
        (Status.SUBMITTED, Action.ASSIGN, Status.ASSIGNED),
        (Status.ASSIGNED, Action.ACCEPT, Status.ACCEPTED),
        (Status.ACCEPTED, Action.ANSWER, Status.ANSWERED),
        (Status.ANSWERED, Action.RESOLVE, Status.RESOLVED),
        (Status.RESOLVED, Action.RATE, Status.RATED),
        (Status.RATED, Action.CLOSE, Status.CLOSED),
        (Status.RATED, Action.REOPEN, Status.REOPENED),
        (Status.REOPENED, Action.ACCEPT, Status.ACCEPTED),
        (Status.ASSIGNED, Action.CANCEL, Status.CANCELLED),
    ],
    ids=lambda value: value.value,
)
def test_the_usual_moves_are_allowed(status: Status, action: Action, expected: Status) -> None:
    assert next_status(status.value, action) == expected


def test_answering_before_accepting_tells_the_deputy_to_accept_first() -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status("assigned", Action.ANSWER)

    assert str(refused.value) == "该工单当前状态为“已交办代表”，不能答复。请先签收（受理）。"


def test_a_cancelled_case_is_not_told_to_accept_first() -> None:
    with pytest.raises(IllegalTransition) as refused:
        next_status("cancelled", Action.ANSWER)

    assert str(refused.value) == "该工单当前状态为“已撤销”，不能答复。"


def test_no_move_leaves_a_cancelled_case() -> None:
    assert [a for s, a in TRANSITIONS if s is Status.CANCELLED] == []
