"""A new user's first messages arriving at once (issue 11, item 6): every request is answered
and the user has one identity, one resident, one dialog state. The interleaving that used to
fail — both transactions look for the row, find none, both insert — is forced with a barrier
on the database's own statements, so the test does not depend on luck."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import Engine, event, func, select

from bot.bootstrap import App
from bot.channels.telegram.runner import TelegramReceiver
from bot.web import make_web_app
from casework.clock import SystemClock
from casework.outbox import dialog_state
from storage.db import transaction
from storage.models import ChatIdentity, DialogState, InboundMessage, Resident, WeChatWindow
from tests.conftest import make_app
from tests.test_wechat_callback import reply_text, text_xml
from tests.wechat.test_callback_input import client as wechat_client
from tests.wechat.test_callback_input import post_xml

SECRET = "s3cret"


@contextmanager
def meet_after_select(engine: Engine, table: str, parties: int) -> Iterator[None]:
    """The first ``parties`` SELECTs on ``table`` wait for each other before going on."""
    barrier = threading.Barrier(parties, timeout=5)
    hits = [0]
    lock = threading.Lock()

    def after(_conn, _cursor, statement: str, *_args) -> None:
        if not statement.lstrip().upper().startswith("SELECT") or f"FROM {table}" not in statement:
            return
        with lock:
            hits[0] += 1
            mine = hits[0]
        if mine <= parties:
            barrier.wait()

    event.listen(engine, "after_cursor_execute", after)
    try:
        yield
    finally:
        event.remove(engine, "after_cursor_execute", after)


def count(app: App, model: type) -> int:
    with transaction(app.sessions) as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def first_words(update_id: int, text: str) -> dict:
    user = {"id": 4242, "is_bot": False, "first_name": "小李"}
    chat = {"id": 4242, "type": "private", "first_name": "小李"}
    message = {"message_id": update_id, "date": int(time.time()), "chat": chat, "from": user}
    return {"update_id": update_id, "message": {**message, "text": text}}


async def test_a_new_users_first_two_updates_at_once_are_both_answered(db_url: str, tmp_path: Path):
    app = make_app(db_url, tmp_path, SystemClock())
    receiver = TelegramReceiver(None, app.dispatcher)  # type: ignore[arg-type]  # no buttons
    web = make_web_app(app.engine, channels=["telegram"], telegram=receiver, telegram_secret=SECRET)
    transport = httpx.ASGITransport(app=web)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    identities = count(app, ChatIdentity)
    # On SQLite the first write (the dedupe row) already serialises the two transactions, so
    # they never both look for the identity before one commits: no barrier to meet there.
    parties = 2 if app.engine.dialect.name == "postgresql" else 0
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        with meet_after_select(app.engine, "chat_identities", parties):
            answers = await asyncio.gather(
                http.post("/telegram/webhook", json=first_words(1, "你好"), headers=headers),
                http.post("/telegram/webhook", json=first_words(2, "路灯坏了"), headers=headers),
            )
    try:
        assert [a.status_code for a in answers] == [200, 200]
        assert count(app, InboundMessage) == 2
        assert count(app, ChatIdentity) == identities + 1
        with transaction(app.sessions) as session:
            user = session.scalars(
                select(ChatIdentity).where(ChatIdentity.external_id == "4242")
            ).one()
            assert user.resident_id is not None
            assert session.scalar(select(func.count()).select_from(Resident)) == 1
            states = session.scalars(select(DialogState).where(DialogState.chat_id == "4242"))
            assert len(states.all()) == 1
    finally:
        app.engine.dispose()


async def test_one_msgid_four_times_at_once_is_one_message_answered_once(
    db_url: str, tmp_path: Path
):
    from bot.simulator import Simulation

    app = make_app(db_url, tmp_path, SystemClock())
    sim = Simulation.attach(app, SystemClock())  # type: ignore[arg-type]
    xml = text_xml("东岭村的路灯坏了", msg_id=5150)
    try:
        async with wechat_client(sim, safe=False) as http:
            with meet_after_select(app.engine, "wechat_windows", 4):
                answers = await asyncio.gather(*(post_xml(http, xml, safe=False) for _ in range(4)))
        assert [a.status_code for a in answers] == [200] * 4
        replies = [reply_text(a, safe=False) if a.text != "success" else "" for a in answers]
        assert sum("【类别】城乡建设" in r for r in replies) == 1  # the one handled; 3 retries
        assert count(app, WeChatWindow) == 1
        assert count(app, InboundMessage) == 1
    finally:
        app.engine.dispose()


def test_two_first_dialog_states_of_one_chat_at_once(db_url: str, tmp_path: Path):
    app = make_app(db_url, tmp_path, SystemClock())
    failures: list[BaseException] = []

    def open_state() -> None:
        try:
            with transaction(app.sessions) as session:
                dialog_state(session, SystemClock().now(), "telegram", "777")
        except BaseException as error:
            failures.append(error)

    try:
        with meet_after_select(app.engine, "dialog_states", 2):
            threads = [threading.Thread(target=open_state) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        assert failures == []
        with transaction(app.sessions) as session:
            rows = session.scalars(select(DialogState).where(DialogState.chat_id == "777"))
            assert len(rows.all()) == 1
    finally:
        app.engine.dispose()


async def test_one_invite_redeemed_by_two_accounts_at_once_binds_one(db_url: str, tmp_path: Path):
    from casework.identities import create_invite
    from storage.models import OutboxMessage

    app = make_app(db_url, tmp_path, SystemClock())
    with transaction(app.sessions) as session:
        token = create_invite(session, "D002", SystemClock().now())
    receiver = TelegramReceiver(None, app.dispatcher)  # type: ignore[arg-type]
    web = make_web_app(app.engine, channels=["telegram"], telegram=receiver, telegram_secret=SECRET)
    transport = httpx.ASGITransport(app=web)
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}

    def start_from(user: int, update_id: int) -> dict:
        update = first_words(update_id, f"/start inv-{token}")
        update["message"]["chat"]["id"] = update["message"]["from"]["id"] = user
        return update

    parties = 2 if app.engine.dialect.name == "postgresql" else 0
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
            with meet_after_select(app.engine, "deputy_invites", parties):
                answers = await asyncio.gather(
                    http.post("/telegram/webhook", json=start_from(501, 11), headers=headers),
                    http.post("/telegram/webhook", json=start_from(502, 12), headers=headers),
                )
        assert [a.status_code for a in answers] == [200, 200]
        with transaction(app.sessions) as session:
            bound = session.scalars(
                select(ChatIdentity.external_id).where(
                    ChatIdentity.channel == "telegram", ChatIdentity.deputy_code == "D002"
                )
            ).all()
            replies = session.scalars(
                select(OutboxMessage.text).where(OutboxMessage.chat_id.in_(["501", "502"]))
            ).all()
        assert len(bound) == 1
        assert sorted(reply[:9] for reply in replies) == [
            "您好，黎建国代表！",
            "该邀请链接已使用过",
        ]
    finally:
        app.engine.dispose()
