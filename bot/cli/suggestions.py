"""``grid-intake suggestions``: the county's monthly digest of hometown suggestions, and the
precision and recall of the similarity that merges repeats (``similarity``)."""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]

_PAIRS = Path(__file__).resolve().parents[2] / "tests" / "data" / "similar_pairs.csv"


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    topic = sub.add_parser("suggestions", parents=[common], help="hometown suggestions (家乡建议)")
    actions = topic.add_subparsers(dest="suggestions_command", required=True, metavar="ACTION")
    digest = actions.add_parser(
        "digest", parents=[common], help="the county's digest of a month (汇总报送)"
    )
    digest.add_argument("--month", required=True, metavar="YYYY-MM")
    digest.add_argument("--xlsx", type=Path, metavar="FILE", help="also write an Excel workbook")
    digest.set_defaults(run=_digest)
    similar = actions.add_parser(
        "similarity",
        parents=[common],
        help="precision/recall of the repeat merge on labelled pairs (a,b,similar)",
    )
    similar.add_argument("pairs", nargs="?", type=Path, default=_PAIRS, metavar="PAIRS.csv")
    similar.add_argument(
        "--county", type=Path, help="county file for place names (default: sample)"
    )
    similar.add_argument("--threshold", type=float, help="score at this threshold instead")
    similar.add_argument("--json", action="store_true", help="print JSON")
    similar.set_defaults(run=_similarity)


def _digest(settings: Settings, args: argparse.Namespace) -> int:
    from zoneinfo import ZoneInfo

    from bot.bootstrap import open_database
    from office.suggestion_report import digest_text, write_digest_xlsx
    from storage.db import transaction

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise UserError(f"--month must look like 2026-11, not {args.month!r}")
    zone = ZoneInfo(settings.tz)
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        print(digest_text(session, args.month, zone))
        if args.xlsx:
            count = write_digest_xlsx(session, args.month, zone, args.xlsx)
            print(f"\n已写入 {args.xlsx}（{count} 条）")
    return 0


def _similarity(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import SAMPLE_COUNTY
    from nlp.similarity import SIMILAR
    from office.similarity_eval import county_places, evaluate, read_pairs, render

    try:
        pairs = read_pairs(args.pairs)
        places = county_places(args.county or SAMPLE_COUNTY)
    except (OSError, ValueError, KeyError) as error:
        raise UserError(str(error)) from None
    result = evaluate(pairs, places, args.threshold if args.threshold is not None else SIMILAR)
    print(json.dumps(result, ensure_ascii=False, indent=1) if args.json else render(result))
    return 0
