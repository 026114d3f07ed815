"""The WeChat callback with real wechatpy crypto and XML: verification, signatures, safe
mode, passive replies within the 5-second budget, retries deduplicated, bad XML refused."""

from __future__ import annotations

import hashlib
import time
from xml.etree import ElementTree

import httpx
import pytest
from sqlalchemy import func, select
from starlette.applications import Starlette
from starlette.routing import Route
from wechatpy.crypto import WeChatCrypto

from bot.channels.wechat.callback import WeChatCallback
from bot.simulator import Simulation
from storage.db import transaction
from storage.models import Case, InboundMessage

TOKEN = "gridintake"
AES_KEY = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
APP_ID = "wx0123456789abcdef"
OPENID = "oResident_0001"


def sign(token: str, timestamp: str, nonce: str) -> str:
    return hashlib.sha1("".join(sorted([token, timestamp, nonce])).encode()).hexdigest()


def text_xml(content: str, msg_id: int = 1001, openid: str = OPENID) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_1234]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{msg_id}</MsgId></xml>"
    )


def event_xml(event: str, key: str, openid: str = OPENID, at: int = 1700000000) -> str:
    return (
        f"<xml><ToUserName><![CDATA[gh_1234]]></ToUserName>"
        f"<FromUserName><![CDATA[{openid}]]></FromUserName><CreateTime>{at}</CreateTime>"
        f"<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>"
        f"<EventKey><![CDATA[{key}]]></EventKey><Ticket><![CDATA[t]]></Ticket></xml>"
    )


def client(sim: Simulation, *, safe: bool) -> httpx.AsyncClient:
    callback = WeChatCallback(
        TOKEN,
        sim.app.dispatcher,
        sim.sender.take_for_reply,
        aes_key=AES_KEY if safe else None,
        app_id=APP_ID if safe else None,
    )
    app = Starlette(
        routes=[
            Route("/wechat", callback.get, methods=["GET"]),
            Route("/wechat", callback.post, methods=["POST"]),
        ]
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")


def signed_params(**extra: str) -> dict[str, str]:
    timestamp, nonce = str(int(time.time())), "1372623149"
    return {
        "timestamp": timestamp,
        "nonce": nonce,
        "signature": sign(TOKEN, timestamp, nonce),
        **extra,
    }


async def post(http: httpx.AsyncClient, xml: str, *, safe: bool) -> httpx.Response:
    params = signed_params()
    if safe:
        crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        encrypted = crypto.encrypt_message(xml, params["nonce"], params["timestamp"])
        # The callback body in safe mode carries the ciphertext; the signature covers it.
        root = ElementTree.fromstring(encrypted)
        params["msg_signature"] = root.findtext("MsgSignature")
        ciphertext = root.findtext("Encrypt")
        body = f"<xml><ToUserName>gh_1234</ToUserName><Encrypt>{ciphertext}</Encrypt></xml>"
        return await http.post("/wechat", params=params, content=body.encode())
    return await http.post("/wechat", params=params, content=xml.encode())


def reply_text(response: httpx.Response, *, safe: bool) -> str:
    body = response.text
    if safe:
        root = ElementTree.fromstring(body)
        crypto = WeChatCrypto(TOKEN, AES_KEY, APP_ID)
        body = crypto.decrypt_message(
            body, root.findtext("MsgSignature"), root.findtext("TimeStamp"), root.findtext("Nonce")
        )
    return ElementTree.fromstring(body).findtext("Content") or ""


async def test_url_verification_echoes_only_when_signed(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        good = await http.get("/wechat", params=signed_params(echostr="hello123"))
        forged = await http.get(
            "/wechat", params={**signed_params(echostr="x"), "signature": "0" * 40}
        )
    assert (good.status_code, good.text) == (200, "hello123")
    assert forged.status_code == 403


@pytest.mark.parametrize("safe", [False, True], ids=["plain", "aes"])
async def test_a_scan_then_a_text_get_passive_replies(sqlite_sim: Simulation, safe: bool):
    async with client(sqlite_sim, safe=safe) as http:
        greeted = await post(http, event_xml("subscribe", "qrscene_ST-DL"), safe=safe)
        assert "东岭片区人大代表联络站" in reply_text(greeted, safe=safe)
        summary = await post(http, text_xml("东岭村的路灯坏了"), safe=safe)
    text = reply_text(summary, safe=safe)
    assert "【类别】城乡建设" in text
    assert "1. 确认提交" in text and "（回复编号即可）" in text  # no buttons on WeChat


async def test_three_retries_make_one_case(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        await post(http, text_xml("东岭村的路灯坏了", msg_id=1), safe=False)
        for _ in range(4):  # the first delivery and WeChat's three retries
            retry = await post(http, text_xml("1", msg_id=2), safe=False)
            assert retry.status_code == 200
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == 1
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 2


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("<xml><MsgType>text", 400),  # malformed
        ("x" * 70_000, 413),  # oversized
        (
            '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]>'
            "<xml><Content>&lol2;</Content></xml>",
            400,
        ),  # entity expansion
    ],
    ids=["malformed", "oversized", "entities"],
)
async def test_bad_xml_is_refused_and_stores_nothing(
    sqlite_sim: Simulation, body: str, status: int
):
    async with client(sqlite_sim, safe=False) as http:
        response = await http.post("/wechat", params=signed_params(), content=body.encode())
    assert response.status_code == status
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


async def test_a_forged_signature_is_403_and_nothing_is_stored(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=False) as http:
        params = {**signed_params(), "signature": "f" * 40}
        response = await http.post("/wechat", params=params, content=text_xml("路灯坏了").encode())
    assert response.status_code == 403
    with transaction(sqlite_sim.app.sessions) as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


async def test_a_tampered_aes_message_is_refused(sqlite_sim: Simulation):
    async with client(sqlite_sim, safe=True) as http:
        params = {**signed_params(), "msg_signature": "0" * 40}
        body = (
            "<xml><ToUserName><![CDATA[gh]]></ToUserName><Encrypt><![CDATA[AAAA]]></Encrypt></xml>"
        )
        response = await http.post("/wechat", params=params, content=body.encode())
    assert response.status_code == 403
