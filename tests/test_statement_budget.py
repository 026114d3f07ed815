"""What one Telegram update costs the database (issue 15, item 4): the three steps of an intake
run a fixed number of statements, however many open cases the grid already has.

Statements, not milliseconds: a count is the same on every machine. The budgets are what the
steps need today (DESIGN.md §8: one transaction, dedupe, identity, dialog state, the case and
its ledger, the outbox rows); a change that adds a query, a lazy load or a second UPDATE of
the same row fails here and says which step grew.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event

from bot.bootstrap import App
from handlers.incoming import Incoming

PROBLEM = "东岭村的路灯坏了，晚上出门很不安全，麻烦尽快修一下"
OTHER = "东岭村的水管漏水好几天了，路面都是水"

# start: dedupe, a new identity and resident, a new dialog state, the reception hours, the
# reply. problem: dedupe, identity, state, the duplicate check, the 我也遇到 candidates and
# the one offered, the state's UPDATE, the reply. confirm: the same first steps, grid, load,
# ticket, the case, its two ledger rows, its alarms, the state, two replies and the deputy's
# chats. PostgreSQL writes the two ledger rows in one INSERT. No savepoint: a refusal rolls
# the whole transaction back and records the message again with only the reason.
BUDGETS = {
    "sqlite": {"start": 10, "problem": 8, "confirm": 15},
    "postgresql": {"start": 10, "problem": 8, "confirm": 14},
}


@contextmanager
def counting(app: App) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement: str, *_args) -> None:
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(app.engine, "before_cursor_execute", count)


class Resident:
    def __init__(self, app: App, user: int) -> None:
        self.app, self.user, self.sent = app, str(user), 0

    def send(self, **fields: str) -> None:
        self.sent += 1
        incoming = Incoming(
            channel="telegram",
            chat_id=self.user,
            user_id=self.user,
            message_id=f"{self.user}:{self.sent}",
            display_name="居民",
            **fields,
        )
        assert self.app.dispatcher.handle(incoming).handled

    def intake(self, text: str) -> dict[str, int]:
        """The bench's three steps; the statements each ran."""
        counts = {}
        for step, fields in (
            ("start", {"start": "ST-DL"}),
            ("problem", {"text": text}),
            ("confirm", {"action": "intake:submit"}),
        ):
            with counting(self.app) as statements:
                self.send(**fields)
            counts[step] = len(statements)
        return counts


def test_an_intake_runs_a_fixed_number_of_statements(app: App) -> None:
    budget = BUDGETS[app.engine.dialect.name]
    first = Resident(app, 7_000_001).intake(PROBLEM)
    assert first["problem"] == budget["problem"] - 1  # nothing similar to offer yet
    second = Resident(app, 7_000_002).intake(PROBLEM)
    assert second == budget

    # Twenty more open cases in the grid, alike and not: the 我也遇到 look-up reads their
    # texts in one query and loads only the case it offers, so the count does not grow.
    for user in range(7_000_003, 7_000_023):
        Resident(app, user).intake(PROBLEM if user % 2 else OTHER)
    assert Resident(app, 7_000_099).intake(PROBLEM) == budget


def test_a_redelivered_update_runs_one_statement(app: App) -> None:
    resident = Resident(app, 7_000_001)
    resident.send(start="ST-DL")
    again = Incoming(
        channel="telegram", chat_id=resident.user, user_id=resident.user,
        message_id=f"{resident.user}:1", start="ST-DL",
    )  # fmt: skip
    with counting(app) as statements:
        assert not app.dispatcher.handle(again).handled
    assert len(statements) == 1  # the ignored INSERT; no savepoint, nothing else
