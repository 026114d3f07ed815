"""The fake WeChat API must satisfy the real client: wechatpy 2.0.0a26 talks to it over HTTP on
127.0.0.1, parses its replies, maps its errors to its own exceptions and refreshes its token.

wechatpy is synchronous (requests), so each call runs in a thread while the fake serves from
the test's event loop."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import requests
from wechatpy import WeChatClient
from wechatpy.exceptions import APILimitedException, WeChatClientException

from bot.channels.wechat.fake_api import FakeWeChatApi, wechatpy_client

OPENID = "oGZUI0egBJY1zhBYw2KhdUfwVJJE"
OTHER_OPENID = "oGZUI0Z9rYxbPp2NwU0gB2CK4xyz"
TEMPLATE_ID = "ngqIpbwh8bUfcSsECmogfXcV14J0tQlEpBO27izEYtY"
LOOPBACK = (None, "127.0.0.1", "::1", "localhost")


@pytest.fixture(autouse=True)
def resolved_elsewhere(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """No DNS lookups either (conftest only stops connections): names tried are listed here."""
    tried: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def loopback_only(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name not in LOOPBACK:
            tried.append(name)
            raise socket.gaierror(socket.EAI_NONAME, f"tests must not resolve {name!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", loopback_only)
    return tried


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    async with FakeWeChatApi() as server:
        yield server


@contextmanager
def closed_after(client: WeChatClient) -> Iterator[WeChatClient]:
    """wechatpy has no close(): shut its requests.Session so no socket is left open."""
    try:
        yield client
    finally:
        client._http.close()


@pytest.fixture
def client(fake: FakeWeChatApi) -> Iterator[WeChatClient]:
    with closed_after(wechatpy_client(fake)) as client:
        yield client


def _paths(fake: FakeWeChatApi) -> list[str]:
    return [path for path, _, _ in fake.calls]


async def test_base_url_is_what_wechatpy_joins_endpoints_to(fake: FakeWeChatApi) -> None:
    assert fake.base_url.startswith("http://127.0.0.1:")
    assert fake.base_url.endswith("/cgi-bin/")
    assert WeChatClient.API_BASE_URL == "https://api.weixin.qq.com/cgi-bin/"
    assert fake.token_url == f"{fake.base_url}token"


async def test_fetches_a_token_once_and_reuses_it(
    fake: FakeWeChatApi, client: WeChatClient
) -> None:
    result = await asyncio.to_thread(client.fetch_access_token)
    assert result["expires_in"] == 7200
    token = result["access_token"]
    assert fake.token_requests == 1
    assert fake.calls == [
        (
            "token",
            {"grant_type": "client_credential", "appid": fake.appid, "secret": "s3cret"},
            None,
        )
    ]
    assert await asyncio.to_thread(lambda: client.access_token) == token
    assert fake.token_requests == 1


async def test_wrong_secret_is_refused(fake: FakeWeChatApi, client: WeChatClient) -> None:
    client.secret = "wrong"
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.fetch_access_token)
    assert raised.value.errcode == 40125
    assert fake.token_requests == 1


async def test_send_text_is_recorded(fake: FakeWeChatApi, client: WeChatClient) -> None:
    result = await asyncio.to_thread(client.message.send_text, OPENID, "您好")
    assert result == {"errcode": 0, "errmsg": "ok"}
    assert fake.custom_sent == [(OPENID, "您好")]
    assert _paths(fake) == ["token", "message/custom/send"]
    _, params, body = fake.calls[-1]
    assert params == {"access_token": client.access_token}
    assert body == {"touser": OPENID, "msgtype": "text", "text": {"content": "您好"}}


async def test_send_template_is_recorded(fake: FakeWeChatApi, client: WeChatClient) -> None:
    data = {"first": {"value": "您反映的问题已办结"}, "keyword1": {"value": "路灯不亮"}}
    result = await asyncio.to_thread(client.message.send_template, OPENID, TEMPLATE_ID, data)
    assert result["errcode"] == 0
    assert isinstance(result["msgid"], int)
    assert fake.template_sent == [(OPENID, TEMPLATE_ID, data)]
    again = await asyncio.to_thread(client.message.send_template, OPENID, TEMPLATE_ID, data)
    assert again["msgid"] != result["msgid"]


def _permanent_qr(scene: str) -> dict[str, Any]:
    return {"action_name": "QR_LIMIT_STR_SCENE", "action_info": {"scene": {"scene_str": scene}}}


async def test_permanent_qrcode_has_ticket_and_url(
    fake: FakeWeChatApi, client: WeChatClient
) -> None:
    made = await asyncio.to_thread(client.qrcode.create, _permanent_qr("station:12:deputy:3"))
    assert made["ticket"]
    assert made["url"].startswith("http://weixin.qq.com/q/")
    assert "expire_seconds" not in made
    assert "errcode" not in made
    other = await asyncio.to_thread(client.qrcode.create, _permanent_qr("station:12:deputy:4"))
    assert other["url"] != made["url"]
    same = await asyncio.to_thread(client.qrcode.create, _permanent_qr("station:12:deputy:3"))
    assert same == made
    assert fake.qrcodes == {"station:12:deputy:3": made["url"], "station:12:deputy:4": other["url"]}


async def test_scene_over_64_characters_is_refused(
    fake: FakeWeChatApi, client: WeChatClient
) -> None:
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.qrcode.create, _permanent_qr("网" * 65))
    assert raised.value.errcode == 40097
    assert fake.qrcodes == {}


async def test_45015_surfaces_as_client_exception(
    fake: FakeWeChatApi, client: WeChatClient
) -> None:
    fake.fail_custom_for(OPENID)
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.message.send_text, OPENID, "您的诉求有进展")
    assert raised.value.errcode == 45015
    assert "out of time limit" in raised.value.errmsg
    assert not isinstance(raised.value, APILimitedException)
    assert fake.custom_sent == []
    assert fake.token_requests == 1  # no refresh, no retry: wechatpy gives up at once
    # Others still get customer-service messages, and templates reach the blocked user.
    await asyncio.to_thread(client.message.send_text, OTHER_OPENID, "您好")
    await asyncio.to_thread(client.message.send_template, OPENID, TEMPLATE_ID, {})
    assert fake.custom_sent == [(OTHER_OPENID, "您好")]
    assert fake.template_sent == [(OPENID, TEMPLATE_ID, {})]


async def test_expired_token_is_refetched_and_the_call_repeated(fake: FakeWeChatApi) -> None:
    fake.seed_token("SEEDED_TOKEN")
    with closed_after(wechatpy_client(fake, access_token="SEEDED_TOKEN")) as client:
        await asyncio.to_thread(client.message.send_text, OPENID, "一")
        assert fake.token_requests == 0
        fake.expire_tokens()
        await asyncio.to_thread(client.message.send_text, OPENID, "二")
    assert fake.token_requests == 1
    assert fake.custom_sent == [(OPENID, "一"), (OPENID, "二")]
    assert _paths(fake) == ["message/custom/send"] * 2 + ["token", "message/custom/send"]
    tokens = [params.get("access_token") for _, params, _ in fake.calls]
    assert tokens[:2] == ["SEEDED_TOKEN", "SEEDED_TOKEN"]
    assert tokens[3] not in (None, "SEEDED_TOKEN")


async def test_expired_token_without_auto_retry_raises_42001(fake: FakeWeChatApi) -> None:
    fake.seed_token("SEEDED_TOKEN")
    fake.expire_tokens()
    client = wechatpy_client(fake, access_token="SEEDED_TOKEN", auto_retry=False)
    with closed_after(client), pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.message.send_text, OPENID, "您好")
    assert raised.value.errcode == 42001
    assert fake.token_requests == 0


async def test_unknown_token_gets_40001_and_wechatpy_refetches(fake: FakeWeChatApi) -> None:
    with closed_after(wechatpy_client(fake, access_token="NEVER_ISSUED")) as client:
        await asyncio.to_thread(client.message.send_text, OPENID, "您好")
    assert _paths(fake) == ["message/custom/send", "token", "message/custom/send"]
    assert fake.token_requests == 1
    assert fake.custom_sent == [(OPENID, "您好")]


async def test_fail_next_fails_once(fake: FakeWeChatApi, client: WeChatClient) -> None:
    fake.fail_next("message/template/send", -1, "system error")
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.message.send_template, OPENID, TEMPLATE_ID, {})
    assert (raised.value.errcode, raised.value.errmsg) == (-1, "system error")
    assert fake.template_sent == []
    await asyncio.to_thread(client.message.send_template, OPENID, TEMPLATE_ID, {})
    assert fake.template_sent == [(OPENID, TEMPLATE_ID, {})]


async def test_fail_next_on_token(fake: FakeWeChatApi, client: WeChatClient) -> None:
    fake.fail_next("token", -1, "system error")
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.message.send_text, OPENID, "您好")
    assert raised.value.errcode == -1
    await asyncio.to_thread(client.message.send_text, OPENID, "您好")
    assert fake.token_requests == 2
    assert fake.custom_sent == [(OPENID, "您好")]


async def test_45009_is_api_limited(fake: FakeWeChatApi, client: WeChatClient) -> None:
    fake.fail_next("message/custom/send", 45009, "reach max api daily quota limit")
    with pytest.raises(APILimitedException):
        await asyncio.to_thread(client.message.send_text, OPENID, "您好")


async def test_unknown_api_is_an_error(fake: FakeWeChatApi, client: WeChatClient) -> None:
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.post, "no/such/api", data={})
    assert raised.value.errcode == 48001
    with pytest.raises(WeChatClientException) as raised:
        await asyncio.to_thread(client.get, "message/custom/send")
    assert raised.value.errcode == 43002


async def test_api_base_url_alone_does_not_redirect_token_fetches(
    fake: FakeWeChatApi, resolved_elsewhere: list[str]
) -> None:
    """wechatpy's WeChatClient.fetch_access_token ignores API_BASE_URL: without a token it
    would ask the real api.weixin.qq.com (stopped here). With a token, the instance attribute
    is enough for API calls."""
    with closed_after(WeChatClient(fake.appid, fake.secret)) as plain:
        plain.API_BASE_URL = fake.base_url
        with pytest.raises(requests.ConnectionError):
            await asyncio.to_thread(plain.message.send_text, OPENID, "您好")
    assert resolved_elsewhere == ["api.weixin.qq.com"]
    assert fake.calls == []

    fake.seed_token("SEEDED_TOKEN")
    with closed_after(WeChatClient(fake.appid, fake.secret, access_token="SEEDED_TOKEN")) as plain:
        plain.API_BASE_URL = fake.base_url
        plain._http.trust_env = False
        await asyncio.to_thread(plain.message.send_text, OPENID, "您好")
    assert fake.custom_sent == [(OPENID, "您好")]
