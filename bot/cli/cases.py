"""``grid-intake simulate`` and ``grid-intake cases list``."""

from __future__ import annotations

import argparse
import asyncio
import json
import tempfile
from pathlib import Path

from sqlalchemy import select

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    simulate = sub.add_parser(
        "simulate",
        parents=[common],
        help="replay a scripted conversation on a virtual clock, on a fresh temporary database "
        "unless --db is given",
    )
    simulate.add_argument("script", type=Path)
    simulate.add_argument("--county", type=Path, help="county file (default: the sample county)")
    simulate.add_argument("--start", help="ISO start time of the virtual clock (default: now)")

    simulate.set_defaults(run=_simulate)

    cases = sub.add_parser("cases", parents=[common], help="the case ledger")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    listing = cases_sub.add_parser("list", parents=[common], help="list cases")
    listing.add_argument("--json", action="store_true")
    listing.add_argument(
        "--status", help="a status code (resolved) or its Chinese name (已办结, 办结, 已签收…)"
    )
    listing.set_defaults(run=_list)


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    if not args.script.exists():
        raise UserError(f"no such script: {args.script}")
    if getattr(args, "db", None):
        return _replay(settings, args)
    # Without --db, a fresh database of its own: a script must never act on the demo's
    # (or production's) cases.
    with tempfile.TemporaryDirectory(prefix="grid-intake-simulate-") as folder:
        settings.db = f"sqlite:///{Path(folder) / 'simulate.sqlite3'}"
        settings.data_dir = Path(folder)
        return _replay(settings, args)


def _replay(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import SAMPLE_COUNTY, build_app
    from bot.simulator import ScriptError, Simulation, start_clock

    try:
        clock = start_clock(args.start, settings.tz)
    except ValueError:
        raise UserError(f"--start is not an ISO time: {args.start}") from None
    app = build_app(settings, clock, county_file=args.county or SAMPLE_COUNTY)
    try:
        simulation = Simulation.attach(app, clock)
        lines = args.script.read_text(encoding="utf-8").splitlines()
        try:
            transcript = asyncio.run(simulation.run_script(lines))
        except ScriptError as error:
            raise UserError(f"{args.script}: {error}") from None
        for line in transcript:
            print(json.dumps(line, ensure_ascii=False))
    finally:
        app.engine.dispose()
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from casework.lifecycle import STATUS_LABELS, status_named
    from office.ledger import case_as_json, case_as_text
    from storage.db import transaction
    from storage.models import Case

    status = status_named(args.status) if args.status else None
    if args.status and status is None:
        valid = "、".join(f"{code.value}（{label}）" for code, label in STATUS_LABELS.items())
        raise UserError(f"没有“{args.status}”这个状态；可用：{valid}")
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        query = select(Case).order_by(Case.id)
        if status is not None:
            query = query.where(Case.status == status.value)
        cases = session.scalars(query).all()
        if args.json:
            rows = [case_as_json(case, settings.tz) for case in cases]
            print(json.dumps(rows, ensure_ascii=False, indent=2))
        else:
            for case in cases:
                print(case_as_text(case, settings.tz))
            if not cases:
                print("no cases")
    return 0
