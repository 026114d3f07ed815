"""The office's commands: ``report``, ``qr`` posters and ``deputy invite``."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from pathlib import Path

from bot.cli.common import UserError, bot_username
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    deputy = sub.add_parser("deputy", parents=[common], help="deputy accounts")
    deputy_sub = deputy.add_subparsers(dest="deputy_command", required=True, metavar="ACTION")
    invite = deputy_sub.add_parser(
        "invite", parents=[common], help="print a one-time Telegram link for a deputy"
    )
    invite.add_argument("code", metavar="CODE")
    invite.add_argument(
        "--bot-username",
        help="the bot's @username (env TELEGRAM_BOT_USERNAME; else getMe with the token)",
    )
    invite.add_argument("--days", type=int, default=14, help="how long the link works")
    invite.set_defaults(run=_invite)

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
        poster.add_argument(
            "--bot-username",
            help="the bot's @username (env TELEGRAM_BOT_USERNAME; else getMe with the token)",
        )
        if channel == "wechat":
            poster.add_argument(
                "--also-telegram",
                action="store_true",
                help="add a smaller Telegram code after the WeChat one",
            )
        poster.set_defaults(run=_qr)

    report = sub.add_parser("report", parents=[common], help="monthly ledger and figures")
    report.add_argument("--month", required=True, metavar="YYYY-MM")
    report.add_argument("--xlsx", type=Path, metavar="FILE", help="also write an Excel workbook")
    report.add_argument(
        "--as-of",
        metavar="ISO",
        help="the figures as of this time (default: now); open cases past their limit by then "
        "count against 按时办结率",
    )
    report.set_defaults(run=_report)


def _qr(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from office.posters import entry_posters, write_posters

    _engine, sessions = open_database(settings)
    code = (args.station or args.deputy or "").upper() or None

    def telegram_link() -> Callable[[str], str]:
        username = bot_username(settings, args, sessions)
        return lambda scene: f"https://t.me/{username}?start={scene}"

    try:
        also: list[tuple[str, Callable[[str], str]]] = []
        if args.qr_channel == "wechat":
            from bot.channels.wechat.scenes import scene_links

            link, channel = scene_links(settings, sessions), "微信"
            if args.also_telegram:
                also.append(("Telegram", telegram_link()))
        else:
            link, channel = telegram_link(), "Telegram "
        posters = entry_posters(sessions, link, code, channel=channel, also=also)
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

    _engine, sessions = open_database(settings)
    username = bot_username(settings, args, sessions)
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
    from zoneinfo import ZoneInfo

    from bot.bootstrap import open_database
    from bot.simulator import start_clock
    from office.report import write_text, write_xlsx
    from storage.db import transaction

    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", args.month):
        raise UserError(f"--month must look like 2026-11, not {args.month!r}")
    zone = ZoneInfo(settings.tz)
    try:
        now = start_clock(args.as_of, settings.tz).now()
    except ValueError:
        raise UserError(f"--as-of is not an ISO time: {args.as_of}") from None
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        print(write_text(session, args.month, zone, now=now))
        if args.xlsx:
            count = write_xlsx(session, args.month, zone, args.xlsx, now=now)
            print(f"\n已写入 {args.xlsx}（{count} 件）")
    return 0
