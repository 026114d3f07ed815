"""A fake WeChat Official Account API server on 127.0.0.1, for tests.

Why a real HTTP server instead of mocks: wechatpy then runs its own request encoding, token
handling, error mapping and automatic token refresh, so the code under test meets the same
shapes and failures it will meet in production (DESIGN §7).

How wechatpy 2.0.0a26 talks to WeChat, and so what this fake accepts:

- API calls go to ``WeChatClient.API_BASE_URL + endpoint`` ("https://api.weixin.qq.com/cgi-bin/"
  + "message/custom/send"), with ``access_token`` in the query string. JSON bodies are sent as
  UTF-8 bytes (``ensure_ascii=False``) *without* a Content-Type header.
- ``WeChatClient.fetch_access_token`` does NOT use ``API_BASE_URL``: it GETs the hard-coded
  "https://api.weixin.qq.com/cgi-bin/token". Setting ``API_BASE_URL`` alone therefore sends
  token requests to the real WeChat; use ``wechatpy_client()`` below, which also redirects them.
- Errors are HTTP 200 with a non-zero ``errcode``, as WeChat sends them. wechatpy answers 40001,
  40014 and 42001 by fetching a new token and repeating the call (no retry limit), and raises
  ``WeChatClientException`` for any other code.

    async with FakeWeChatApi() as fake:
        client = wechatpy_client(fake)
        await asyncio.to_thread(client.message.send_text, "oOPENID", "您好")
        assert fake.custom_sent == [("oOPENID", "您好")]

The server runs in the event loop that entered it; wechatpy is synchronous, so call it through
``asyncio.to_thread`` (calling it directly from the loop would deadlock). Use the controls
(``seed_token``, ``fail_next``...) from the loop's thread.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable
from functools import partial
from itertools import count
from typing import TYPE_CHECKING, Any, Self

from aiohttp import web

if TYPE_CHECKING:
    from wechatpy import WeChatClient

JsonObject = dict[str, Any]
Handler = Callable[[JsonObject], Awaitable[JsonObject]]

OK: JsonObject = {"errcode": 0, "errmsg": "ok"}
TOKEN_LIFETIME = 7200
SCENE_STR_MAX = 64
# No errcode of WeChat's own means "no such API"; 48001 (api unauthorized) is what an account
# gets for an API it may not call. Not 40001: wechatpy takes 40001 for a stale token, fetches a
# new one and repeats the call forever.
UNKNOWN_API = (48001, "api unauthorized")
INVALID_CREDENTIAL = (40001, "invalid credential")
EXPIRED_TOKEN = (42001, "access_token expired")
OUT_OF_TIME_LIMIT = (45015, "response out of time limit or subscription is canceled")

_dumps = partial(json.dumps, ensure_ascii=False)


def _error(errcode: int, errmsg: str) -> JsonObject:
    return {"errcode": errcode, "errmsg": errmsg}


class WeChatError(Exception):
    """An error reply: HTTP 200 and a JSON body with a non-zero errcode."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        super().__init__(f"{errcode} {errmsg}")
        self.errcode, self.errmsg = errcode, errmsg


class FakeWeChatApi:
    """Async context manager running the fake API; see the module docstring for usage.

    Records (filled only by calls that succeed, except ``calls`` and ``token_requests``):
    ``token_requests`` (GET token calls), ``custom_sent`` [(openid, text)], ``template_sent``
    [(openid, template_id, data)], ``qrcodes`` {scene_str: url}, ``calls`` [(path, query
    params, JSON body or None)] with paths relative to /cgi-bin/, e.g. "message/custom/send".
    """

    def __init__(self, appid: str = "wx0123456789abcdef", secret: str = "s3cret") -> None:
        self.appid, self.secret = appid, secret
        self.base_url = ""
        self.token_requests = 0
        self.custom_sent: list[tuple[str, str]] = []
        self.template_sent: list[tuple[str, str, JsonObject]] = []
        self.qrcodes: dict[str, str] = {}
        self.calls: list[tuple[str, dict[str, str], Any]] = []
        self._tokens: dict[str, bool] = {}  # token -> still valid
        self._failing_openids: dict[str, tuple[int, str]] = {}
        self._next_failures: defaultdict[str, deque[tuple[int, str]]] = defaultdict(deque)
        self._msgids = count(1_000_000_001)
        self._runner: web.AppRunner | None = None
        self._endpoints: dict[tuple[str, str], Handler] = {
            ("POST", "message/custom/send"): self._custom_send,
            ("POST", "message/template/send"): self._template_send,
            ("POST", "qrcode/create"): self._qrcode_create,
        }

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/cgi-bin/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}/cgi-bin/"
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def token_url(self) -> str:
        """What wechatpy's hard-coded "https://api.weixin.qq.com/cgi-bin/token" becomes."""
        return f"{self.base_url}token"

    # -- controls ---------------------------------------------------------------------------

    def seed_token(self, token: str) -> None:
        """Accept `token` as if it had been issued, without a token call."""
        self._tokens[token] = True

    def fail_custom_for(
        self, openid: str, errcode: int = OUT_OF_TIME_LIMIT[0], errmsg: str = OUT_OF_TIME_LIMIT[1]
    ) -> None:
        """Every customer-service message to `openid` fails from now on (45015: the user's
        last action is over 48 h old, or they unsubscribed)."""
        self._failing_openids[openid] = (errcode, errmsg)

    def fail_next(self, path: str, errcode: int, errmsg: str) -> None:
        """The next call to `path` ("message/template/send", "token"...) fails with this error.
        Calls stack: two fail_next on a path fail its next two calls, in order. A call turned
        away for its access_token does not use one up."""
        self._next_failures[path.removeprefix("/cgi-bin/").strip("/")].append((errcode, errmsg))

    def expire_tokens(self) -> None:
        """Every token issued or seeded so far now gets 42001; tokens fetched later are valid."""
        self._tokens = dict.fromkeys(self._tokens, False)

    # -- HTTP -------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        path = request.match_info["path"].strip("/")
        params = dict(request.query)
        raw = await request.read()
        body: Any = None
        try:
            if raw:
                try:
                    body = json.loads(raw.decode("utf-8"))
                except ValueError:  # recorded as text, then refused
                    self.calls.append((path, params, raw.decode("utf-8", "replace")))
                    raise WeChatError(47001, "data format error") from None
            self.calls.append((path, params, body))
            reply = await self._dispatch(request.method, path, params, body)
        except WeChatError as error:
            reply = _error(error.errcode, error.errmsg)
        return web.json_response(reply, dumps=_dumps)

    async def _dispatch(
        self, method: str, path: str, params: dict[str, str], body: Any
    ) -> JsonObject:
        if path == "token":
            self.token_requests += 1
            if method != "GET":
                raise WeChatError(43001, "require GET method")
            self._injected_failure(path)
            return self._issue_token(params)
        self._check_token(params.get("access_token"))
        self._injected_failure(path)
        handler = self._endpoints.get((method, path))
        if handler is None:
            if any(known == path for _, known in self._endpoints):
                raise WeChatError(43002, "require POST method")
            raise WeChatError(*UNKNOWN_API)
        if not isinstance(body, dict):
            raise WeChatError(47001, "data format error")
        return await handler(body)

    def _injected_failure(self, path: str) -> None:
        pending = self._next_failures.get(path)
        if pending:
            raise WeChatError(*pending.popleft())

    def _issue_token(self, params: dict[str, str]) -> JsonObject:
        if params.get("grant_type") != "client_credential":
            raise WeChatError(40002, "invalid grant_type")
        if params.get("appid") != self.appid:
            raise WeChatError(40013, "invalid appid")
        if params.get("secret") != self.secret:
            raise WeChatError(40125, "invalid appsecret")
        token = f"FAKE_{secrets.token_urlsafe(24)}"
        self._tokens[token] = True
        return {"access_token": token, "expires_in": TOKEN_LIFETIME}

    def _check_token(self, token: str | None) -> None:
        if not token:
            raise WeChatError(41001, "access_token missing")
        valid = self._tokens.get(token)
        if valid is None:
            raise WeChatError(*INVALID_CREDENTIAL)
        if not valid:
            raise WeChatError(*EXPIRED_TOKEN)

    # -- endpoints --------------------------------------------------------------------------

    async def _custom_send(self, body: JsonObject) -> JsonObject:
        openid = body.get("touser")
        if not isinstance(openid, str) or not openid:
            raise WeChatError(40003, "invalid openid")
        if openid in self._failing_openids:
            raise WeChatError(*self._failing_openids[openid])
        if body.get("msgtype") != "text":
            raise WeChatError(40008, "invalid message type")
        text = body.get("text")
        content = text.get("content") if isinstance(text, dict) else None
        if not isinstance(content, str) or not content:
            raise WeChatError(44004, "empty content")
        self.custom_sent.append((openid, content))
        return dict(OK)

    async def _template_send(self, body: JsonObject) -> JsonObject:
        openid, template_id, data = body.get("touser"), body.get("template_id"), body.get("data")
        if not isinstance(openid, str) or not openid:
            raise WeChatError(40003, "invalid openid")
        if not isinstance(template_id, str) or not template_id:
            raise WeChatError(40037, "invalid template_id")
        if not isinstance(data, dict):
            raise WeChatError(47001, "data format error")
        self.template_sent.append((openid, template_id, data))
        return {**OK, "msgid": next(self._msgids)}

    async def _qrcode_create(self, body: JsonObject) -> JsonObject:
        if body.get("action_name") != "QR_LIMIT_STR_SCENE":
            raise WeChatError(40097, "invalid args: this fake makes QR_LIMIT_STR_SCENE codes only")
        info = body.get("action_info")
        scene = info.get("scene") if isinstance(info, dict) else None
        scene_str = scene.get("scene_str") if isinstance(scene, dict) else None
        if not isinstance(scene_str, str) or not 1 <= len(scene_str) <= SCENE_STR_MAX:
            raise WeChatError(40097, "invalid args: scene_str must be 1 to 64 characters")
        # A permanent code is the same code each time its scene is asked for again.
        digest = hashlib.sha256(f"{self.appid}\0{scene_str}".encode()).hexdigest()
        url = f"http://weixin.qq.com/q/02{digest[:22]}"
        self.qrcodes[scene_str] = url
        # No "expire_seconds": permanent codes do not expire.
        return {"ticket": f"gQ{digest[22:56]}==", "url": url}


def wechatpy_client(
    fake: FakeWeChatApi,
    access_token: str | None = None,
    *,
    auto_retry: bool = True,
    timeout: float | None = 10,
) -> WeChatClient:
    """A wechatpy ``WeChatClient`` whose API calls *and token fetches* go to `fake`.

    Close it with ``client._http.close()`` (its requests.Session) when done."""
    from wechatpy import WeChatClient

    token_url = fake.token_url

    class _Client(WeChatClient):
        API_BASE_URL = fake.base_url

        def fetch_access_token(self) -> dict[str, Any]:
            params = {"grant_type": "client_credential", "appid": self.appid}
            return self._fetch_access_token(url=token_url, params={**params, "secret": self.secret})

    client = _Client(
        fake.appid, fake.secret, access_token=access_token, timeout=timeout, auto_retry=auto_retry
    )
    client._http.trust_env = False  # no HTTP(S)_PROXY from the environment for 127.0.0.1
    return client
