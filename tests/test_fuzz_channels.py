"""Fuzzing the two doors from outside (issue 11, item 6): the Telegram webhook and the WeChat
callback get valid messages with random parts replaced, removed or nested (hypothesis,
derandomised so CI is repeatable). Whatever arrives: never a 500, and a refusal stores nothing.

More examples: ``GRID_INTAKE_FUZZ_EXAMPLES=5000 pytest tests/test_fuzz_channels.py``.
"""

from __future__ import annotations

import asyncio
import copy
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto

from bot.channels.telegram.fake_api import FakeBotApi
from bot.channels.telegram.ptb import PtbTelegram
from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.wechat.callback import WeChatCallback
from bot.channels.wechat.outbound import open_window
from bot.simulator import Simulation
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
from tests.test_wechat_callback import AES_KEY, APP_ID, TOKEN, sign

EXAMPLES = int(os.environ.get("GRID_INTAKE_FUZZ_EXAMPLES", "120"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
STORED = (InboundMessage, ChatIdentity, Resident, OutboxMessage, DialogState, WeChatWindow)
SECRET = "fuzz-Secret"

# Any JSON value, with the awkward ones well represented: NaN, huge numbers, lone
# surrogates, NUL, deep-ish nesting.
_characters = st.characters(codec=None, exclude_categories=())
_text = st.text(_characters, max_size=30) | st.sampled_from(["", "\x00", "\ud800", "/start", "1"])
_scalar = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=-(10**60), max_value=10**60)
    | st.floats(allow_nan=True, allow_infinity=True)
    | _text
)
_json = st.recursive(
    _scalar,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_text, inner, max_size=3),
    max_leaves=12,
)


def _paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, (*prefix, index))


TEMPLATES = [
    {
        "update_id": 1,
        "message": {
            "message_id": 5,
            "date": 1_790_000_000,
            "chat": {"id": 1001, "type": "private", "first_name": "小王"},
            "from": {"id": 1001, "is_bot": False, "first_name": "小王", "last_name": "王"},
            "text": "东岭村的路灯坏了",
            "location": {"latitude": 24.77, "longitude": 110.49},
            "photo": [{"file_id": "AgAC1", "width": 1, "height": 1}],
            "reply_to_message": {"message_id": 2, "from": {"id": 9, "is_bot": True}},
        },
    },
    {
        "update_id": 2,
        "callback_query": {
            "id": "77",
            "from": {"id": 1001, "is_bot": False, "first_name": "小王"},
            "message": {"message_id": 3, "date": 0, "chat": {"id": 1001, "type": "private"}},
            "data": "confirm",
        },
    },
    {
        "update_id": 3,
        "message": {
            "message_id": 6,
            "date": 0,
            "chat": {"id": -100200, "type": "supergroup", "title": "群"},
            "from": {"id": 1087968824, "is_bot": True, "first_name": "Group"},
            "sender_chat": {"id": -100200, "type": "supergroup", "title": "群"},
            "text": "#建议 修路",
            "migrate_to_chat_id": -1001234,
        },
    },
]


@st.composite
def mutated_updates(draw: st.DrawFn) -> Any:
    update = copy.deepcopy(draw(st.sampled_from(TEMPLATES)))
    update["update_id"] = draw(st.integers(min_value=0, max_value=10**6))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = list(_paths(update))
        path = draw(st.sampled_from(paths))
        if not path:
            return draw(_json)  # the whole body replaced
        parent = update
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = draw(_json)
    return update


def counts(app: Any) -> dict[str, int]:
    with transaction(app.sessions) as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in STORED
        }


@pytest.fixture
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def test_the_telegram_webhook_never_answers_500(db_url: str, tmp_path: Path, loop):
    app = make_app(db_url, tmp_path, SystemClock())
    fake = FakeBotApi()
    loop.run_until_complete(fake.__aenter__())
    channel = PtbTelegram(fake.token, fake.server_root)
    loop.run_until_complete(channel.start())
    web = make_web_app(
        app.engine,
        channels=["telegram"],
        telegram=TelegramReceiver(channel, app.dispatcher),
        telegram_secret=SECRET,
    )
    transport = httpx.ASGITransport(app=web, raise_app_exceptions=False)
    http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    @FUZZ
    @given(mutated_updates())
    def one(update: Any) -> None:
        before = counts(app)
        body = json.dumps(update, ensure_ascii=True)  # NaN, lone surrogates as \\udXXX
        response = loop.run_until_complete(
            http.post("/telegram/webhook", content=body, headers=headers)
        )
        assert response.status_code in (200, 400), (response.status_code, body[:300])
        if response.status_code == 400:
            assert counts(app) == before, body[:300]

    try:
        one()
    finally:
        loop.run_until_complete(http.aclose())
        loop.run_until_complete(channel.stop())
        loop.run_until_complete(fake.__aexit__(None, None, None))
        app.engine.dispose()


# WeChat: a valid message's fields with random values, some removed, some nested or repeated;
# the values go in raw (so "<", "&" and "]]>" break the XML, as a forger's would).
WECHAT_FIELDS = {
    "ToUserName": "gh_1234",
    "FromUserName": "oResident_0001",
    "CreateTime": "1790000000",
    "MsgType": "text",
    "Content": "东岭村的路灯坏了",
    "MsgId": "1001",
    "Location_X": "24.77",
    "Location_Y": "110.49",
    "MediaId": "media-1",
    "Event": "LOCATION",
    "EventKey": "qrscene_ST-DL",
    "Latitude": "24.77",
    "Longitude": "110.49",
}
_wechat_value = (
    st.sampled_from(
        ["", "NaN", "inf", "-1", "9" * 40, "1e999", "abc", "<a>b</a>", "o" * 300, "]]>", "&amp;"]
    )
    | st.text(st.characters(codec="utf-8"), max_size=20)
    | st.integers().map(str)
    | st.floats().map(str)
)
_msg_types = st.sampled_from(["text", "location", "image", "event", "voice", "", "TEXT"])
_events = st.sampled_from(["subscribe", "SCAN", "LOCATION", "unsubscribe", "CLICK", "x"])


@st.composite
def wechat_bodies(draw: st.DrawFn) -> str:
    fields = dict(WECHAT_FIELDS)
    fields["MsgType"] = draw(_msg_types)
    fields["Event"] = draw(_events)
    fields["MsgId"] = str(draw(st.integers(min_value=1, max_value=10**6)))
    for name in draw(st.lists(st.sampled_from(list(fields)), max_size=4)):
        choice = draw(st.integers(min_value=0, max_value=3))
        if choice == 0:
            fields.pop(name, None)
        elif choice == 1:
            fields[name] = draw(_wechat_value)
        elif choice == 2:
            fields[name] = f"<inner>{fields.get(name, '')}</inner>"
        else:
            fields[name] = f"{fields.get(name, '')}</{name}><{name}>again"
    cdata = draw(st.booleans())
    inner = "".join(
        f"<{k}><![CDATA[{v}]]></{k}>" if cdata and k != "CreateTime" else f"<{k}>{v}</{k}>"
        for k, v in fields.items()
    )
    return f"<xml>{inner}</xml>"


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
def test_the_wechat_callback_never_answers_500(
    sim: Simulation, safe: bool, loop: asyncio.AbstractEventLoop
):
    callback = WeChatCallback(
        TOKEN,
        sim.app.dispatcher,
        sim.sender.take_for_reply,
        aes_key=AES_KEY if safe else None,
        app_id=APP_ID if safe else None,
        on_user_action=lambda openid: open_window(sim.app.sessions, openid),
    )
    web = Starlette(routes=[Route("/wechat", callback.post, methods=["POST"])])
    transport = httpx.ASGITransport(app=web, raise_app_exceptions=False)
    http = httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")
    crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)

    @FUZZ
    @given(wechat_bodies())
    def one(xml: str) -> None:
        before = counts(sim.app)
        stamp, nonce = str(int(time.time())), "1372623149"
        params = {"timestamp": stamp, "nonce": nonce, "signature": sign(TOKEN, stamp, nonce)}
        body = xml.encode("utf-8", "surrogatepass")
        if safe:
            from xml.etree import ElementTree

            encrypted = ElementTree.fromstring(crypto.encrypt_message(xml, nonce, stamp))
            params["msg_signature"] = encrypted.findtext("MsgSignature") or ""
            body = f"<xml><Encrypt>{encrypted.findtext('Encrypt')}</Encrypt></xml>".encode()
        response = loop.run_until_complete(http.post("/wechat", params=params, content=body))
        assert response.status_code in (200, 400), (response.status_code, xml[:300])
        if response.status_code == 400:
            assert counts(sim.app) == before, xml[:300]

    try:
        one()
    finally:
        loop.run_until_complete(http.aclose())
