"""The duty record on the command line: ``reception add|list`` and ``points``."""

from __future__ import annotations

import argparse
from pathlib import Path

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    topic = sub.add_parser("reception", parents=[common], help="station reception days (进站接待)")
    actions = topic.add_subparsers(dest="reception_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", parents=[common], help="schedule a station's reception")
    add.add_argument("station", metavar="STATION")
    add.add_argument("day", metavar="YYYY-MM-DD")
    add.add_argument("hours", metavar="HH:MM-HH:MM")
    add.add_argument("deputies", metavar="D001,D002")
    add.add_argument("--as-of", metavar="ISO", help=argparse.SUPPRESS)  # tests: "now"
    add.set_defaults(run=_add)
    listing = actions.add_parser("list", parents=[common], help="the receptions from today on")
    listing.add_argument("--as-of", metavar="ISO", help=argparse.SUPPRESS)
    listing.set_defaults(run=_list)

    points = sub.add_parser("points", parents=[common], help="履职积分: a year's ranking")
    points.add_argument("--year", type=int, required=True, metavar="YYYY")
    points.add_argument("--xlsx", type=Path, metavar="FILE", help="also write an Excel workbook")
    points.set_defaults(run=_points)


def _now(settings: Settings, args: argparse.Namespace):
    from bot.simulator import start_clock

    try:
        return start_clock(getattr(args, "as_of", None), settings.tz).now()
    except ValueError:
        raise UserError(f"--as-of is not an ISO time: {args.as_of}") from None


def _calendar(session, settings: Settings):
    from zoneinfo import ZoneInfo

    from sqlalchemy import select

    from casework.calendar import WorkingCalendar
    from storage.models import County

    county = session.scalars(select(County)).first()
    return WorkingCalendar.from_county(ZoneInfo(settings.tz), county.calendar if county else None)


def _add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from casework.errors import Refused
    from casework.outbox import post
    from casework.receptions import when
    from handlers.receptions import schedule
    from storage.db import transaction

    now = _now(settings, args)
    _engine, sessions = open_database(settings)
    words = (args.station, args.day, args.hours, args.deputies)
    try:
        with transaction(sessions) as session:
            reception, messages = schedule(
                session, _calendar(session, settings), now, words, "office"
            )
            for message in messages:
                post(session, now, message)
            names = "、".join(
                d.name for d in reception.station.deputies if d.code in reception.deputies
            )
            print(f"已安排{reception.station.name}进站接待：{when(reception)}，接待代表：{names}。")
    except Refused as refusal:
        raise UserError(str(refusal)) from None
    return 0


def _list(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.bootstrap import open_database
    from casework.receptions import when
    from storage.db import transaction
    from storage.models import Reception

    now = _now(settings, args)
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        today = now.astimezone(_calendar(session, settings).zone).date()
        rows = session.scalars(
            select(Reception).where(Reception.day >= today).order_by(Reception.day)
        ).all()
        if not rows:
            print("没有已安排的接待。")
        for r in rows:
            print(f"{r.station_code}\t{r.station.name}\t{when(r)}\t{','.join(r.deputies)}")
    return 0


def _points(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from office.points_report import points_text, write_points_xlsx
    from storage.db import transaction

    if not 2000 <= args.year <= 2100:
        raise UserError(f"--year must be a year like 2026, not {args.year}")
    now = _now(settings, args)
    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        calendar = _calendar(session, settings)
        print(points_text(session, args.year, calendar.zone, now))
        if args.xlsx:
            count = write_points_xlsx(session, args.year, calendar.zone, args.xlsx, now)
            print(f"\n已写入 {args.xlsx}（{count} 位代表）")
    return 0
