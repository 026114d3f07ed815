"""``grid-intake staff add NAME --role office|station-head [--station ST-…]`` and
``staff reset NAME``: accounts of the office's web dashboard and their set-password links."""

from __future__ import annotations

import argparse

from bot.cli.common import UserError
from bot.settings import Settings

__all__ = ["register"]


def register(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    staff = sub.add_parser("staff", parents=[common], help="accounts of the web dashboard")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="ACTION")
    add = staff_sub.add_parser(
        "add", parents=[common], help="create an account; prints its one-time set-password link"
    )
    add.add_argument("name", metavar="NAME")
    add.add_argument("--role", required=True, choices=("office", "station-head"))
    add.add_argument("--station", metavar="CODE", help="the station of a station head")
    reset = staff_sub.add_parser(
        "reset", parents=[common], help="a new one-time set-password link for an account"
    )
    reset.add_argument("name", metavar="NAME")
    for parser in (add, reset):
        parser.add_argument(
            "--base-url",
            help="the dashboard's address as staff reach it (default: http://GRID_INTAKE_HTTP)",
        )
    add.set_defaults(run=_add)
    reset.set_defaults(run=_reset)


def set_password_link(settings: Settings, base_url: str | None, token: str) -> str:
    base = (base_url or f"http://{settings.http}").rstrip("/")
    return f"{base}/office/set-password?token={token}"


def _add(settings: Settings, args: argparse.Namespace) -> int:
    from bot.bootstrap import open_database
    from casework.clock import SystemClock
    from casework.errors import Refused
    from office.staff import ROLES, TOKEN_LIFETIME, add_staff
    from storage.db import transaction

    _engine, sessions = open_database(settings)
    try:
        with transaction(sessions) as session:
            made = add_staff(session, args.name, args.role, args.station, SystemClock().now())
            where = f"，{made.account.station_code}" if made.account.station_code else ""
    except Refused as refusal:
        raise UserError(str(refusal)) from None
    print(f"已创建账号“{args.name.strip()}”（{ROLES[args.role]}{where}）。")
    print(f"设置密码链接（{TOKEN_LIFETIME.days}天内有效，只能使用一次）：")
    print(set_password_link(settings, args.base_url, made.token))
    return 0


def _reset(settings: Settings, args: argparse.Namespace) -> int:
    from sqlalchemy import select

    from bot.bootstrap import open_database
    from casework.clock import SystemClock
    from office.staff import TOKEN_LIFETIME, new_set_password_token
    from storage.db import transaction
    from storage.models import StaffAccount

    _engine, sessions = open_database(settings)
    with transaction(sessions) as session:
        account = session.scalars(
            select(StaffAccount).where(StaffAccount.name == args.name.strip())
        ).first()
        if account is None:
            raise UserError(f"没有账号“{args.name}”。")
        token = new_set_password_token(session, account, SystemClock().now())
    print(f"“{account.name}”的新设置密码链接（{TOKEN_LIFETIME.days}天内有效，只能使用一次）：")
    print(set_password_link(settings, args.base_url, token))
    return 0
