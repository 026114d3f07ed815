"""The aiogram 3 backend (``TELEGRAM_BACKEND=aiogram``, extra ``[aiogram]``): the same four
jobs as the python-telegram-bot one — send, answer a button, fetch updates, set the webhook.
Only aiogram's Bot is used; its Dispatcher and FSM are not (state lives in our tables)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramRetryAfter,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.base import Capabilities, PermanentFailure, RetryLater
from bot.channels.limits import TELEGRAM

__all__ = ["AiogramTelegram"]

_UPDATES = ["message", "callback_query"]


class AiogramTelegram:
    name = "telegram"
    capabilities = Capabilities(buttons=True, edits=True, photos=True)
    limits = TELEGRAM

    def __init__(
        self, token: str, api_root: str, *, on_migrated: Callable[[str, str], None] | None = None
    ) -> None:
        self._token = token
        self._server = TelegramAPIServer.from_base(api_root.rstrip("/"))
        self.bot: Bot | None = None
        self.on_migrated = on_migrated
        self.username = ""

    async def start(self) -> None:
        """Opens the session, then getMe; may be called again after a failed getMe."""
        if self.bot is None:
            self.bot = Bot(self._token, session=AiohttpSession(api=self._server))
        self.username = (await self.bot.get_me()).username or ""

    async def stop(self) -> None:
        if self.bot is not None:
            await self.bot.session.close()

    def _bot(self) -> Bot:
        if self.bot is None:
            raise RuntimeError("AiogramTelegram.start() was not awaited")
        return self.bot

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        markup = (
            InlineKeyboardMarkup(
                inline_keyboard=[
                    [InlineKeyboardButton(text=label, callback_data=action)]
                    for label, action in choices
                ]
            )
            if choices
            else None
        )
        try:
            await self._bot().send_message(chat_id=int(chat_id), text=text, reply_markup=markup)
        except TelegramRetryAfter as error:
            raise RetryLater(str(error), float(error.retry_after)) from None
        except TelegramMigrateToChat as error:
            if self.on_migrated is not None:
                self.on_migrated(chat_id, str(error.migrate_to_chat_id))
            raise RetryLater("group moved to a supergroup", 0) from None
        except TelegramForbiddenError as error:
            raise PermanentFailure(f"403 {error.message}") from None
        except TelegramBadRequest as error:
            raise PermanentFailure(f"400 {error.message}") from None

    async def edit(self, chat_id: str, message_id: int, text: str) -> None:
        """Replace a sent message's text and drop its buttons (e.g. once one was pressed)."""
        await self._bot().edit_message_text(text, chat_id=int(chat_id), message_id=message_id)

    async def answer_button(self, callback_query_id: str, text: str | None = None) -> None:
        await self._bot().answer_callback_query(callback_query_id, text=text)

    async def chat_member_status(self, chat_id: str, user_id: str) -> str:
        """The user's status in the chat: creator, administrator, member, left…"""
        member = await self._bot().get_chat_member(chat_id=int(chat_id), user_id=int(user_id))
        status = member.status
        return str(getattr(status, "value", status))

    async def updates(self, offset: int | None, timeout: int) -> list[dict[str, Any]]:
        got = await self._bot().get_updates(
            offset=offset, timeout=timeout, allowed_updates=_UPDATES
        )
        return [u.model_dump(mode="json", exclude_none=True, by_alias=True) for u in got]

    async def set_webhook(self, url: str, secret: str | None) -> None:
        await self._bot().set_webhook(url, secret_token=secret, allowed_updates=_UPDATES)

    async def delete_webhook(self) -> None:
        await self._bot().delete_webhook()
