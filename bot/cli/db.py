"""``grid-intake db upgrade``: migrate the schema once, before the processes start (the
Procfile's release phase). Every process still migrates at start, safely (a lock), so this
is about doing it once and failing early, not about correctness."""

from __future__ import annotations

import argparse

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    db = sub.add_parser("db", parents=[common], help="the database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = db_sub.add_parser(
        "upgrade", parents=[common], help="migrate the schema to the latest revision"
    )
    upgrade.set_defaults(run=_upgrade)


def _upgrade(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy.exc import OperationalError

    from bot.bootstrap import open_database
    from storage.db import current_revision

    try:
        engine, _sessions = open_database(settings)
    except OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        raise UserError(f"cannot reach the database: {reason}") from None
    try:
        print(f"database schema at revision {current_revision(engine)} (latest)")
    finally:
        engine.dispose()
    return 0
