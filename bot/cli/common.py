"""What every command module shares: the user-error type and the settings of a run."""

from __future__ import annotations

import argparse

from bot.settings import Settings
from storage.db import SessionFactory

__all__ = ["UserError", "bot_username", "settings_from"]


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 1."""


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "db", None):
        settings.db = args.db
    return settings


def bot_username(settings: Settings, args: argparse.Namespace, sessions: SessionFactory) -> str:
    """The bot's @username for t.me links: ``--bot-username``, ``TELEGRAM_BOT_USERNAME``, or
    with only ``TELEGRAM_BOT_TOKEN`` set, what Telegram's getMe says (cached in the database)."""
    username = getattr(args, "bot_username", None) or settings.telegram_bot_username or ""
    if not username and settings.telegram_bot_token:
        from bot.channels.telegram.username import UsernameUnknown, username_for_token

        try:
            username = username_for_token(
                sessions, settings.telegram_bot_token, settings.telegram_api_base_url
            )
        except UsernameUnknown as error:
            raise UserError(f"{error}; set TELEGRAM_BOT_USERNAME or --bot-username") from None
    username = username.lstrip("@")
    if not username:
        raise UserError(
            "the bot's username is needed: --bot-username NAME, TELEGRAM_BOT_USERNAME "
            "or TELEGRAM_BOT_TOKEN"
        )
    return username
