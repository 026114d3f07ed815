"""The demo serves the dashboard with a demo office account; the SQL form of the overdue rule
answers as casework.overdue does; the benchmark command runs."""

from __future__ import annotations

import asyncio
import socket
from datetime import timedelta

import httpx
from sqlalchemy import select

from bot.cli import main
from bot.demo_dashboard import DEMO_ACCOUNT, DEMO_PASSWORD, demo_account, serve_dashboard
from casework.overdue import is_overdue, late_limit, overdue_clause
from office.dashboard_bench import fill_cases
from storage.db import transaction
from storage.models import Case
from tests.office.dashboard_helpers import log_in, web_client


def test_the_demo_account_logs_in_and_is_made_again_on_each_start(app):
    demo_account(app)
    demo_account(app)  # a second start: the same account, the same password
    assert log_in(web_client(app), DEMO_ACCOUNT, DEMO_PASSWORD).status_code == 303


async def test_the_demo_serves_the_dashboard_beside_the_chat(sqlite_sim):
    app = sqlite_sim.app
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    app.settings.http = f"127.0.0.1:{port}"
    stop = asyncio.Event()
    served = await serve_dashboard(app, sqlite_sim.sender.drain, stop)
    assert served is not None
    address = served.address
    assert address == f"http://127.0.0.1:{port}/office/"
    try:
        async with httpx.AsyncClient() as client:
            for _ in range(100):
                try:
                    response = await client.get(address + "login")
                    break
                except httpx.ConnectError:
                    await asyncio.sleep(0.05)
            assert response.status_code == 200 and "登录代表工委工作台" in response.text
        busy = await serve_dashboard(app, sqlite_sim.sender.drain, stop)
        assert busy is None  # the port is taken: the demo goes on without it
    finally:
        stop.set()
        await asyncio.wait_for(served.task, 10)


def test_the_sql_overdue_rule_answers_as_the_python_one(app, clock):
    fill_cases(app.sessions, 3000, clock.now())
    for shift in (timedelta(0), timedelta(days=-200), timedelta(days=20)):
        now = clock.now() + shift
        with transaction(app.sessions) as session:
            cases = session.scalars(select(Case)).all()
            late = {c.id for c in cases if is_overdue(c, now)}
            by_limit = {
                limit: {c.id for c in cases if late_limit(c, now) == limit}
                for limit in ("accept", "answer")
            }
            assert late and by_limit["accept"] and by_limit["answer"]
            assert set(session.scalars(select(Case.id).where(overdue_clause(now)))) == late
            for limit, ids in by_limit.items():
                query = select(Case.id).where(overdue_clause(now, limit))
                assert set(session.scalars(query)) == ids, limit


def test_bench_dashboard_prints_ms_per_page(capsys):
    assert main(["bench", "dashboard", "--cases", "300", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "dashboard on sqlite: 300 cases" in out and "case list, page 1" in out
    assert "worst page:" in out
