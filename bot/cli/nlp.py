"""``grid-intake classify``, ``nlp eval|learn|check`` and ``bench nlp|telegram``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    classify = sub.add_parser(
        "classify", parents=[common], help="classify texts, one JSON object per text"
    )
    classify.add_argument("texts", nargs="+", metavar="TEXT")
    classify.add_argument("--model", type=Path, help="keyword file (default: the shipped one)")
    classify.set_defaults(run=_classify)

    nlp = sub.add_parser("nlp", parents=[common], help="evaluate, learn or check keyword files")
    nlp_sub = nlp.add_subparsers(dest="nlp_command", required=True, metavar="ACTION")
    evaluate = nlp_sub.add_parser(
        "eval", parents=[common], help="accuracy, macro-F1, per class, confusion"
    )
    evaluate.add_argument("file", type=Path, metavar="FILE.csv")
    evaluate.add_argument("--model", type=Path, help="keyword file (default: the shipped one)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.set_defaults(run=_evaluate)
    learning = nlp_sub.add_parser(
        "learn", parents=[common], help="learn keyword weights from labelled messages"
    )
    learning.add_argument("file", type=Path, metavar="FILE.csv")
    learning.add_argument("-o", "--output", type=Path, required=True, metavar="MODEL.yaml")
    learning.add_argument(
        "--features",
        choices=("chars", "words"),
        default="chars",
        help="characters and pairs (default, no tokenizer) or jieba words",
    )
    learning.add_argument("--bigrams", action="store_true", help="also pairs of adjacent words")
    learning.add_argument("--c", type=float, default=1.0, help="SVM regularisation (default 1)")
    learning.add_argument("--min-count", type=int, default=1, help="messages a word needs")
    learning.add_argument("--prune", type=float, default=0.02, help="drop relatively tiny weights")
    learning.set_defaults(run=_learn)
    check = nlp_sub.add_parser(
        "check", parents=[common], help="validate a keyword file before putting it live"
    )
    check.add_argument("file", type=Path, metavar="MODEL.yaml")
    check.set_defaults(run=_check)

    bench = sub.add_parser("bench", parents=[common], help="measure")
    bench_sub = bench.add_subparsers(dest="bench_command", required=True, metavar="WHAT")
    bench_nlp = bench_sub.add_parser(
        "nlp", parents=[common], help="ms per message and memory of classify"
    )
    bench_nlp.add_argument("--model", type=Path)
    bench_nlp.add_argument(
        "--data",
        type=Path,
        nargs="+",
        help="labelled CSV files (default tests/data/messages.csv; with --compare the sets"
        " one may tune on: messages, dev, chat_dev, letters_dev)",
    )
    bench_nlp.add_argument("--messages", type=int, default=2000)
    bench_nlp.add_argument("--length", type=int, default=200, help="characters per message")
    bench_nlp.add_argument("--compare", action="store_true", help="vs jieba TF-IDF + LinearSVC")
    bench_nlp.set_defaults(run=_bench_nlp)
    bench_tg = bench_sub.add_parser("telegram", parents=[common], help="outbox → fake Bot API")
    bench_tg.add_argument("--messages", type=int, default=10_000)
    bench_tg.add_argument("--chats", type=int, default=2_000)
    bench_tg.add_argument("--random-429", type=float, default=0.02, help="share of sends refused")
    bench_tg.set_defaults(run=_bench_telegram)
    from bot.cli.bench_dashboard import register_bench

    register_bench(bench_sub, common)
    bench_sw = bench_sub.add_parser("sweep", parents=[common], help="the sweep at scale")
    bench_sw.add_argument("--open", type=int, default=100_000, help="open cases")
    bench_sw.add_argument("--due", type=int, default=1_000, help="alarms due now")
    bench_sw.set_defaults(run=_bench_sweep)
    bench_ob = bench_sub.add_parser("outbox", parents=[common], help="the outbox claim")
    bench_ob.add_argument("--history", type=int, default=100_000, help="sent rows kept")
    bench_ob.add_argument("--analyze", action="store_true", help="run ANALYZE first")
    bench_ob.set_defaults(run=_bench_outbox)
    bench_wh = bench_sub.add_parser(
        "webhook", parents=[common], help="webhook p50/p99 under load, /healthz as the floor"
    )
    bench_wh.add_argument("--clients", type=int, default=16, help="concurrent residents")
    bench_wh.add_argument("--requests", type=int, default=50, help="updates per resident")
    bench_wh.add_argument("--processes", type=int, default=3, help="web processes")
    bench_wh.set_defaults(run=_bench_webhook)
    bench_up = bench_sub.add_parser(
        "update", parents=[common], help="per Telegram update vs a bare PTB echo bot"
    )
    bench_up.add_argument("--residents", type=int, default=300, help="residents per bot")
    bench_up.add_argument("--history", type=int, default=0, help="earlier cases loaded first")
    bench_up.set_defaults(run=_bench_update)


def _office_nlp(call):
    """Runs an ``office.nlp_commands`` call, turning its errors into user errors."""
    from office import nlp_commands

    try:
        return call(nlp_commands)
    except nlp_commands.NlpCommandError as error:
        raise UserError(str(error)) from None


def _evaluate(settings: Settings, args: argparse.Namespace) -> int:
    return _office_nlp(
        lambda c: c.evaluate(args.file, args.model or settings.keywords, as_json=args.json)
    )


def _learn(settings: Settings, args: argparse.Namespace) -> int:
    return _office_nlp(
        lambda c: c.learn_model(
            args.file,
            args.output,
            features=args.features,
            bigrams=args.bigrams,
            c=args.c,
            min_count=args.min_count,
            prune=args.prune,
        )
    )


def _check(settings: Settings, args: argparse.Namespace) -> int:
    return _office_nlp(lambda c: c.check_model(args.file))


def _bench_nlp(settings: Settings, args: argparse.Namespace) -> int:
    return _office_nlp(
        lambda c: c.bench_nlp(
            args.model,
            args.data,
            messages=args.messages,
            length=args.length,
            compare=args.compare,
        )
    )


def _bench_telegram(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.telegram.bench import bench_telegram

    return bench_telegram(args.messages, args.chats, args.random_429)


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


def _bench_sweep(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bench_scale import bench_sweep

    return bench_sweep(getattr(args, "db", None), args.open, args.due)


def _bench_outbox(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bench_scale import bench_outbox

    return bench_outbox(getattr(args, "db", None), args.history, args.analyze)


def _bench_webhook(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.telegram.webhook_bench import bench_webhook

    # --db (the common option) names the database; without it a temporary SQLite file.
    return bench_webhook(getattr(args, "db", None), args.clients, args.requests, args.processes)


def _bench_update(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.telegram.update_bench import bench_update

    # --db (the common option) names the database; without it a temporary SQLite file.
    return bench_update(getattr(args, "db", None), args.residents, args.history)
