"""The bot's @username for t.me links (deep links, invites, posters).

``TELEGRAM_BOT_USERNAME`` when set; otherwise what the Bot API's ``getMe`` says for the token,
kept in ``shared_values`` (like WeChat's access token) so that every process and every command
shares one answer and asks Telegram at most once a day. ``run`` stores it whenever it starts;
a command that finds the cache stale and Telegram unreachable uses the stale name (bots
cannot change their username) and says so.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import UTC, datetime, timedelta

from storage.db import SessionFactory, transaction
from storage.models import SharedValue
from storage.upsert import insert_or_update

__all__ = ["UsernameUnknown", "cached_username", "remember_username", "username_for_token"]

log = logging.getLogger(__name__)

FRESH_FOR = timedelta(days=1)


class UsernameUnknown(Exception):
    """getMe could not be asked and nothing is cached."""


def _key(token: str) -> str:
    # The part before ":" is the bot's own user id: a new token for the same bot shares it.
    return f"telegram:username:{token.partition(':')[0]}"


def _now() -> datetime:
    return datetime.now(UTC)  # about Telegram's real clock, not a simulated one


def remember_username(sessions: SessionFactory, token: str, username: str) -> None:
    values = {"value": json.dumps(username), "expires_at": _now() + FRESH_FOR}
    with transaction(sessions) as session:
        insert_or_update(session, SharedValue, {"key": _key(token), **values}, ("key",), values)


def cached_username(sessions: SessionFactory, token: str) -> tuple[str | None, bool]:
    """(username, still fresh); (None, False) when none is cached."""
    with transaction(sessions) as session:
        row = session.get(SharedValue, _key(token))
        if row is None:
            return None, False
        fresh = row.expires_at is None or row.expires_at > _now()
        return json.loads(row.value), fresh


async def _get_me(token: str, api_root: str) -> str:
    from telegram import Bot

    root = api_root.rstrip("/")
    async with Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot") as bot:
        return bot.username  # initialize() has called getMe


def username_for_token(sessions: SessionFactory, token: str, api_root: str) -> str:
    """The bot's username: the cache while fresh, else getMe (then cached)."""
    cached, fresh = cached_username(sessions, token)
    if cached and fresh:
        return cached
    try:
        username = asyncio.run(_get_me(token, api_root))
    except Exception as error:
        if cached:
            log.warning("getMe failed (%s); using the cached @%s", error, cached)
            return cached
        raise UsernameUnknown(
            f"could not ask Telegram for the bot's username ({type(error).__name__}: {error})"
        ) from None
    remember_username(sessions, token, username)
    return username
