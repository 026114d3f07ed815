"""``grid-intake``: the command line of INTERFACES.md.

Each topic's commands live in their own module and register themselves on the parser
(``register(sub, common)``), setting ``run`` to the function that carries them out.

Exit status: 0 success, 1 user error (one line on stderr), 2 usage error (argparse).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from bot.cli import cases, county, db, duty, nlp, office, run, staff, suggestions
from bot.cli.common import UserError, settings_from

__all__ = ["UserError", "main"]

# The order of the help text.
TOPICS = (run, db, county, nlp, cases, office, staff, suggestions, duty)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="grid-intake",
        description="Routes residents' problems to their grid's People's Congress deputy.",
    )
    parser.add_argument(
        "--db", help="SQLAlchemy URL (default: SQLite in the data folder; env GRID_INTAKE_DB)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    # --db is accepted before or after the command (INTERFACES.md writes it after).
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for topic in TOPICS:
        topic.register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    from storage.county_file import CountyFileError

    try:
        return int(args.run(settings_from(args), args))
    except UserError as error:
        print(f"grid-intake: {error}", file=sys.stderr)
        return 1
    except CountyFileError as error:
        # Several lines: the staff need every error of the file at once.
        print(f"grid-intake: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `grid-intake report … | head`: the reader left. Python's documented recipe: point
        # stdout at devnull so the flush at exit does not raise again, and exit 1.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
