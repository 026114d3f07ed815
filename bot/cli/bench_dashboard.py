"""``grid-intake bench dashboard --cases N [--db URL]``: the dashboard's pages on N cases."""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register_bench"]


def register_bench(bench_sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    bench = bench_sub.add_parser(
        "dashboard", parents=[common], help="server time per page of the office's dashboard"
    )
    bench.add_argument("--cases", type=int, default=100_000)
    bench.add_argument("--repeat", type=int, default=5, help="timed runs per page")
    bench.set_defaults(run=_bench_dashboard)


def _bench_dashboard(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import func, select

    with tempfile.TemporaryDirectory() as folder:
        if not settings.db:  # a fresh SQLite file, removed afterwards
            settings.db = f"sqlite:///{Path(folder) / 'bench.sqlite3'}"
        from bot.bootstrap import SAMPLE_COUNTY, build_app
        from casework.clock import SystemClock
        from storage.db import transaction
        from storage.models import Case

        app = build_app(settings, SystemClock(), county_file=SAMPLE_COUNTY)
        with transaction(app.sessions) as session:
            if session.scalar(select(func.count()).select_from(Case)):
                raise UserError("bench dashboard needs a database without cases (it adds its own)")
        try:
            return _run(app, args)
        finally:
            app.engine.dispose()


def _run(app, args: argparse.Namespace) -> int:
    """``app``: a ``bot.bootstrap.App`` on the database to fill."""
    import warnings

    warnings.filterwarnings("ignore", "Using `httpx` with `starlette.testclient`")
    from starlette.testclient import TestClient

    from bot.web import make_web_app
    from office.dashboard import Dashboard, make_dashboard
    from office.dashboard_bench import fill_cases, time_pages
    from office.staff import add_staff, set_password
    from storage.db import transaction

    now = app.clock.now()
    started = time.perf_counter()
    fill_cases(app.sessions, args.cases, now)
    filled = time.perf_counter() - started
    with transaction(app.sessions) as session:
        made = add_staff(session, "bench", "office", None, now)
        set_password(session, made.token, "bench-password", now)
    dashboard = make_dashboard(Dashboard(app.sessions, app.services, app.clock))
    client = TestClient(make_web_app(app.engine, channels=[], office=dashboard))
    login = client.get("/office/login")
    csrf = login.text.split('name="csrf" value="')[1].split('"')[0]
    client.post("/office/login", data={"csrf": csrf, "name": "bench", "password": "bench-password"})

    def get(path: str) -> tuple[int, int]:
        response = client.get(path, follow_redirects=False)
        return response.status_code, len(response.content)

    dialect = app.engine.dialect.name
    print(f"dashboard on {dialect}: {args.cases} cases filled in {filled:.1f} s; "
          f"ms per page (median / max of {args.repeat}):")  # fmt: skip
    zone = app.services.casework.calendar.zone
    with transaction(app.sessions) as session:
        timings = time_pages(get, session, now, zone, repeat=args.repeat)
    for t in timings:
        print(f"  {t.name:<24} {t.median_ms:8.1f} {t.max_ms:8.1f}   ({t.rows // 1024} KB)")
    worst = max(t.max_ms for t in timings)
    print(f"worst page: {worst:.1f} ms (target ≤ 300 ms)")
    return 0
