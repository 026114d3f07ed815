"""One contract, both backends: python-telegram-bot and aiogram drive the real handlers over
HTTP against the fake Bot API on 127.0.0.1 — the whole loop, a hometown group, pacing, a
supergroup migration, 429s and forged buttons."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from bot.bootstrap import App
from bot.channels.limits import TELEGRAM, RateLimits
from bot.channels.telegram.fake_api import FakeBotApi
from bot.channels.telegram.runner import TelegramReceiver
from bot.outbox_sender import OutboxSender
from bot.web import make_web_app
from casework.clock import SystemClock
from casework.identities import create_invite, migrate_chat
from storage.db import transaction
from storage.models import Case, HometownGroup, InboundMessage, OutboxMessage
from tests.conftest import make_app

TICKET_PREFIX = "YS-"
BOT = "grid_intake_bot"
RESIDENT, DEPUTY, GROUP = 1001, 2002, -100200
FAST = RateLimits(per_chat_interval=0.02, per_group_interval=0.05, overall_per_second=1000)


@dataclass
class Bench:
    fake: FakeBotApi
    app: App
    channel: object
    receiver: TelegramReceiver
    sender: OutboxSender

    async def push(self, update: dict) -> None:
        """The update arrives (as getUpdates would hand it over) and replies go out."""
        await self.receiver.handle(update)
        await self.flush()

    async def flush(self, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while True:
            await self.sender.drain()
            with transaction(self.app.sessions) as session:
                waiting = session.scalar(
                    select(func.count()).where(OutboxMessage.status.in_(("pending", "sending")))
                )
            if not waiting or time.monotonic() > deadline:
                return
            await asyncio.sleep(0.05)

    def texts_to(self, chat: int) -> list[str]:
        return [text for chat_id, text, _markup in self.fake.sent if int(chat_id) == chat]

    def last_keyboard(self, chat: int) -> list[tuple[str, str]]:
        markup = [m for chat_id, _t, m in self.fake.sent if int(chat_id) == chat][-1]
        return [(b["text"], b["callback_data"]) for row in markup["inline_keyboard"] for b in row]


@pytest.fixture(params=["ptb", "aiogram"])
async def bench(request, sqlite_url: str, tmp_path: Path) -> AsyncIterator[Bench]:
    app = make_app(sqlite_url, tmp_path, SystemClock())  # real time: pacing, retry_after

    def migrated(old: str, new: str) -> None:
        with transaction(app.sessions) as session:
            migrate_chat(session, "telegram", old, new)

    async with FakeBotApi() as fake:
        if request.param == "ptb":
            from bot.channels.telegram.ptb import PtbTelegram

            channel = PtbTelegram(fake.token, fake.server_root, on_migrated=migrated)
        else:
            from bot.channels.telegram.aiogram_backend import AiogramTelegram

            channel = AiogramTelegram(fake.token, fake.server_root, on_migrated=migrated)
        channel.limits = FAST  # type: ignore[attr-defined]  # the pacing test sets the real ones
        await channel.start()
        receiver = TelegramReceiver(channel, app.dispatcher, migrated)
        sender = app.sender({"telegram": channel})
        yield Bench(fake, app, channel, receiver, sender)
        await channel.stop()
    app.engine.dispose()


async def bind_deputy(bench: Bench, code: str = "D001") -> None:
    with transaction(bench.app.sessions) as session:
        token = create_invite(session, code, SystemClock().now())
    await bench.push(bench.fake.private_text(DEPUTY, f"/start inv-{token}", first_name="莫小兰"))


async def test_the_whole_loop_with_buttons(bench: Bench):
    fake = bench.fake
    await bind_deputy(bench)
    await bench.push(fake.private_text(RESIDENT, "/start ST-DL"))
    assert "东岭片区人大代表联络站" in bench.texts_to(RESIDENT)[-1]
    await bench.push(fake.private_text(RESIDENT, "东岭村的路灯坏了"))
    keyboard = bench.last_keyboard(RESIDENT)
    assert [label for label, _ in keyboard] == ["确认提交", "修改类别", "修改位置", "取消"]
    await bench.push(fake.callback(RESIDENT, keyboard[0][1]))
    ticket = next(t for t in bench.texts_to(RESIDENT) if "工单号" in t).split("工单号：")[1][:14]
    assert ticket.startswith(TICKET_PREFIX)
    assert "【新交办工单】" in bench.texts_to(DEPUTY)[-1]
    assert bench.last_keyboard(DEPUTY) == [("受理", f"accept:{ticket}")]

    await bench.push(fake.callback(DEPUTY, f"accept:{ticket}"))
    assert bench.texts_to(RESIDENT)[-1].endswith("莫小兰代表已签收，正在办理。")
    await bench.push(fake.private_text(DEPUTY, f"回复 {ticket} 已联系供电所，明天来修"))
    assert "已联系供电所，明天来修" in bench.texts_to(RESIDENT)[-1]
    await bench.push(fake.private_text(DEPUTY, f"办结 {ticket} 已更换灯具"))
    assert "已更换灯具" in bench.texts_to(RESIDENT)[-2]
    rating = bench.last_keyboard(RESIDENT)
    assert [label for label, _ in rating][-1] == "非常满意"
    await bench.push(fake.callback(RESIDENT, rating[-1][1]))
    assert bench.texts_to(RESIDENT)[-1].startswith("感谢您的评价（非常满意）")
    # Every pressed button was answered, so the clients stop their spinners.
    answered = [p for m, p in fake.calls if m == "answerCallbackQuery"]
    assert len(answered) == 3
    with transaction(bench.app.sessions) as session:
        assert session.scalars(select(Case.status)).one() == "rated"


async def test_a_redelivered_update_is_handled_once(bench: Bench):
    update = bench.fake.private_text(RESIDENT, "东岭村的路灯坏了")
    await bench.push(update)
    await bench.push(update)
    assert len(bench.texts_to(RESIDENT)) == 1


async def test_forged_buttons_change_nothing(bench: Bench):
    await bench.push(bench.fake.callback(RESIDENT, "accept:YS-2026-000001"))
    assert bench.texts_to(RESIDENT)[-1] == "该选项已失效，请按最新的提示操作。"
    await bench.push(bench.fake.callback(RESIDENT, "x" * 64))
    assert bench.texts_to(RESIDENT)[-1] == "无法识别该按钮，请按最新的提示操作。"
    with transaction(bench.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 0


async def test_a_hometown_group_suggestion(bench: Bench):
    fake = bench.fake
    await bench.push(fake.bot_added_to_group(GROUP, 3003, "ST-DL"))
    assert bench.texts_to(GROUP)[-1].startswith("本群已绑定为东岭片区人大代表联络站")
    await bench.push(fake.group_text(GROUP, 3004, "#建议 村里的路该修了"))
    assert bench.texts_to(GROUP)[-1].startswith("已收到")


async def test_only_the_groups_creator_or_an_admin_binds_it(bench: Bench):
    fake = bench.fake
    fake.set_member(GROUP, 3005, "member")
    await bench.push(fake.bot_added_to_group(GROUP, 3005, "ST-DL", adder_status="member"))
    assert bench.texts_to(GROUP)[-1].startswith("只有本群群主或管理员")
    await bench.push(fake.bot_added_to_group(GROUP, 3003, "ST-DL"))  # the creator
    assert bench.texts_to(GROUP)[-1].startswith("本群已绑定为东岭片区人大代表联络站")
    await bench.push(fake.group_text(GROUP, 3005, f"/start@{BOT} ST-BS"))
    assert bench.texts_to(GROUP)[-1].startswith("只有本群群主或管理员")
    fake.set_member(GROUP, 3006, "administrator")
    await bench.push(fake.group_text(GROUP, 3006, f"/start@{BOT} ST-BS"))
    assert bench.texts_to(GROUP)[-1].startswith("本群已绑定为白沙片区人大代表联络站")
    await bench.push(fake.group_text(GROUP, 3005, "#建议 村里的路该修了"))
    asked = [(p["chat_id"], p["user_id"]) for m, p in fake.calls if m == "getChatMember"]
    assert asked == [(GROUP, 3005), (GROUP, 3003), (GROUP, 3005), (GROUP, 3006)]  # binds only
    with transaction(bench.app.sessions) as session:
        assert session.scalars(select(HometownGroup.station_code)).one() == "ST-BS"


async def test_a_reply_supports_the_suggestion_it_quotes(bench: Bench):
    fake = bench.fake
    await bench.push(fake.bot_added_to_group(GROUP, 3003, "ST-DL"))
    await bench.push(fake.group_text(GROUP, 3004, "#建议 村口路灯坏了"))
    first = bench.texts_to(GROUP)[-1]
    await bench.push(fake.group_text(GROUP, 3007, "#建议 学校门口装红绿灯"))
    await bench.push(fake.group_text(GROUP, 3008, "附议", reply_to_bot=True, replied_text=first))
    assert bench.texts_to(GROUP)[-1].startswith("已记录小王对建议 JY-2026-000001")


async def test_a_group_that_became_a_supergroup_keeps_its_binding(bench: Bench):
    fake = bench.fake
    await bench.push(fake.bot_added_to_group(GROUP, 3003, "ST-DL"))
    await bench.push(fake.group_migrated(GROUP, GROUP * 10))
    with transaction(bench.app.sessions) as session:
        assert session.scalars(select(HometownGroup.chat_id)).one() == str(GROUP * 10)
    await bench.push(fake.group_text(GROUP * 10, 3004, "#建议 多装几盏路灯"))
    assert bench.texts_to(GROUP * 10)[-1].startswith("已收到")


async def test_a_send_to_the_old_group_id_follows_the_migration(bench: Bench):
    fake = bench.fake
    await bench.push(fake.bot_added_to_group(GROUP, 3003, "ST-DL"))
    fake.fail_next("sendMessage", 400, migrate_to_chat_id=GROUP * 10)
    await bench.push(fake.group_text(GROUP, 3004, "#建议 多装几盏路灯"))
    assert bench.texts_to(GROUP * 10)[-1].startswith("已收到")


async def test_429_retry_after_is_honoured_and_nothing_is_sent_twice(bench: Bench):
    fake = bench.fake
    fake.fail_next("sendMessage", 429, retry_after=1)
    started = time.monotonic()
    await bench.push(fake.private_text(RESIDENT, "东岭村的路灯坏了"))
    assert time.monotonic() - started >= 1.0
    assert len(bench.texts_to(RESIDENT)) == 1


async def test_a_user_who_blocked_the_bot_is_not_retried_forever(bench: Bench):
    fake = bench.fake
    fake.block_chat(RESIDENT)
    await bench.push(fake.private_text(RESIDENT, "东岭村的路灯坏了"))
    with transaction(bench.app.sessions) as session:
        row = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).first()
        assert row.status == "failed" and row.error.startswith("403")
        office = session.scalars(
            select(OutboxMessage.status).where(OutboxMessage.recipient == "office")
        ).all()
    assert office == ["held"]  # no office chat bound in this test: kept for when one is


async def test_a_flood_to_one_chat_is_paced_one_per_second(bench: Bench):
    bench.channel.limits = TELEGRAM  # type: ignore[attr-defined]
    bench.sender = bench.app.sender({"telegram": bench.channel})
    from casework.outbox import Message, post

    with transaction(bench.app.sessions) as session:
        for i in range(3):
            post(session, SystemClock().now(), Message(f"chat:telegram:{RESIDENT}", f"第{i}条"))
    await bench.flush()
    times = [s.at for s in bench.fake.sent if int(s[0]) == RESIDENT]
    assert [s[1] for s in bench.fake.sent] == ["第0条", "第1条", "第2条"]
    assert all(b - a >= 0.95 for a, b in itertools.pairwise(times))


async def test_webhook_checks_its_secret(bench: Bench):
    app = make_web_app(
        bench.app.engine, channels=["telegram"], telegram=bench.receiver, telegram_secret="s3cret"
    )
    transport = httpx.ASGITransport(app=app)
    update = bench.fake.private_text(RESIDENT, "东岭村的路灯坏了")
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        forged = await http.post("/telegram/webhook", json=update)
        wrong = await http.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
        )
        junk = await http.post(
            "/telegram/webhook",
            content=b"<xml/>",
            headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"},
        )
        good = await http.post(
            "/telegram/webhook", json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret"}
        )
    assert (forged.status_code, wrong.status_code, junk.status_code, good.status_code) == (
        403, 403, 400, 200,
    )  # fmt: skip
    await bench.flush()
    assert len(bench.texts_to(RESIDENT)) == 1


async def test_a_sent_message_can_be_edited(bench: Bench):
    await bench.push(bench.fake.private_text(RESIDENT, "东岭村的路灯坏了"))
    await bench.channel.edit(str(RESIDENT), 1, "（已处理）")  # type: ignore[attr-defined]
    edits = [p for m, p in bench.fake.calls if m == "editMessageText"]
    assert [(int(p["chat_id"]), p["text"]) for p in edits] == [(RESIDENT, "（已处理）")]


async def test_a_photo_and_a_location_reach_the_intake(bench: Bench):
    fake = bench.fake
    await bench.push(fake.private_photo(RESIDENT, "AgACAgIAAxk-photo"))
    assert bench.texts_to(RESIDENT)[0] == "已收到照片（共1张）。"
    await bench.push(fake.private_text(RESIDENT, "路灯坏了"))
    await bench.push(fake.private_location(RESIDENT, 24.770, 110.495))
    assert "已收到位置：阳朔镇东岭村。" in bench.texts_to(RESIDENT)
    await bench.push(fake.callback(RESIDENT, "intake:submit"))
    with transaction(bench.app.sessions) as session:
        case = session.scalars(select(Case)).one()
        assert (case.grid_code, case.photos) == ("G-DL-01", ["AgACAgIAAxk-photo"])


async def test_a_server_error_is_retried_with_backoff(bench: Bench):
    bench.fake.fail_next("sendMessage", 502, "Bad Gateway")
    started = time.monotonic()
    await bench.push(bench.fake.private_text(RESIDENT, "东岭村的路灯坏了"))
    assert time.monotonic() - started >= 1.5  # first retry after 2 s
    assert len(bench.texts_to(RESIDENT)) == 1
    with transaction(bench.app.sessions) as session:
        row = session.scalars(select(OutboxMessage)).one()
        assert (row.status, row.attempts) == ("sent", 2)


async def test_an_updates_replies_go_out_at_once_and_never_overtake(bench: Bench):
    """As ``run`` wires it: the receiver sends an update's replies itself, right after its
    transaction; a reply whose chat still has an earlier unsent message waits its turn."""
    bench.receiver.send_now = bench.sender.send_now
    receiver = bench.receiver

    async def handle(update: dict) -> None:
        await receiver.handle(update)
        await receiver.settle()

    await handle(bench.fake.private_text(RESIDENT, "/start ST-DL"))
    assert len(bench.texts_to(RESIDENT)) == 1  # no drain was needed
    bench.fake.fail_next("sendMessage", 429, retry_after=1)
    await handle(bench.fake.private_text(RESIDENT, "东岭村的路灯坏了，晚上很黑"))
    assert len(bench.texts_to(RESIDENT)) == 1  # refused by Telegram: back in the queue
    await handle(bench.fake.private_text(RESIDENT, "取消"))  # a typed choice
    assert len(bench.texts_to(RESIDENT)) == 1  # behind the deferred one, not before it
    await bench.flush()
    texts = bench.texts_to(RESIDENT)
    assert len(texts) == 3
    assert "请核对" in texts[1]  # the summary first, then what 取消 answered


async def test_a_hung_bot_api_does_not_hold_up_the_next_update(bench: Bench):
    """Replies are sent in a task of their own: while one send hangs, the next resident's
    message is still taken in (its case filed), and its reply waits its turn."""
    bench.receiver.send_now = bench.sender.send_now
    bench.fake.hang_after(0)
    await asyncio.wait_for(
        bench.receiver.handle(bench.fake.private_text(RESIDENT, "/start ST-DL")), 5
    )
    await asyncio.wait_for(
        bench.receiver.handle(bench.fake.private_text(RESIDENT + 1, "/start ST-DL")), 5
    )
    with transaction(bench.app.sessions) as session:
        received = session.scalar(select(func.count()).select_from(InboundMessage))
    assert received == 2
    bench.fake.hang_after(None)
    await bench.receiver.settle()
    await bench.flush()
    assert len(bench.texts_to(RESIDENT)) == 1 and len(bench.texts_to(RESIDENT + 1)) == 1


async def test_an_anonymous_administrator_can_bind_the_group(bench: Bench):
    """An administrator who posts as the group (sender_chat = the group, from =
    GroupAnonymousBot) binds it; a post on behalf of a linked channel does not."""
    fake = bench.fake
    group = {"id": GROUP, "type": "supergroup", "title": "网格群"}
    anonymous = {"id": 1087968824, "is_bot": True, "first_name": "Group",
                 "username": "GroupAnonymousBot"}  # fmt: skip

    def on_behalf_of(chat: dict, message_id: int) -> dict:
        message = {"message_id": message_id, "date": int(time.time()), "chat": group,
                   "from": anonymous, "sender_chat": chat, "text": f"/start@{BOT} ST-DL",
                   "entities": [{"type": "bot_command", "offset": 0,
                                 "length": len(f"/start@{BOT}")}]}  # fmt: skip
        return fake.push_update({"message": message})

    channel = {"id": -1009999, "type": "channel", "title": "县人大"}
    await bench.push(on_behalf_of(channel, 501))
    assert bench.texts_to(GROUP)[-1].startswith("只有本群群主或管理员")
    await bench.push(on_behalf_of(group, 502))
    assert bench.texts_to(GROUP)[-1].startswith("本群已绑定为东岭片区人大代表联络站")
    asked = [(p["chat_id"], p["user_id"]) for m, p in fake.calls if m == "getChatMember"]
    assert asked == [(GROUP, -1009999)]  # the group itself is not asked about
