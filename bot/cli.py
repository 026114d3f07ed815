"""``grid-intake``: the command line of INTERFACES.md.

Exit status: 0 success, 1 user error (one line on stderr), 2 usage error (argparse).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select

from bot.settings import Settings

__all__ = ["main"]


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 1."""


def _settings(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "db", None):
        settings.db = args.db
    return settings


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

    demo = sub.add_parser(
        "demo", parents=[common], help="interactive terminal demo on SQLite with the sample county"
    )
    demo.add_argument("--county", type=Path, help="county file (default: the sample county)")

    run = sub.add_parser(
        "run", parents=[common], help="production: web app, outbox sender and scheduler"
    )
    run.add_argument("part", nargs="?", choices=("all", "web", "worker"), default="all")
    run.add_argument("--no-scheduler", action="store_true", help="do not start the scheduler")

    county = sub.add_parser("county", parents=[common], help="import, export or show the county")
    county_sub = county.add_subparsers(dest="county_command", required=True, metavar="ACTION")
    imp = county_sub.add_parser(
        "import", parents=[common], help="load a county file (idempotent by code)"
    )
    imp.add_argument("file", type=Path)
    exp = county_sub.add_parser(
        "export", parents=[common], help="print the county file of the database"
    )
    exp.add_argument("-o", "--output", type=Path)
    show = county_sub.add_parser("show", parents=[common], help="summarise the county")
    show.add_argument("--json", action="store_true")

    classify = sub.add_parser(
        "classify", parents=[common], help="classify texts, one JSON object per text"
    )
    classify.add_argument("texts", nargs="+", metavar="TEXT")
    classify.add_argument("--model", type=Path, help="keyword file (default: the shipped one)")

    simulate = sub.add_parser(
        "simulate", parents=[common], help="replay a scripted conversation on a virtual clock"
    )
    simulate.add_argument("script", type=Path)
    simulate.add_argument("--county", type=Path, help="county file (default: the sample county)")
    simulate.add_argument("--start", help="ISO start time of the virtual clock (default: now)")

    nlp = sub.add_parser("nlp", parents=[common], help="evaluate, learn or check keyword files")
    nlp_sub = nlp.add_subparsers(dest="nlp_command", required=True, metavar="ACTION")
    evaluate = nlp_sub.add_parser(
        "eval", parents=[common], help="accuracy, macro-F1, per class, confusion"
    )
    evaluate.add_argument("file", type=Path, metavar="FILE.csv")
    evaluate.add_argument("--model", type=Path, help="keyword file (default: the shipped one)")
    evaluate.add_argument("--json", action="store_true")
    learning = nlp_sub.add_parser(
        "learn", parents=[common], help="learn keyword weights from labelled messages"
    )
    learning.add_argument("file", type=Path, metavar="FILE.csv")
    learning.add_argument("-o", "--output", type=Path, required=True, metavar="MODEL.yaml")
    learning.add_argument("--bigrams", action="store_true", help="also pairs of adjacent words")
    learning.add_argument("--c", type=float, default=1.0, help="SVM regularisation (default 1)")
    learning.add_argument("--min-count", type=int, default=1, help="messages a word needs")
    learning.add_argument("--prune", type=float, default=0.02, help="drop relatively tiny weights")
    check = nlp_sub.add_parser(
        "check", parents=[common], help="validate a keyword file before putting it live"
    )
    check.add_argument("file", type=Path, metavar="MODEL.yaml")

    bench = sub.add_parser("bench", parents=[common], help="measure")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    bench_nlp = bench_sub.add_parser(
        "nlp", parents=[common], help="ms per message and memory of classify"
    )
    bench_nlp.add_argument("--model", type=Path)
    bench_nlp.add_argument(
        "--data", type=Path, help="labelled CSV (default tests/data/messages.csv)"
    )
    bench_nlp.add_argument("--messages", type=int, default=2000)
    bench_nlp.add_argument("--length", type=int, default=200, help="characters per message")
    bench_nlp.add_argument("--compare", action="store_true", help="vs jieba TF-IDF + LinearSVC")
    bench_tg = bench_sub.add_parser("telegram", parents=[common], help="outbox → fake Bot API")
    bench_tg.add_argument("--messages", type=int, default=10_000)
    bench_tg.add_argument("--chats", type=int, default=2_000)
    bench_tg.add_argument("--random-429", type=float, default=0.02, help="share of sends refused")

    deputy = sub.add_parser("deputy", parents=[common], help="deputy accounts")
    deputy_sub = deputy.add_subparsers(dest="deputy_command", required=True, metavar="ACTION")
    invite = deputy_sub.add_parser(
        "invite", parents=[common], help="print a one-time Telegram link for a deputy"
    )
    invite.add_argument("code", metavar="CODE")
    invite.add_argument("--bot-username", help="the bot's @username (env TELEGRAM_BOT_USERNAME)")
    invite.add_argument("--days", type=int, default=14, help="how long the link works")

    qr = sub.add_parser("qr", parents=[common], help="printable QR posters (一站一码、一人一码)")
    qr_sub = qr.add_subparsers(dest="qr_channel", required=True, metavar="CHANNEL")
    for channel, what in (
        ("telegram", "deep links t.me/BOT?start=CODE"),
        ("wechat", "permanent QR_LIMIT_STR_SCENE codes, created through the WeChat API"),
    ):
        poster = qr_sub.add_parser(channel, parents=[common], help=what)
        which = poster.add_mutually_exclusive_group(required=True)
        which.add_argument("--station", metavar="CODE")
        which.add_argument("--deputy", metavar="CODE")
        which.add_argument("--all", action="store_true", help="every station and deputy")
        poster.add_argument(
            "-o", "--output", type=Path, required=True, help="PNG file, or a folder with --all"
        )
        if channel == "telegram":
            poster.add_argument(
                "--bot-username", help="the bot's @username (env TELEGRAM_BOT_USERNAME)"
            )

    report = sub.add_parser("report", parents=[common], help="monthly ledger and figures")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--xlsx", type=Path, metavar="FILE", help="also write an Excel workbook")

    cases = sub.add_parser("cases", parents=[common], help="the case ledger")
    cases_sub = cases.add_subparsers(dest="cases_command", required=True, metavar="ACTION")
    listing = cases_sub.add_parser("list", parents=[common], help="list cases")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--status")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return _dispatch(args)
    except UserError as error:
        print(f"grid-intake: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def _dispatch(args: argparse.Namespace) -> int:
    from storage.county_file import CountyFileError

    settings = _settings(args)
    try:
        match args.command:
            case "demo":
                from bot.demo import run_demo

                return run_demo(settings, county_file=args.county)
            case "run":
                from bot.serve import serve

                return serve(settings, args.part, scheduler=not args.no_scheduler)
            case "county":
                return _county(settings, args)
            case "classify":
                return _classify(settings, args)
            case "simulate":
                return _simulate(settings, args)
            case "cases":
                return _cases(settings, args)
            case "nlp" | "bench":
                return _nlp(settings, args)
            case "report":
                return _report(settings, args)
            case "deputy":
                return _invite(settings, args)
            case "qr":
                return _qr(settings, args)
    except CountyFileError as error:
        # Several lines: the staff need every error of the file at once.
        print(f"grid-intake: {error}", file=sys.stderr)
        return 1
    raise AssertionError(args.command)


def _county(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import import_county_file, open_database
    from nlp.classifier import DEFAULT_MODEL, KeywordModel
    from storage.county_file import dump_county_yaml, export_county
    from storage.db import transaction

    _engine, sessions = open_database(settings)
    if args.county_command == "import":
        if not args.file.exists():
            raise UserError(f"no such file: {args.file}")
        summary = import_county_file(
            sessions, args.file, KeywordModel.load(settings.keywords or DEFAULT_MODEL)
        )
        parts = ", ".join(f"{k} {v}" for k, v in summary.counts.items())
        print(
            f"imported {args.file}: {parts} ({summary.created} created, {summary.updated} updated)"
        )
        return 0
    with transaction(sessions) as session:
        data = export_county(session)
    if not data:
        raise UserError("no county in the database; run `grid-intake county import FILE.yaml`")
    if args.county_command == "export":
        text = dump_county_yaml(data)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.json:
        print(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        print(f"{data['county']['name']} ({data['county']['code']}) — {data['office']['name']}")
        for section in ("townships", "stations", "grids", "deputies", "departments"):
            print(f"  {section}: {len(data[section])}")
    return 0


def _nlp(settings: Settings, args: argparse.Namespace) -> int:
    from bot import nlp_commands as commands

    try:
        if args.command == "bench" and args.bench_command == "telegram":
            from bot.channels.telegram.bench import bench_telegram

            return bench_telegram(args.messages, args.chats, args.random_429)
        if args.command == "bench":
            return commands.bench_nlp(
                args.model, args.data, messages=args.messages, length=args.length,
                compare=args.compare,
            )  # fmt: skip
        match args.nlp_command:
            case "eval":
                return commands.evaluate(
                    args.file, args.model or settings.keywords, as_json=args.json
                )
            case "learn":
                return commands.learn_model(
                    args.file, args.output, bigrams=args.bigrams, c=args.c,
                    min_count=args.min_count, prune=args.prune,
                )  # fmt: skip
            case "check":
                return commands.check_model(args.file)
    except commands.NlpCommandError as error:
        raise UserError(str(error)) from None
    raise AssertionError(args.nlp_command)


def _classify(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from casework.directory import CountyDirectory
    from nlp.classifier import DEFAULT_MODEL, Classifier, KeywordModel
    from nlp.places import Gazetteer
    from storage.db import has_schema, transaction

    model_path = args.model or settings.keywords or DEFAULT_MODEL
    if not Path(model_path).exists():
        raise UserError(f"no such model file: {model_path}")
    try:
        model = KeywordModel.load(model_path)
    except ValueError as error:
        raise UserError(str(error)) from None
    gazetteer = Gazetteer()
    db_file_exists = settings.db is not None or (settings.data_dir / "grid-intake.sqlite3").exists()
    if db_file_exists:  # place names of the county, if one has been imported
        engine, sessions = open_database(settings)
        if has_schema(engine):
            with transaction(sessions) as session:
                gazetteer = CountyDirectory.load(session).gazetteer
    classifier = Classifier(model, gazetteer)
    for text in args.texts:
        print(json.dumps(classifier.classify(text).as_json(), ensure_ascii=False))
    return 0


def _simulate(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import SAMPLE_COUNTY, build_app
    from bot.simulator import ScriptError, Simulation, start_clock

    if not args.script.exists():
        raise UserError(f"no such script: {args.script}")
    try:
        clock = start_clock(args.start, settings.tz)
    except ValueError:
        raise UserError(f"--start is not an ISO time: {args.start}") from None
    app = build_app(settings, clock, county_file=args.county or SAMPLE_COUNTY)
    simulation = Simulation.attach(app, clock)
    lines = args.script.read_text(encoding="utf-8").splitlines()
    try:
        transcript = asyncio.run(simulation.run_script(lines))
    except ScriptError as error:
        raise UserError(f"{args.script}: {error}") from None
    for line in transcript:
        print(json.dumps(line, ensure_ascii=False))
    return 0


def _bot_username(settings: Settings, args: argparse.Namespace) -> str:
    """The bot's @username for t.me links: offline, so it comes from the user."""
    username = (args.bot_username or settings.telegram_bot_username or "").lstrip("@")
    if not username:
        raise UserError(
            "the bot's username is needed: --bot-username NAME or TELEGRAM_BOT_USERNAME"
        )
    return username


def _qr(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from bot.posters import entry_posters, wechat_links, write_posters

    _engine, sessions = open_database(settings)
    code = (args.station or args.deputy or "").upper() or None
    try:
        if args.qr_channel == "wechat":
            link = wechat_links(settings, sessions)
        else:
            username = _bot_username(settings, args)

            def link(scene: str) -> str:
                return f"https://t.me/{username}?start={scene}"

        posters = entry_posters(sessions, link, code)
        written = write_posters(posters, args.output, many=args.all)
    except (LookupError, RuntimeError) as error:
        raise UserError(str(error)) from None
    for path in written:
        print(path)
    return 0


def _invite(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from casework.clock import SystemClock
    from casework.errors import Refused
    from casework.identities import INVITE_PREFIX, create_invite
    from storage.db import transaction
    from storage.models import Deputy

    username = _bot_username(settings, args)
    _engine, sessions = open_database(settings)
    try:
        with transaction(sessions) as session:
            token = create_invite(session, args.code.upper(), SystemClock().now(), days=args.days)
            name = session.get(Deputy, args.code.upper()).name  # type: ignore[union-attr]
    except Refused as refusal:
        raise UserError(str(refusal)) from None
    print(f"{name}（{args.code.upper()}）的绑定链接，{args.days}天内有效，只能使用一次：")
    print(f"https://t.me/{username}?start={INVITE_PREFIX}{token}")
    return 0


def _report(settings: Settings, args: argparse.Namespace) -> int:
    import re
    from zoneinfo import ZoneInfo

    from bot.bootstrap import open_database
    from bot.report import write_text, write_xlsx
    from storage.db import transaction

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise UserError(f"--month must look like 2026-11, not {args.month!r}")
    zone = ZoneInfo(settings.tz)
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        print(write_text(session, args.month, zone))
        if args.xlsx:
            count = write_xlsx(session, args.month, zone, args.xlsx)
            print(f"\n已写入 {args.xlsx}（{count} 件）")
    return 0


def _cases(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from bot.ledger import case_as_json, case_as_text
    from storage.db import transaction
    from storage.models import Case

    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        query = select(Case).order_by(Case.id)
        if args.status:
            query = query.where(Case.status == args.status)
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


if __name__ == "__main__":
    raise SystemExit(main())
