"""QQ events → Incoming, and the webhook's refusals of what is not a proper callback: never
a 500, nothing stored."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from bot.channels.qq.inbound import event_to_incoming, strip_mention
from storage.db import transaction
from storage.models import InboundMessage
from tests.qq.conftest import QQBench


def test_a_group_mention_is_stripped_and_addressed_to_the_bot():
    incoming = event_to_incoming(
        "GROUP_AT_MESSAGE_CREATE",
        {"id": "M1", "content": " #建议 多装路灯", "group_openid": "G1",
         "author": {"member_openid": "U1"}},
        "E1",
    )  # fmt: skip
    assert incoming is not None
    assert (incoming.chat_id, incoming.user_id, incoming.text) == (
        "group:G1",
        "member:U1",
        "#建议 多装路灯",
    )
    assert incoming.is_group and incoming.addressed_to_bot and incoming.message_id == "mM1"
    assert strip_mention("<@!1234> <@5678>  绑定 ST-DL") == "绑定 ST-DL"


def test_private_messages_invites_pictures_and_friend_adds():
    c2c = {"id": "M2", "content": "东岭村的路灯坏了", "author": {"user_openid": "U2"}}
    incoming = event_to_incoming("C2C_MESSAGE_CREATE", c2c, "E2")
    assert (incoming.chat_id, incoming.user_id, incoming.is_group) == ("user:U2", "user:U2", False)
    invite = event_to_incoming("C2C_MESSAGE_CREATE", {**c2c, "content": "inv-abcdefgh123"}, "E")
    assert invite.start == "inv-abcdefgh123" and invite.text is None
    entry = event_to_incoming("C2C_MESSAGE_CREATE", {**c2c, "content": "/start ST-DL"}, "E")
    assert entry.start == "ST-DL"
    image = {"content_type": "image/jpeg", "url": "https://multimedia.nt.qq.com.cn/x.jpg"}
    picture = {**c2c, "content": "", "attachments": [image]}
    assert event_to_incoming("C2C_MESSAGE_CREATE", picture, "E").photo.endswith("x.jpg")
    friend = event_to_incoming("FRIEND_ADD", {"openid": "U2", "timestamp": 1}, "E9")
    assert (friend.start, friend.message_id) == ("", "eE9")


@pytest.mark.parametrize(
    "event, data",
    [
        ("C2C_MESSAGE_CREATE", {"content": "没有消息 id", "author": {"user_openid": "U"}}),
        ("C2C_MESSAGE_CREATE", {"id": "M", "content": "没有发送者"}),
        ("C2C_MESSAGE_CREATE", {"id": "M", "content": "  ", "author": {"user_openid": "U"}}),
        (
            "GROUP_AT_MESSAGE_CREATE",
            {"id": "M", "content": "没有群", "author": {"member_openid": "U"}},
        ),
        ("GROUP_AT_MESSAGE_CREATE", {"id": "M", "group_openid": "G", "content": 5, "author": {}}),
        ("GROUP_DEL_ROBOT", {"group_openid": "G"}),
        ("C2C_MESSAGE_CREATE", ["not", "an", "object"]),
    ],
)
def test_events_without_what_we_need_are_ignored(event, data):
    assert event_to_incoming(event, data, "E") is None


async def test_the_webhook_refuses_what_is_not_a_proper_callback(qq: QQBench):
    signed = qq.fake.signed
    async with httpx.AsyncClient() as http:
        unsigned = await http.post(qq.url, content=b'{"op": 0}')
        not_json = await http.post(qq.url, content=b"<xml/>", headers=signed(b"<xml/>"))
        body = json.dumps({"op": 13, "d": {"plain_token": 5}}).encode()
        bad_validation = await http.post(qq.url, content=body, headers=signed(body))
        body = json.dumps({"op": 0, "t": "C2C_MESSAGE_CREATE", "d": "garbage"}).encode()
        garbage = await http.post(qq.url, content=body, headers=signed(body))
        big = b'{"op": 0, "d": "' + b"x" * 300_000 + b'"}'
        too_big = await http.post(qq.url, content=big, headers=signed(big))
        body = json.dumps({"op": 1, "d": 42}).encode()
        heartbeat = await http.post(qq.url, content=body, headers=signed(body))
    statuses = [r.status_code for r in (unsigned, not_json, bad_validation, garbage, too_big)]
    assert statuses == [401, 400, 400, 200, 413]
    assert garbage.json() == {"op": 12, "d": 0}
    assert heartbeat.json() == {"op": 11, "d": 42}
    with transaction(qq.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
