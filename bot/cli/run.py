"""``grid-intake demo`` and ``grid-intake run``."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    demo = sub.add_parser(
        "demo", parents=[common], help="interactive terminal demo on SQLite with the sample county"
    )
    demo.add_argument("--county", type=Path, help="county file (default: the sample county)")
    demo.set_defaults(run=_demo)

    run = sub.add_parser(
        "run", parents=[common], help="production: web app, outbox sender and scheduler"
    )
    run.add_argument("part", nargs="?", choices=("all", "web", "worker"), default="all")
    run.add_argument("--no-scheduler", action="store_true", help="do not start the scheduler")
    run.set_defaults(run=_run)


def _demo(settings: Settings, args: argparse.Namespace) -> int:
    from bot.demo import run_demo

    return run_demo(settings, county_file=args.county)


def _run(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import has_county, open_database
    from bot.serve import serve

    engine, sessions = open_database(settings)
    try:
        if not has_county(sessions):
            # Serving without a county greets residents and asks a question with no options.
            raise UserError(
                "数据库中还没有县的数据，无法启动：请先运行 grid-intake county import FILE.yaml"
                "（示例县：storage/data/yangshuo.yaml）"
            )
    finally:
        engine.dispose()
    return serve(settings, args.part, scheduler=not args.no_scheduler)
