"""The QQ contract: the real handlers behind the webhook on 127.0.0.1, httpx talking to the
fake QQ platform — private-chat intake to a ticket and the deputy's answer, passive replies
within QQ's window, active messages within the quota, waiting for the next message, token
refresh, forged signatures and replayed events."""

from __future__ import annotations

import asyncio
import re

from sqlalchemy import func, select

from bot.channels.qq.token import SharedAppToken
from casework.clock import SystemClock
from casework.identities import create_invite
from casework.outbox import Message, post
from storage.db import transaction
from storage.models import Case, InboundMessage, OutboxMessage
from tests.qq.conftest import QQBench

RESIDENT, DEPUTY = "user:RESIDENT0001", "user:DEPUTY0002"


async def bind_deputy(qq: QQBench, code: str = "D001") -> None:
    with transaction(qq.app.sessions) as session:
        token = create_invite(session, code, SystemClock().now())
    assert await qq.deliver(qq.fake.c2c_message("DEPUTY0002", f"inv-{token}")) == 200


async def say(qq: QQBench, user: str, text: str) -> None:
    assert await qq.deliver(qq.fake.c2c_message(user.removeprefix("user:"), text)) == 200


def ticket_in(texts: list[str]) -> str:
    return next(m.group(0) for t in texts if (m := re.search(r"YS-\d{4}-\d{6}", t)))


async def test_a_private_chat_intake_becomes_a_ticket_and_the_deputy_answers(qq: QQBench):
    await bind_deputy(qq)
    assert "代表" in qq.fake.texts_to(DEPUTY)[-1]
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    summary = qq.fake.texts_to(RESIDENT)[-1]
    assert "1. 确认提交" in summary and "（回复编号即可）" in summary
    await say(qq, RESIDENT, "1")
    ticket = ticket_in(qq.fake.texts_to(RESIDENT))
    assert "【新交办工单】" in qq.fake.texts_to(DEPUTY)[-1]
    await say(qq, DEPUTY, f"受理 {ticket}")
    assert qq.fake.texts_to(RESIDENT)[-1].endswith("代表已签收，正在办理。")
    await say(qq, DEPUTY, f"回复 {ticket} 已联系供电所，明天来修")
    assert "已联系供电所，明天来修" in qq.fake.texts_to(RESIDENT)[-1]
    await say(qq, DEPUTY, f"办结 {ticket} 已更换灯具")
    survey = qq.fake.texts_to(RESIDENT)[-1]
    assert "5. 非常满意" in survey
    await say(qq, RESIDENT, "5")
    assert qq.fake.texts_to(RESIDENT)[-1].startswith("感谢您的评价（非常满意）")
    with transaction(qq.app.sessions) as session:
        assert session.scalars(select(Case.status)).one() == "rated"
    # The resident's "1" got five passive replies (receipt, 签收, answer, result, survey),
    # all within its 60 minutes; nothing needed the active quota. Each went out once.
    sent = [s for s in qq.fake.sent if s.chat_id == RESIDENT]
    assert [(s.passive, s.msg_seq) for s in sent] == [
        (True, 1), (True, 1), (True, 2), (True, 3), (True, 4), (True, 5), (True, 1),
    ]  # fmt: skip
    rows = qq.rows(channel="qq")
    assert {r.status for r in rows} == {"sent"}
    assert len(qq.fake.sent) == len(rows)


async def test_replies_to_a_message_are_passive_with_increasing_msg_seq(qq: QQBench):
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    await say(qq, RESIDENT, "1")
    sent = [s for s in qq.fake.sent if s.chat_id == RESIDENT]
    assert all(s.passive for s in sent)
    assert [s.msg_seq for s in sent] == [1, 1]  # one reply to each of the two messages
    with transaction(qq.app.sessions) as session:
        for i in range(3):
            post(session, SystemClock().now(), Message(f"chat:qq:{RESIDENT}", f"第{i}条"))
    await qq.flush()
    assert [s.msg_seq for s in qq.fake.sent if s.chat_id == RESIDENT][-3:] == [2, 3, 4]


async def test_after_the_window_an_active_message_then_a_wait_for_the_next_message(qq: QQBench):
    qq.fake.active_quota = 1
    await say(qq, RESIDENT, "你好")
    qq.time.advance(minutes=61)  # the private chat's 60 minutes are over
    with transaction(qq.app.sessions) as session:
        for text in ("稍后的消息一", "稍后的消息二"):
            post(session, SystemClock().now(), Message(f"chat:qq:{RESIDENT}", text))
    await qq.flush()
    first = qq.fake.sent[-1]
    assert (first.content, first.passive) == ("稍后的消息一", False)  # the month's one active
    waiting = qq.rows(text="稍后的消息二")[0]
    assert waiting.status == "pending" and "waiting for this chat's next message" in waiting.error
    assert "稍后的消息二" not in qq.fake.texts_to(RESIDENT)
    # The resident writes again: the waiting message goes first, as a passive reply.
    await say(qq, RESIDENT, "查询")
    texts = qq.fake.texts_to(RESIDENT)
    assert texts.index("稍后的消息二") < len(texts) - 1
    assert [s.passive for s in qq.fake.sent if s.content == "稍后的消息二"] == [True]
    assert qq.rows(text="稍后的消息二")[0].status == "sent"


async def test_a_refused_active_message_waits_and_is_not_tried_again_that_month(qq: QQBench):
    qq.fake.active_allowed = False  # QQ since 2025-04-21: 40034102 主动消息失败, 无权限
    with transaction(qq.app.sessions) as session:
        for text in ("通知一", "通知二"):
            post(session, SystemClock().now(), Message(f"chat:qq:{RESIDENT}", text))
    await qq.flush()
    actives = [c for c in qq.fake.calls if c[0] == "POST" and "msg_id" not in (c[2] or {})]
    assert len(actives) == 1  # one refusal, then no more tries this month
    assert [r.status for r in qq.rows(channel="qq")] == ["pending", "pending"]
    await say(qq, RESIDENT, "你好")
    assert qq.fake.texts_to(RESIDENT)[:2] == ["通知一", "通知二"]
    assert {r.status for r in qq.rows(channel="qq")} == {"sent"}


async def test_a_replayed_event_has_one_effect(qq: QQBench):
    event = qq.fake.c2c_message("RESIDENT0001", "东岭村的路灯坏了")
    assert await qq.deliver(event) == 200
    assert await qq.deliver(event) == 200
    assert len(qq.fake.texts_to(RESIDENT)) == 1
    with transaction(qq.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 1


async def test_a_forged_signature_is_refused_and_nothing_is_stored(qq: QQBench):
    event = qq.fake.c2c_message("RESIDENT0001", "东岭村的路灯坏了")
    assert await qq.deliver(event, secret="not-the-bot-secret") == 401
    assert qq.fake.sent == []
    with transaction(qq.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_the_callback_address_validation_is_answered(qq: QQBench):
    assert await qq.fake.validate(qq.url)
    assert qq.fake.validations == 1


async def test_an_expired_token_is_refreshed_once_for_all(qq: QQBench):
    await say(qq, RESIDENT, "你好")
    assert qq.fake.token_requests == 1
    qq.fake.expire_tokens()
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    assert qq.fake.token_requests == 2
    assert len(qq.fake.texts_to(RESIDENT)) == 2
    # Near its end the token is replaced before QQ refuses it; other processes share it.
    qq.time.advance(seconds=7200 - 60)
    await say(qq, RESIDENT, "1")
    assert qq.fake.token_requests == 3
    assert qq.token.fetched == 3


async def test_a_server_error_is_retried_with_backoff(qq: QQBench):
    qq.fake.fail_next("message", 502, 0, "Bad Gateway")
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    await qq.flush(timeout=5)
    rows = qq.rows(channel="qq")
    assert [(r.status, r.attempts) for r in rows] == [("sent", 2)]
    assert len(qq.fake.texts_to(RESIDENT)) == 1


async def test_a_rate_limit_is_honoured_and_nothing_is_sent_twice(qq: QQBench):
    qq.fake.fail_next("message", 429, 0, "too many requests", retry_after=1)
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    tries = [c for c in qq.fake.calls if c[1] == "/v2/users/RESIDENT0001/messages"]
    assert len(tries) == 2
    assert [(r.status, r.attempts) for r in qq.rows(channel="qq")] == [("sent", 2)]
    assert len(qq.fake.texts_to(RESIDENT)) == 1


async def test_a_permanent_failure_is_reported_to_the_office(qq: QQBench):
    qq.fake.fail_next("message", 400, 304003, "URL_NOT_ALLOWED url 未报备")
    await say(qq, RESIDENT, "东岭村的路灯坏了")
    row = qq.rows(channel="qq")[0]
    assert row.status == "failed" and "304003" in row.error
    assert [r.status for r in qq.rows(recipient="office")] == ["held"]


async def test_two_processes_share_one_token(qq: QQBench):
    other = SharedAppToken(
        qq.fake.app_id, qq.fake.secret, qq.fake.token_url, qq.app.sessions, clock=qq.time.epoch
    )
    first, second = await asyncio.gather(qq.token.get(), other.get())
    assert first == second and qq.fake.token_requests == 1
    qq.fake.expire_tokens()
    renewed = await qq.token.refresh(first)
    assert await other.refresh(first) == renewed  # the second finds the first's new token
    assert qq.fake.token_requests == 2


async def test_a_new_friend_is_welcomed_passively(qq: QQBench):
    assert await qq.deliver(qq.fake.friend_add("RESIDENT0001")) == 200
    welcome = qq.fake.sent[-1]
    assert welcome.chat_id == RESIDENT and welcome.event_id and welcome.msg_seq == 1
