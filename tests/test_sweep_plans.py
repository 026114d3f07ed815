"""The sweeps and the outbox claim look only at what is due: EXPLAIN of every statement they
run, on tables big enough that a planner would rather scan them, with and without ANALYZE
statistics — no sequential scan of a large table (SQLite and, with GRID_INTAKE_TEST_PG,
PostgreSQL with ``enable_seqscan`` left on)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, event, insert, text
from sqlalchemy.orm import Session

import casework.sweeps as sweeps
from casework.alarms import Interpretation
from casework.outbox import archive_sent, claim
from storage.db import make_engine, migrate
from storage.models import CaseAlarm, DialogState, OutboxMessage, Survey
from tests.conftest import PG_URL, _reset_postgres

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
HISTORY = 20_000
BIG = ("case_alarms", "dialog_states", "surveys", "outbox")


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'plans.sqlite3'}"
    else:
        if not PG_URL:
            pytest.skip("GRID_INTAKE_TEST_PG is not set")
        _reset_postgres(PG_URL)
        url = PG_URL
    engine = make_engine(url)
    migrate(engine)
    _load(engine)
    yield engine
    engine.dispose()


def _load(engine: Engine) -> None:
    """History with a few due rows; foreign keys off (no cases behind the rows)."""
    past, future = NOW - timedelta(days=30), NOW + timedelta(days=3)
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            c.exec_driver_sql("SET LOCAL session_replication_role = replica")
        alarms = [
            {"case_id": i, "round": 0, "kind": "accept_75", "due_at": past, "status": "fired"}
            for i in range(HISTORY)
        ]
        alarms += [
            {"case_id": HISTORY + i, "round": 0, "kind": "accept_75", "due_at": t,
             "status": "pending"}
            for i, t in enumerate([NOW - timedelta(minutes=1)] * 20 + [future] * 200)
        ]  # fmt: skip
        c.execute(insert(CaseAlarm), alarms)
        dialogs = [
            {"channel": "telegram", "chat_id": str(i), "user_id": str(i), "state": "idle",
             "data": {}, "choices": [], "updated_at": past, "expires_at": None}
            for i in range(HISTORY)
        ]  # fmt: skip
        dialogs += [
            {**dialogs[0], "chat_id": f"d{i}", "user_id": f"d{i}", "state": "describing",
             "expires_at": NOW - timedelta(minutes=1) if i < 5 else future}
            for i in range(50)
        ]  # fmt: skip
        c.execute(insert(DialogState), dialogs)
        surveys = [
            {"case_id": i, "round": 0, "kind": "rating", "status": "answered", "ask_at": past,
             "remind_at": None, "expires_at": past}
            for i in range(HISTORY)
        ]  # fmt: skip
        surveys += [
            {**surveys[0], "case_id": HISTORY + i, "status": status, "ask_at": future,
             "remind_at": future, "expires_at": future}
            for i, status in enumerate(["open"] * 100 + ["scheduled"] * 100)
        ]  # fmt: skip
        c.execute(insert(Survey), surveys)
        outbox = [
            {"recipient": f"chat:telegram:{i % 500}", "channel": "telegram",
             "chat_id": str(i % 500), "text": "x", "choices": [], "kind": "",
             "status": "sent", "attempts": 1, "created_at": past, "not_before": past,
             "sent_at": past}
            for i in range(HISTORY)
        ]  # fmt: skip
        outbox += [{**outbox[i], "status": "pending", "sent_at": None} for i in range(50)]
        c.execute(insert(OutboxMessage), outbox)


def _statements(engine: Engine, run) -> list[tuple[str, object]]:
    seen: list[tuple[str, object]] = []

    def record(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().upper().startswith(("SELECT", "UPDATE")):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        with Session(engine) as session:
            run(session)
            session.rollback()
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return seen


def _scans(engine: Engine, statement: str, parameters: object) -> list[str]:
    """The sequential scans of big tables in the statement's plan."""
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            rows = c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            details = [row[-1] for row in rows]
            return [d for d in details if any(d == f"SCAN {t}" or (d.startswith(f"SCAN {t} ")
                    and "INDEX" not in d) for t in BIG)]  # fmt: skip
        plan = c.exec_driver_sql("EXPLAIN (FORMAT JSON) " + statement, parameters).scalar()
        plan = plan if isinstance(plan, list) else json.loads(plan)
        found: list[str] = []

        def walk(node: dict) -> None:
            if node.get("Node Type") == "Seq Scan" and node.get("Relation Name") in BIG:
                found.append(f"Seq Scan on {node['Relation Name']}")
            for child in node.get("Plans", []):
                walk(child)

        walk(plan[0]["Plan"])
        return found


def _sweep(session: Session) -> None:
    cw = SimpleNamespace(sla=SimpleNamespace(waking=lambda _calendar, now: now), calendar=None)
    sweeps.next_dialog_expiry(session)
    assert len(sweeps.expire_dialogs(cw, session, NOW)) == 5  # type: ignore[arg-type]
    assert sweeps.next_alarm(session) is not None
    sweeps.fire_alarms(cw, session, NOW)  # type: ignore[arg-type]
    sweeps.next_survey_step(session)
    sweeps.run_surveys(cw, session, NOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("analyze", [False, True], ids=["no-statistics", "analyzed"])
def test_no_sweep_statement_scans_a_large_table(
    engine: Engine, analyze: bool, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(sweeps, "_is_reminder_time", lambda _cw, _now: True)
    claimed: list[int] = []

    def interpret(_cw, _session, _now, rows):
        claimed.extend(r.id for r in rows)
        return Interpretation()

    monkeypatch.setattr(sweeps, "interpret", interpret)
    if analyze:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    statements = _statements(engine, _sweep)
    assert len(claimed) == 20
    assert len(statements) >= 10
    for statement, parameters in statements:
        assert _scans(engine, statement, parameters) == [], statement


@pytest.mark.parametrize("analyze", [False, True], ids=["no-statistics", "analyzed"])
def test_the_outbox_claim_goes_through_the_pending_index(engine: Engine, analyze: bool):
    if analyze:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    rows: list = []

    def run(session: Session) -> None:
        rows.extend(claim(session, NOW, ["telegram"], 50, timedelta(minutes=5)))
        assert archive_sent(session, NOW, 60) == 0  # the retention job's search

    statements = _statements(engine, run)
    assert len(rows) == 50
    for statement, parameters in statements:
        assert _scans(engine, statement, parameters) == [], statement
        if (
            engine.dialect.name == "sqlite"
            and "FROM outbox" in statement
            and "sent" not in statement
        ):
            assert "INDEXED BY" in statement


def _claim_work(engine: Engine, statement: str, parameters: object) -> int:
    """Work the claim's search does, counted so it doesn't depend on the machine's speed:
    buffers touched on PostgreSQL, virtual-machine steps (in thousands) on SQLite."""
    with engine.connect() as c:
        if engine.dialect.name == "postgresql":
            plan = c.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
            ).scalar()
            plan = plan if isinstance(plan, list) else json.loads(plan)
            top = plan[0]["Plan"]
            return int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])
        raw = c.connection.dbapi_connection
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        raw.set_progress_handler(count, 1000)
        try:
            c.exec_driver_sql(statement, parameters).all()
        finally:
            raw.set_progress_handler(None, 0)
        return steps[0]


@pytest.mark.parametrize("analyze", [False, True], ids=["no-statistics", "analyzed"])
def test_the_claims_work_grows_with_what_waits_not_with_its_square(engine: Engine, analyze: bool):
    """2,000 pending rows to 1,000 chats: without statistics PostgreSQL once compared every
    pending row with every other (a nested loop, 200 ms at 1,000 pending; issue 15)."""
    past = NOW - timedelta(minutes=1)
    with engine.begin() as c:
        c.execute(
            insert(OutboxMessage),
            [{"recipient": f"chat:telegram:p{i % 1000}", "channel": "telegram",
              "chat_id": f"p{i % 1000}", "text": "x", "choices": [], "kind": "",
              "status": "pending", "attempts": 0, "created_at": past, "not_before": past}
             for i in range(2000)],
        )  # fmt: skip
        if analyze:
            c.execute(text("ANALYZE"))
    rows: list = []
    statements = _statements(
        engine,
        lambda session: rows.extend(claim(session, NOW, ["telegram"], 50, timedelta(seconds=20))),
    )
    assert len(rows) == 50
    search = next(s for s in statements if "earlier" in s[0])
    work = _claim_work(engine, *search)
    # Measured here: PostgreSQL 7,213 buffers without statistics and 103 with (the anti-join
    # it chose before: 3,121,407); SQLite 2 thousand steps.
    limit = 30_000 if engine.dialect.name == "postgresql" else 20
    assert work < limit, f"the claim's search did {work} units of work"


def test_the_open_case_index_holds_exactly_the_open_statuses():
    from casework.routing import OPEN_STATUSES
    from storage.models import PARTIAL

    listed = PARTIAL["case_open"].removeprefix("status IN (").removesuffix(")")
    assert [s.strip(" '") for s in listed.split(",")] == [str(s) for s in OPEN_STATUSES]


def _plan_text(engine: Engine, statement: str, parameters: object) -> str:
    with engine.connect() as c:
        if engine.dialect.name == "sqlite":
            rows = c.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            return "\n".join(str(row[-1]) for row in rows)
        rows = c.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return "\n".join(str(row[0]) for row in rows)


@pytest.mark.parametrize("analyze", [False, True], ids=["no-statistics", "analyzed"])
def test_routing_and_me_too_read_only_open_cases(engine: Engine, analyze: bool):
    """20,000 closed cases of one deputy in one grid and category, 5 open: the load count
    and the 我也遇到 search go through an open-case index."""
    from casework.metoo import similar_open_case
    from casework.routing import open_case_counts
    from storage.models import Case, ChatIdentity

    past = NOW - timedelta(days=2)
    with engine.begin() as c:
        if engine.dialect.name == "sqlite":
            c.exec_driver_sql("PRAGMA foreign_keys=OFF")
        else:
            c.exec_driver_sql("SET LOCAL session_replication_role = replica")
        c.execute(
            insert(Case),
            [{"ticket": f"P-{i}", "resident_id": 1, "origin_identity_id": 1, "text": "路灯坏了",
              "text_digest": f"p{i}", "photos": [], "grid_code": "G1", "station_code": "S1",
              "category": "城乡建设", "confidence": 0.9, "keywords": [], "urgent": False,
              "request_type": "求助", "status": "closed" if i >= 5 else "assigned",
              "deputy_code": "D1", "created_at": past, "round": 0}
             for i in range(HISTORY)],
        )  # fmt: skip
        if analyze:
            c.execute(text("ANALYZE"))
    identity = ChatIdentity(id=999, resident_id=999)

    def run(session: Session) -> None:
        assert open_case_counts(session, ["D1"]) == {"D1": 5}
        similar_open_case(
            session, grid_code="G1", category="城乡建设", text="路灯坏了", identity=identity,
            now=NOW,
        )  # fmt: skip

    plans = [_plan_text(engine, *s) for s in _statements(engine, run) if "FROM cases" in s[0]]
    searches = [p for p in plans if "PRIMARY KEY" not in p and "cases_pkey" not in p]
    assert len(searches) == 2  # (then the chosen case, by its id)
    for plan in searches:  # either open-case index will do: both hold only what is open
        assert "ix_cases_open_" in plan, plan
