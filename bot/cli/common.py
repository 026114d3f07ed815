"""What every command module shares: the user-error type and the settings of a run."""

from __future__ import annotations

import argparse

from bot.settings import Settings

__all__ = ["UserError", "bot_username", "settings_from"]


class UserError(Exception):
    """Something the user can fix; printed as one line, exit status 1."""


def settings_from(args: argparse.Namespace) -> Settings:
    settings = Settings()
    if getattr(args, "db", None):
        settings.db = args.db
    return settings


def bot_username(settings: Settings, args: argparse.Namespace) -> str:
    """The bot's @username for t.me links: offline, so it comes from the user."""
    username = getattr(args, "bot_username", None) or settings.telegram_bot_username or ""
    username = username.lstrip("@")
    if not username:
        raise UserError(
            "the bot's username is needed: --bot-username NAME or TELEGRAM_BOT_USERNAME"
        )
    return username
