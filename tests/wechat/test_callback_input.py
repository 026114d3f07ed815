"""The WeChat callback refuses what WeChat would not send (issue 11, item 6): an old or future
timestamp is 403 even when signed, broken fields are 400, and neither stores anything; a
replayed request never carries another message as its passive reply."""

from __future__ import annotations

import time

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route

from bot.channels.wechat.callback import WeChatCallback
from bot.channels.wechat.outbound import open_window
from bot.simulator import Simulation
from casework.outbox import Message, post
from storage.db import transaction
from storage.models import (
    ChatIdentity,
    DialogState,
    InboundMessage,
    OutboxMessage,
    Resident,
    WeChatWindow,
)
from tests.test_wechat_callback import AES_KEY, APP_ID, OPENID, TOKEN, reply_text, sign, text_xml
from tests.test_wechat_callback import post as post_xml

STORED = (InboundMessage, ChatIdentity, Resident, OutboxMessage, DialogState, WeChatWindow)
HEAD = "<xml><ToUserName>gh_1234</ToUserName>"


def client(sim: Simulation, *, safe: bool) -> httpx.AsyncClient:
    """The callback as serve() wires it: each accepted action opens the user's window."""
    callback = WeChatCallback(
        TOKEN,
        sim.app.dispatcher,
        sim.sender.take_for_reply,
        aes_key=AES_KEY if safe else None,
        app_id=APP_ID if safe else None,
        on_user_action=lambda openid: open_window(sim.app.sessions, openid),
    )
    app = Starlette(routes=[Route("/wechat", callback.post, methods=["POST"])])
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


def counts(sim: Simulation) -> dict[str, int]:
    with transaction(sim.app.sessions) as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in STORED
        }


def params_at(timestamp: str, nonce: str = "8675309") -> dict[str, str]:
    return {"timestamp": timestamp, "nonce": nonce, "signature": sign(TOKEN, timestamp, nonce)}


@pytest.mark.parametrize(
    ("offset", "status"),
    [(-30 * 86400, 403), (-301, 403), (600, 403), (-240, 200), (240, 200)],
    ids=["30 days old", "5 minutes 1 second old", "10 minutes ahead", "4 min old", "4 min ahead"],
)
async def test_a_signed_request_is_accepted_only_within_five_minutes(
    sqlite_sim: Simulation, offset: int, status: int
):
    params = params_at(str(int(time.time()) + offset))
    async with client(sqlite_sim, safe=False) as http:
        response = await http.post("/wechat", params=params, content=text_xml("路灯坏了").encode())
    assert response.status_code == status
    assert counts(sqlite_sim)["inbound_messages"] == (1 if status == 200 else 0)


@pytest.mark.parametrize("timestamp", ["", "abc", "1e9", "-5", "9" * 40, "１７００"])
async def test_a_timestamp_that_is_not_a_time_is_403(sqlite_sim: Simulation, timestamp: str):
    before = counts(sqlite_sim)
    async with client(sqlite_sim, safe=False) as http:
        response = await http.post(
            "/wechat", params=params_at(timestamp), content=text_xml("路灯坏了").encode()
        )
    assert response.status_code == 403
    assert counts(sqlite_sim) == before


def text_with(**fields: str) -> str:
    values = {
        "FromUserName": OPENID,
        "CreateTime": str(int(time.time())),
        "MsgType": "text",
        "Content": "东岭村的路灯坏了",
        "MsgId": "1001",
        **fields,
    }
    return HEAD + "".join(f"<{k}>{v}</{k}>" for k, v in values.items() if v is not None) + "</xml>"


def location_with(x: str, y: str = "110.495") -> str:
    return text_with(
        MsgType="location", Content=None, Location_X=x, Location_Y=y, Scale="15", Label="村"
    )


def event_with(created: str, event: str = "LOCATION") -> str:
    return text_with(
        MsgType="event", Event=event, Content=None, MsgId=None, CreateTime=created,
        Latitude="24.77", Longitude="110.49",
    )  # fmt: skip


BROKEN = {
    "MsgId not a number": text_with(MsgId="abc"),
    "MsgId over 64 bits": text_with(MsgId="9" * 30),
    "CreateTime not a number": event_with("abc"),
    "CreateTime huge": event_with("9" * 30),
    "Location_X not a number": location_with("abc"),
    "Location_X NaN": location_with("NaN"),
    "Location_X infinite": location_with("inf"),
    "Location_Y out of range": location_with("24.7", "500"),
    "event latitude NaN": event_with("1700000000").replace("24.77", "nan"),
    "FromUserName of 300 characters": text_with(FromUserName="o" * 300),
    "FromUserName with spaces": text_with(FromUserName="o user"),
    "FromUserName missing": text_with(FromUserName=None),
    "XML nested inside Content": text_with(Content="<a><b>路灯</b></a>"),
    "Content twice": text_with(Content="a</Content><Content>b"),
    "MsgType missing": text_with(MsgType=None),
    "MsgType nested": text_with(MsgType="<t>text</t>"),
    "ToUserName nested": text_with().replace("gh_1234", "<x>gh</x>"),
    "scene nested": text_with(MsgType="event", Event="SCAN", EventKey="<k>ST-DL</k>"),
    "scene too long": text_with(MsgType="event", Event="SCAN", EventKey="S" * 200),
    "not XML": "hello",
    "empty body": "",
    "blank body": "   \n",
    "no xml root": "<root><MsgType>text</MsgType></root>",
}


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_broken_fields_are_400_and_store_nothing(sqlite_sim: Simulation, safe: bool):
    before, answered = counts(sqlite_sim), {}
    async with client(sqlite_sim, safe=safe) as http:
        for name, xml in BROKEN.items():
            if safe and not xml.strip():
                continue  # nothing to encrypt
            answered[name] = (await post_xml(http, xml, safe=safe)).status_code
    expected = {name: 400 for name in BROKEN if not safe or BROKEN[name].strip()}
    assert answered == expected
    assert counts(sqlite_sim) == before


async def test_an_empty_body_in_plain_mode_is_400(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        params = params_at(str(int(time.time())))
        response = await http.post("/wechat", params=params, content=b"")
    assert response.status_code == 400


def queue_for_resident(sim: Simulation, text: str) -> int:
    with transaction(sim.app.sessions) as session:
        post(session, sim.clock.now(), Message(f"chat:wechat:{OPENID}", text))
        session.flush()
        return session.scalar(select(func.max(OutboxMessage.id))) or 0


def status_of(sim: Simulation, row_id: int) -> str:
    with transaction(sim.app.sessions) as session:
        return session.get(OutboxMessage, row_id).status  # type: ignore[union-attr]


async def test_a_replayed_request_does_not_carry_a_queued_message(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        first = await post_xml(http, text_xml("东岭村的路灯坏了", msg_id=71), safe=False)
        assert "【类别】城乡建设" in reply_text(first, safe=False)
        queued = queue_for_resident(sqlite_sim, "莫小兰代表已签收，正在办理。")
        replay = await post_xml(http, text_xml("东岭村的路灯坏了", msg_id=71), safe=False)
    assert (replay.status_code, replay.text) == (200, "success")
    assert status_of(sqlite_sim, queued) == "pending"  # goes as a customer-service message


async def test_a_new_request_does_not_jump_a_queued_message(sqlite_sim: Simulation):
    queued = queue_for_resident(sqlite_sim, "您的工单已办结。")
    async with client(sqlite_sim, safe=False) as http:
        response = await post_xml(http, text_xml("东岭村的路灯坏了", msg_id=72), safe=False)
    assert response.text == "success"
    with transaction(sqlite_sim.app.sessions) as session:
        rows = session.execute(select(OutboxMessage.id, OutboxMessage.status)).all()
    assert rows[0] == (queued, "pending")
    assert {status for _id, status in rows} == {"pending"}  # both wait, in order


async def test_only_the_requests_own_reply_goes_passively(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        response = await post_xml(http, text_xml("东岭村的路灯坏了", msg_id=73), safe=False)
    assert "【类别】城乡建设" in reply_text(response, safe=False)
    with transaction(sqlite_sim.app.sessions) as session:
        statuses = session.scalars(select(OutboxMessage.status)).all()
    assert statuses == ["sent"]


async def test_the_window_opens_only_for_accepted_messages(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        await post_xml(http, text_with(MsgId="abc"), safe=False)
        assert counts(sqlite_sim)["wechat_windows"] == 0
        voice = text_with(MsgType="voice", Content=None, MediaId="m", Format="amr")
        assert (await post_xml(http, voice, safe=False)).text == "success"
    assert counts(sqlite_sim)["wechat_windows"] == 1  # the user acted, though we ignore voice
