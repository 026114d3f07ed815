"""The fake Bot API must satisfy the real clients: python-telegram-bot 22 and aiogram 3 talk to
it over HTTP on 127.0.0.1, parse its replies and map its errors to their own exceptions."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
import telegram
import telegram.error
from aiogram import Bot as AioBot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramForbiddenError, TelegramMigrateToChat, TelegramRetryAfter
from aiogram.types import BufferedInputFile
from aiogram.types import InlineKeyboardButton as AioButton
from aiogram.types import InlineKeyboardMarkup as AioKeyboard
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.channels.telegram.fake_api import BOT_USER, FakeBotApi

KEYBOARD = {"inline_keyboard": [[{"text": "是", "callback_data": "yes"}]]}


@pytest.fixture
async def fake() -> AsyncIterator[FakeBotApi]:
    async with FakeBotApi() as server:
        yield server


@pytest.fixture
async def ptb(fake: FakeBotApi) -> AsyncIterator[telegram.Bot]:
    bot = telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.file_base_url)
    async with bot:
        yield bot


@pytest.fixture
async def aio(fake: FakeBotApi) -> AsyncIterator[AioBot]:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.server_root))
    async with AioBot(fake.token, session=session) as bot:  # __aexit__ closes the session
        yield bot


# -- python-telegram-bot --------------------------------------------------------------------


async def test_ptb_get_me_and_send_with_keyboard(fake: FakeBotApi, ptb: telegram.Bot) -> None:
    me = await ptb.get_me()
    assert me.username == "grid_intake_bot"
    assert me.id == BOT_USER["id"]
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("是", callback_data="yes")]])
    message = await ptb.send_message(42, "收到，谢谢", reply_markup=keyboard)
    assert message.text == "收到，谢谢"
    assert message.chat.id == 42
    assert message.reply_markup == keyboard
    assert fake.sent == [(42, "收到，谢谢", KEYBOARD)]
    assert fake.sent[0].at <= time.monotonic()
    method, params = fake.calls[-1]
    assert (method, params["chat_id"], params["reply_markup"]) == ("sendMessage", 42, KEYBOARD)


async def test_ptb_parses_pushed_updates(fake: FakeBotApi, ptb: telegram.Bot) -> None:
    fake.private_text(7, "路灯坏了")
    fake.callback(7, "case:1:done", message_id=5)
    fake.private_location(7, 31.23, 121.47)
    updates = await ptb.get_updates(offset=0, timeout=1)
    assert [u.update_id for u in updates] == [1, 2, 3]
    assert updates[0].message.text == "路灯坏了"
    assert updates[0].message.from_user.id == 7
    assert updates[0].message.chat.type == "private"
    query = updates[1].callback_query
    assert (query.data, query.from_user.id, query.message.message_id) == ("case:1:done", 7, 5)
    assert updates[2].message.location.latitude == pytest.approx(31.23)
    assert await ptb.get_updates(offset=4, timeout=0) == ()


async def test_ptb_group_updates(fake: FakeBotApi, ptb: telegram.Bot) -> None:
    fake.bot_added_to_group(-100, 7, start_payload="st_12")
    fake.group_text(-100, 8, "@grid_intake_bot 井盖丢了", reply_to_bot=True)
    fake.group_migrated(-100, -1001234)
    added, mention, migrated = await ptb.get_updates(timeout=0)
    assert added.message.text == "/start@grid_intake_bot st_12"
    assert added.message.entities[0].type == "bot_command"
    assert added.message.entities[0].length == len("/start@grid_intake_bot")
    assert added.message.chat.type == "group"
    assert mention.message.entities[0].type == "mention"
    assert mention.message.reply_to_message.from_user.id == BOT_USER["id"]
    assert migrated.message.migrate_to_chat_id == -1001234
    with pytest.raises(telegram.error.ChatMigrated) as info:
        await ptb.send_message(-100, "通知")
    assert info.value.new_chat_id == -1001234


async def test_ptb_errors(
    fake: FakeBotApi, ptb: telegram.Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22.2+ stores retry_after as a timedelta; without PTB_TIMEDELTA it returns an int and
    # emits PTBDeprecationWarning.
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(telegram.error.RetryAfter) as flood:
        await ptb.send_message(42, "a")
    assert flood.value.retry_after == timedelta(seconds=3)
    fake.fail_next("sendMessage", 400, migrate_to_chat_id=-1009)
    with pytest.raises(telegram.error.ChatMigrated) as migrated:
        await ptb.send_message(-9, "a")
    assert migrated.value.new_chat_id == -1009
    fake.block_chat(42)
    with pytest.raises(telegram.error.Forbidden, match="blocked by the user"):
        await ptb.send_message(42, "a")
    assert await ptb.send_message(43, "ok")
    assert fake.sent == [(43, "ok", None)]


async def test_ptb_photo_file_webhook_and_commands(fake: FakeBotApi, ptb: telegram.Bot) -> None:
    sent = await ptb.send_photo(42, photo=b"\x89PNG-bytes", caption="现场照片")
    file_id = sent.photo[-1].file_id
    assert fake.files[file_id] == b"\x89PNG-bytes"
    assert fake.sent[-1] == (42, "现场照片", None)
    fake.private_photo(7, "AgACresident")
    file = await ptb.get_file("AgACresident")
    assert bytes(await file.download_as_bytearray()) == fake.files["AgACresident"]
    assert await ptb.set_webhook("https://example.invalid/tg")
    assert (await ptb.get_webhook_info()).url == "https://example.invalid/tg"
    assert await ptb.delete_webhook()
    assert await ptb.set_my_commands([("start", "开始"), ("help", "帮助")])
    assert [c.command for c in await ptb.get_my_commands()] == ["start", "help"]
    assert await ptb.delete_my_commands()
    edited = await ptb.edit_message_text("已办结", chat_id=42, message_id=sent.message_id)
    assert edited.text == "已办结"
    assert await ptb.answer_callback_query("1")


# -- aiogram ---------------------------------------------------------------------------------


async def test_aiogram_round_trip(fake: FakeBotApi, aio: AioBot) -> None:
    assert (await aio.get_me()).username == "grid_intake_bot"
    keyboard = AioKeyboard(inline_keyboard=[[AioButton(text="是", callback_data="yes")]])
    message = await aio.send_message(42, "收到", reply_markup=keyboard)
    assert (message.text, message.chat.id) == ("收到", 42)
    assert message.reply_markup.inline_keyboard[0][0].callback_data == "yes"
    assert fake.sent == [(42, "收到", KEYBOARD)]
    fake.private_text(7, "垃圾没人收")
    fake.callback(7, "yes")
    text, query = await aio.get_updates(offset=0, timeout=1)
    assert (text.message.text, text.message.from_user.id) == ("垃圾没人收", 7)
    assert query.callback_query.data == "yes"
    # aiogram posts urlencoded forms, and multipart with `attach://` references for uploads.
    photo = await aio.send_photo(42, BufferedInputFile(b"jpeg", "a.jpg"), caption="照片")
    file = await aio.get_file(photo.photo[-1].file_id)
    assert (await aio.download(file)).read() == b"jpeg"


async def test_aiogram_errors(fake: FakeBotApi, aio: AioBot) -> None:
    fake.fail_next("sendMessage", 429, retry_after=3)
    with pytest.raises(TelegramRetryAfter) as flood:
        await aio.send_message(42, "a")
    assert flood.value.retry_after == 3
    fake.fail_next("sendMessage", 400, migrate_to_chat_id=-1009)
    with pytest.raises(TelegramMigrateToChat) as migrated:
        await aio.send_message(-9, "a")
    assert migrated.value.migrate_to_chat_id == -1009
    fake.block_chat(42)
    with pytest.raises(TelegramForbiddenError):
        await aio.send_message(42, "a")


# -- long poll, raw HTTP and rate limits ------------------------------------------------------


async def test_long_poll_wakes_on_push_and_times_out(fake: FakeBotApi, ptb: telegram.Bot) -> None:
    started = time.monotonic()
    poll = asyncio.create_task(ptb.get_updates(timeout=5))
    await asyncio.sleep(0.2)
    fake.private_text(7, "在吗")
    (update,) = await poll
    assert update.message.text == "在吗"
    assert time.monotonic() - started < 1
    started = time.monotonic()
    assert await ptb.get_updates(offset=update.update_id + 1, timeout=1) == ()
    assert 0.9 < time.monotonic() - started < 2


async def test_raw_bodies_and_unknown_token(fake: FakeBotApi) -> None:
    async with httpx.AsyncClient(base_url=fake.server_root) as client:
        bad = await client.post("/bot999:XYZ/getMe")
        assert (bad.status_code, bad.json()["description"]) == (401, "Unauthorized")
        body = {"chat_id": 5, "text": "json", "reply_markup": KEYBOARD}
        assert (await client.post(f"/bot{fake.token}/sendMessage", json=body)).json()["ok"]
        form = {"chat_id": "5", "text": "123", "reply_markup": '{"inline_keyboard": []}'}
        assert (await client.post(f"/bot{fake.token}/sendMessage", data=form)).json()["ok"]
        unknown = await client.get(f"/bot{fake.token}/sendDice")
        assert unknown.status_code == 404
    assert fake.sent == [(5, "json", KEYBOARD), (5, "123", {"inline_keyboard": []})]


async def test_rate_limits() -> None:
    async with (
        FakeBotApi(limit_per_second=3, limit_per_chat_per_second=2) as fake,
        httpx.AsyncClient(base_url=fake.base_url + fake.token) as client,
    ):
        replies = [
            await client.post("/sendMessage", json={"chat_id": 1, "text": "x"}) for _ in "abc"
        ]
        assert [r.status_code for r in replies] == [200, 200, 429]
        assert replies[2].json()["parameters"] == {"retry_after": 1}
        assert (await client.post("/sendMessage", json={"chat_id": 2, "text": "x"})).is_success
        assert (
            await client.post("/sendMessage", json={"chat_id": 3, "text": "x"})
        ).status_code == 429
        assert fake.rejected == 2
        assert len(fake.sent) == 3
    async with (
        FakeBotApi(random_429=1.0) as fake,
        httpx.AsyncClient(base_url=fake.base_url + fake.token) as client,
    ):
        reply = await client.post("/sendMessage", json={"chat_id": 1, "text": "x"})
        assert reply.json()["description"] == "Too Many Requests: retry after 1"
        assert (await client.post("/getMe")).is_success  # only sends are limited
        assert fake.rejected == 1
