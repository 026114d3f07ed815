"""The Telegram webhook reads what it is sent defensively (issue 11, item 6): malformed updates
are 400, a wrong secret 403, what is well formed but not for us 200 with nothing stored — never
a 500, never an identity or an outbox row addressed to "None"."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.telegram.fake_api import FakeBotApi
from bot.channels.telegram.ptb import PtbTelegram
from bot.channels.telegram.runner import TelegramReceiver
from bot.web import make_web_app
from casework.clock import SystemClock
from storage.db import transaction
from storage.models import (
    ChatIdentity,
    DialogState,
    InboundMessage,
    OutboxMessage,
    Resident,
    WeChatWindow,
)
from tests.conftest import make_app

SECRET = "s3cret-Token_1"
STORED = (InboundMessage, ChatIdentity, Resident, OutboxMessage, DialogState, WeChatWindow)
ANONYMOUS_ADMIN = {"id": 1087968824, "is_bot": True, "first_name": "Group"}


@dataclass
class Hook:
    app: App
    http: httpx.AsyncClient
    fake: FakeBotApi
    next_id: int = 1

    async def post(self, update: Any, *, raw: bytes | None = None, secret: Any = SECRET) -> int:
        headers = {"X-Telegram-Bot-Api-Secret-Token": secret}
        body = raw if raw is not None else json.dumps(update).encode()
        response = await self.http.post("/telegram/webhook", content=body, headers=headers)
        return response.status_code

    def counts(self) -> dict[str, int]:
        with transaction(self.app.sessions) as session:
            return {
                m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
                for m in STORED
            }

    def update_id(self) -> int:
        self.next_id += 1
        return self.next_id


@asynccontextmanager
async def webhook_on(url: str, tmp_path: Path) -> AsyncIterator[Hook]:
    app = make_app(url, tmp_path, SystemClock())
    async with FakeBotApi() as fake:
        channel = PtbTelegram(fake.token, fake.server_root)
        await channel.start()
        receiver = TelegramReceiver(channel, app.dispatcher)
        web = make_web_app(
            app.engine, channels=["telegram"], telegram=receiver, telegram_secret=SECRET
        )
        transport = httpx.ASGITransport(app=web)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            yield Hook(app, http, fake)
        await channel.stop()
    app.engine.dispose()


@pytest.fixture
async def hook(db_url: str, tmp_path: Path) -> AsyncIterator[Hook]:
    """On SQLite and PostgreSQL: for what only PostgreSQL refuses to store (NUL, long text)."""
    async with webhook_on(db_url, tmp_path) as hook:
        yield hook


@pytest.fixture
async def sqlite_hook(sqlite_url: str, tmp_path: Path) -> AsyncIterator[Hook]:
    async with webhook_on(sqlite_url, tmp_path) as hook:
        yield hook


def private(user: int = 1001, **fields: Any) -> dict[str, Any]:
    message = {
        "message_id": 7,
        "date": 1_790_000_000,
        "chat": {"id": user, "type": "private", "first_name": "小王"},
        "from": {"id": user, "is_bot": False, "first_name": "小王"},
        "text": "东岭村的路灯坏了",
    }
    for key, value in fields.items():
        if value is None:
            message.pop(key, None)
        else:
            message[key] = value
    return {"message": message}


def button(**query: Any) -> dict[str, Any]:
    base = {
        "id": "4382",
        "from": {"id": 1001, "is_bot": False, "first_name": "小王"},
        "message": {"message_id": 3, "date": 0, "chat": {"id": 1001, "type": "private"}},
        "chat_instance": "ci",
        "data": "confirm",
    }
    for key, value in query.items():
        if value is None:
            base.pop(key, None)
        else:
            base[key] = value
    return {"callback_query": base}


DEEP = 100_000
# name → (update, or raw JSON text with "{id}" for the update id)
MALFORMED: dict[str, Any] = {
    "latitude not a number": private(location={"latitude": "abc", "longitude": 110.5}, text=None),
    "latitude NaN": '{"update_id": {id}, "message": {"message_id": 1, "date": 0, '
    '"chat": {"id": 5, "type": "private"}, "from": {"id": 5, "first_name": "a"}, '
    '"location": {"latitude": NaN, "longitude": 110.5}}}',
    "latitude out of range": private(location={"latitude": 200, "longitude": 1}, text=None),
    "photo without file_id": private(photo=[{}], text=None),
    "photo not a list": private(photo="AgAC", text=None),
    "no chat": private(chat=None),
    "chat id null": private(chat={"id": None, "type": "private"}),
    "chat as a list": private(chat=[1001, "private"]),
    "chat id of 200 characters": private(chat={"id": "1" * 200, "type": "private"}),
    "chat id of 200 digits": private(chat={"id": int("1" * 200), "type": "private"}),
    "chat without type": private(chat={"id": 1001}),
    "text is a number": private(text=12345),
    "lone surrogate in text": '{"update_id": {id}, "message": {"message_id": 1, "date": 0, '
    '"chat": {"id": 5, "type": "private"}, "from": {"id": 5, "first_name": "a"}, '
    '"text": "\\ud800 路灯坏了"}}',
    "lone surrogate in a name": private(**{"from": {"id": 1001, "first_name": "\ud83d"}}),
    "sender id is text": private(**{"from": {"id": "1001", "first_name": "小王"}}),
    "callback without chat id": button(message={"message_id": 3, "date": 0, "chat": {}}),
    "callback without sender": button(**{"from": None}),
    "callback without id": button(id=None),
    "callback data not text": button(data={"a": 1}),
    "message not an object": {"message": "hello"},
    "update_id missing": "MISSING-ID",
    "update_id is text": '{"update_id": "{id}", "message": {}}',
    "update_id is true": '{"update_id": true}',
    "JSON nested 100,000 deep": "[" * DEEP + "]" * DEEP,
    "nested 100,000 deep inside an update": '{"update_id": {id}, "message": '
    + "[" * DEEP
    + "]" * DEEP
    + "}",
    "not JSON": "{update_id: 1",
    "a JSON array": "[1, 2, 3]",
    "migration to a text id": private(migrate_to_chat_id="-100200", text=None),
}
IGNORED: dict[str, Any] = {
    "message without a sender": private(**{"from": None}),
    "a sticker": private(text=None, sticker={"file_id": "CAAC", "width": 1, "height": 1}),
    "an edited message": {"edited_message": private()["message"]},
    "a channel post in a channel chat": private(chat={"id": -1001, "type": "channel"}),
    "an empty photo list": private(photo=[], text=None),
    "message null": {"message": None},
    "deep but unused field": private(extra=json.loads("[" * 500 + "]" * 500), text=None),
}


def body_of(hook: Hook, update: Any) -> bytes:
    update_id = hook.update_id()
    if update == "MISSING-ID":
        return json.dumps(private()).encode()
    if isinstance(update, str):
        return update.replace("{id}", str(update_id)).encode()
    return json.dumps({"update_id": update_id, **update}).encode()


async def test_malformed_updates_are_400_and_store_nothing(hook: Hook):
    before = hook.counts()
    answered = {}
    for name, update in MALFORMED.items():
        answered[name] = await hook.post(None, raw=body_of(hook, update))
    assert answered == dict.fromkeys(MALFORMED, 400)
    assert hook.counts() == before


async def test_updates_not_for_us_are_200_and_store_nothing(hook: Hook):
    before = hook.counts()
    answered = {}
    for name, update in IGNORED.items():
        answered[name] = await hook.post(None, raw=body_of(hook, update))
    assert answered == dict.fromkeys(IGNORED, 200)
    assert hook.counts() == before


@pytest.mark.parametrize(
    "secret",
    ["wrong", "密钥".encode(), b"\xff\xfe", SECRET + " ", ""],
    ids=["wrong", "non-ASCII", "not UTF-8", "trailing space", "empty"],
)
async def test_a_bad_secret_is_403_and_stores_nothing(sqlite_hook: Hook, secret: Any):
    before = sqlite_hook.counts()
    status = await sqlite_hook.post(None, raw=body_of(sqlite_hook, private()), secret=secret)
    assert status == 403
    assert sqlite_hook.counts() == before


async def test_a_webhook_without_a_configured_secret_refuses_everything(sqlite_url, tmp_path):
    app = make_app(sqlite_url, tmp_path, SystemClock())
    receiver = TelegramReceiver(None, app.dispatcher)  # type: ignore[arg-type]
    web = make_web_app(app.engine, channels=["telegram"], telegram=receiver, telegram_secret=None)
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.post("/telegram/webhook", json={"update_id": 1, **private()})
    app.engine.dispose()
    assert response.status_code == 403


async def test_nul_in_a_description_is_dropped_and_the_case_text_kept(hook: Hook):
    status = await hook.post(None, raw=body_of(hook, private(text="东岭村的路灯\x00坏了")))
    assert status == 200
    with transaction(hook.app.sessions) as session:
        bodies = session.scalars(select(InboundMessage.body)).all()
        replies = session.scalars(select(OutboxMessage.text)).all()
    assert bodies == [{"text": "东岭村的路灯坏了"}]
    assert any("路灯" in text for text in replies)


async def test_a_long_name_is_cut_to_telegrams_limit(hook: Hook):
    sender = {"id": 1001, "is_bot": False, "first_name": "王" * 300}
    assert await hook.post(None, raw=body_of(hook, private(**{"from": sender}))) == 200
    with transaction(hook.app.sessions) as session:
        names = session.scalars(select(ChatIdentity.display_name)).all()
    assert names == ["王" * 64]


async def test_two_chats_without_a_sender_share_no_identity(sqlite_hook: Hook):
    for chat in (1001, 1002):
        no_sender = private(chat={"id": chat, "type": "private"}, **{"from": None})
        assert await sqlite_hook.post(None, raw=body_of(sqlite_hook, no_sender)) == 200
    with transaction(sqlite_hook.app.sessions) as session:
        assert session.scalars(select(ChatIdentity.external_id)).all() == []
        assert session.scalars(select(OutboxMessage.chat_id)).all() == []


async def test_anonymous_admins_of_two_groups_are_two_authors(sqlite_hook: Hook):
    for group in (-100111, -100222):
        chat = {"id": group, "type": "supergroup", "title": f"群{group}"}
        update = private(chat=chat, sender_chat=chat, text="#建议 村口的路该修了")
        update["message"]["from"] = ANONYMOUS_ADMIN
        assert await sqlite_hook.post(None, raw=body_of(sqlite_hook, update)) == 200
    with transaction(sqlite_hook.app.sessions) as session:
        authors = sorted(session.scalars(select(ChatIdentity.external_id)).all())
    assert authors == ["-100111", "-100222"]


async def test_a_button_without_its_message_is_answered_in_the_private_chat(sqlite_hook: Hook):
    status = await sqlite_hook.post(
        None, raw=body_of(sqlite_hook, button(message=None, data="nonsense"))
    )
    assert status == 200
    with transaction(sqlite_hook.app.sessions) as session:
        chats = session.scalars(select(OutboxMessage.chat_id)).all()
    assert set(chats) == {"1001"}
    assert [params["callback_query_id"] for method, params in sqlite_hook.fake.calls
            if method == "answerCallbackQuery"] == ["4382"]  # fmt: skip
