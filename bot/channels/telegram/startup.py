"""Bringing Telegram up in ``grid-intake run``: the settings checked before anything starts,
then getMe and setWebhook (web) or deleteWebhook and polling (worker) in the background,
retried with backoff while the Bot API cannot be reached — the web app meanwhile serves
health, WeChat and whatever updates Telegram already posts to the webhook."""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from typing import Any

from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.telegram.username import remember_username
from bot.settings import Settings
from storage.db import SessionFactory

__all__ = ["bring_up", "keep_trying", "settings_problem"]

log = logging.getLogger(__name__)

# setWebhook's secret_token: "1-256 characters. Only A-Z, a-z, 0-9, _ and - are allowed."
_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def settings_problem(settings: Settings) -> str | None:
    """Why Telegram's settings cannot run, in one line; None when they can."""
    if not settings.telegram_bot_token or not settings.telegram_webhook_url:
        return None
    if not settings.telegram_webhook_secret:
        return (
            "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: the webhook would "
            "accept anyone's updates; set a secret (1-256 of A-Z a-z 0-9 _ -)"
        )
    if not _SECRET.match(settings.telegram_webhook_secret):
        return (
            "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters of A-Z a-z 0-9 _ - (Telegram's rule)"
        )
    return None


async def keep_trying(
    what: str,
    call: Callable[[], Awaitable[Any]],
    stop: asyncio.Event,
    *,
    first: float = 1.0,
    cap: float = 300.0,
) -> bool:
    """Await ``call()`` until it succeeds (True) or ``stop`` is set (False), waiting 1, 2, 4…
    up to 300 s between attempts, with jitter so that several processes do not call at once."""
    delay = first
    while not stop.is_set():
        try:
            await call()
            return True
        except Exception as error:
            wait = delay * random.uniform(0.8, 1.2)
            log.warning(
                "%s failed (%s: %s); retrying in %.0f s", what, type(error).__name__, error, wait
            )
        try:
            await asyncio.wait_for(stop.wait(), wait)
        except TimeoutError:
            delay = min(delay * 2, cap)
    return False


async def bring_up(
    telegram: Any,
    receiver: TelegramReceiver,
    settings: Settings,
    part: str,
    stop: asyncio.Event,
    sessions: SessionFactory,
) -> None:
    if not await keep_trying("Telegram getMe", telegram.start, stop):
        return
    assert settings.telegram_bot_token is not None
    if telegram.username:  # for deep links, invites and posters made later by the CLI
        await asyncio.to_thread(
            remember_username, sessions, settings.telegram_bot_token, telegram.username
        )
    if settings.telegram_webhook_url:
        if part in ("all", "web"):
            url, secret = settings.telegram_webhook_url, settings.telegram_webhook_secret
            await keep_trying(
                "Telegram setWebhook", lambda: telegram.set_webhook(url, secret), stop
            )
        return
    # Polling in the one worker: Telegram refuses two concurrent getUpdates.
    if part in ("all", "worker") and await keep_trying(
        "Telegram deleteWebhook", telegram.delete_webhook, stop
    ):
        await receiver.poll(stop)
