"""The python-telegram-bot 22 backend (the default): sending, answering buttons, receiving.

Only the Bot object is used, not PTB's Application: dialog state lives in our tables, never
in a library's conversation handler or persistence (both break with several processes).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, RetryAfter

from bot.channels.base import Capabilities, PermanentFailure, RetryLater
from bot.channels.limits import TELEGRAM

__all__ = ["PtbTelegram"]

# Opt in to PTB's coming behaviour (durations as timedelta) instead of a deprecation warning
# on every 429; _seconds() reads either form.
os.environ.setdefault("PTB_TIMEDELTA", "true")

Migrated = Callable[[str, str], None]


def _seconds(value: float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class PtbTelegram:
    name = "telegram"
    capabilities = Capabilities(buttons=True, edits=True, photos=True)
    limits = TELEGRAM

    def __init__(self, token: str, api_root: str, *, on_migrated: Migrated | None = None) -> None:
        root = api_root.rstrip("/")
        self.bot = Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")
        self.on_migrated = on_migrated

    async def start(self) -> None:
        """getMe; may be called again after it failed (the requests are already open then)."""
        await self.bot.initialize()

    async def stop(self) -> None:
        await self.bot.shutdown()

    @property
    def username(self) -> str:
        return self.bot.username

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        markup = (
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(label, callback_data=action)] for label, action in choices]
            )
            if choices
            else None
        )
        try:
            await self.bot.send_message(chat_id=int(chat_id), text=text, reply_markup=markup)
        except RetryAfter as error:
            raise RetryLater(str(error), _seconds(error.retry_after)) from None
        except ChatMigrated as error:
            if self.on_migrated is not None:
                self.on_migrated(chat_id, str(error.new_chat_id))
            raise RetryLater("group moved to a supergroup", 0) from None
        except Forbidden as error:
            raise PermanentFailure(f"403 {error.message}") from None
        except BadRequest as error:  # chat not found, message too long: retrying won't help
            raise PermanentFailure(f"400 {error.message}") from None

    async def edit(self, chat_id: str, message_id: int, text: str) -> None:
        """Replace a sent message's text and drop its buttons (e.g. once one was pressed)."""
        await self.bot.edit_message_text(text, chat_id=int(chat_id), message_id=message_id)

    async def answer_button(self, callback_query_id: str, text: str | None = None) -> None:
        await self.bot.answer_callback_query(callback_query_id, text=text)

    async def chat_member_status(self, chat_id: str, user_id: str) -> str:
        """The user's status in the chat: creator, administrator, member, left…"""
        member = await self.bot.get_chat_member(chat_id=int(chat_id), user_id=int(user_id))
        return str(getattr(member.status, "value", member.status))

    async def updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        got = await self.bot.get_updates(
            offset=offset, timeout=timeout, allowed_updates=["message", "callback_query"]
        )
        return [update.to_dict() for update in got]

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await self.bot.set_webhook(
            url, secret_token=secret, allowed_updates=["message", "callback_query"]
        )

    async def delete_webhook(self) -> None:
        await self.bot.delete_webhook()
