"""A fake QQ bot platform on 127.0.0.1, for tests: the token service, the OpenAPI (messages to
private chats and groups, the gateway address), the websocket gateway, and a sender of
signed webhook callbacks.

It enforces QQ's documented rules (bot-docs, send-receive/send.md) so that the channel meets
them: a passive reply needs a message or event id the platform issued to that chat, within
60 minutes (private) or 5 minutes (group), at most 5 replies, each ``msg_seq`` once; active
messages at most ``active_quota`` a month per chat, or none at all with ``active_allowed``
False (QQ since 2025-04-21: 40034102). Time comes from ``now`` so a test can move it.

    async with FakeQQ() as fake:
        t, d, event_id = fake.c2c_message("USER1", "东岭村的路灯坏了")
        await fake.deliver(webhook_url, t, d, event_id)      # a signed callback
        await fake.push(t, d, event_id)                       # or down the gateway
        assert fake.texts_to("user:USER1") == [...]

Records: ``sent`` (successful messages), ``calls`` (every OpenAPI call), ``token_requests``,
``identifies`` / ``resumes`` / ``heartbeats`` (gateway), ``validations`` (op 13 answers checked).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Self

import httpx
from aiohttp import WSMsgType, web

from bot.channels.qq.signing import Signer

__all__ = ["FakeQQ", "Sent"]

JsonObject = dict[str, Any]
WINDOWS = {"user": timedelta(minutes=60), "group": timedelta(minutes=5)}
MAX_REPLIES = 5
BEIJING = timezone(timedelta(hours=8))
GROUP_AND_C2C_EVENT = 1 << 25


@dataclass(frozen=True)
class Sent:
    chat_id: str  # "user:…" | "group:…"
    content: str
    msg_id: str | None
    event_id: str | None
    msg_seq: int | None

    @property
    def passive(self) -> bool:
        return bool(self.msg_id or self.event_id)


class QQError(Exception):
    def __init__(
        self, status: int, code: int, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body = {"code": self.code, "message": self.message, "err_code": self.code}
        headers = {"Retry-After": str(self.retry_after)} if self.retry_after else None
        return web.json_response(body, status=self.status, headers=headers)


class _Socket:
    def __init__(self, ws: web.WebSocketResponse) -> None:
        self.ws = ws
        self.session_id: str | None = None


class FakeQQ:
    def __init__(
        self,
        app_id: str = "102000001",
        secret: str = "DG5g3B4j9X2KOErG",
        *,
        now: Callable[[], datetime] | None = None,
        heartbeat_interval_ms: int = 45000,
    ) -> None:
        self.app_id, self.secret = app_id, secret
        self.signer = Signer(secret)
        self.now = now or (lambda: datetime.now(UTC))
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.token_lifetime = 7200
        self.active_quota = 4
        self.active_allowed = True
        self.base_url = ""
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, str, Any]] = []
        self.token_requests = 0
        self.identifies: list[JsonObject] = []
        self.resumes: list[JsonObject] = []
        self.heartbeats: list[Any] = []
        self.validations = 0
        self._tokens: dict[str, datetime] = {}
        self._anchors: dict[str, tuple[str, datetime]] = {}  # msg/event id → (chat, at)
        self._replies: defaultdict[str, set[int]] = defaultdict(set)
        self._active: defaultdict[tuple[str, str], int] = defaultdict(int)
        self._failures: defaultdict[str, deque[QQError]] = defaultdict(deque)
        self._ids = itertools.count(1)
        self._sockets: list[_Socket] = []
        self._sessions: dict[str, list[JsonObject]] = {}  # session id → dispatched payloads
        self._seq = 0
        self._runner: web.AppRunner | None = None

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_post("/app/getAppAccessToken", self._token)
        app.router.add_get("/gateway", self._gateway)
        app.router.add_get("/websocket", self._websocket)
        app.router.add_post("/v2/users/{openid}/messages", self._message)
        app.router.add_post("/v2/groups/{openid}/messages", self._message)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.drop()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/app/getAppAccessToken"

    # -- controls ---------------------------------------------------------------------------

    def fail_next(
        self, what: str, status: int, code: int, message: str, *, retry_after: float | None = None
    ) -> None:
        """The next call to ``what`` ("message", "token", "gateway") fails so. Calls stack."""
        self._failures[what].append(QQError(status, code, message, retry_after))

    def expire_tokens(self) -> None:
        """Every token issued so far stops working (as if its 7200 seconds were over)."""
        self._tokens.clear()

    def texts_to(self, chat_id: str) -> list[str]:
        return [s.content for s in self.sent if s.chat_id == chat_id]

    # -- events, as QQ would send them --------------------------------------------------------

    def _stamp(self) -> str:
        return self.now().astimezone(BEIJING).isoformat(timespec="seconds")

    def _anchor(self, chat_id: str, prefix: str) -> str:
        anchor = f"{prefix}{next(self._ids):06d}.{secrets.token_hex(6)}"
        self._anchors[anchor] = (chat_id, self.now())
        return anchor

    def c2c_message(self, user: str, content: str) -> tuple[str, JsonObject, str]:
        msg_id = self._anchor(f"user:{user}", "ROBOT1.0_c2c.")
        data = {
            "author": {"id": user, "user_openid": user},
            "content": content,
            "id": msg_id,
            "timestamp": self._stamp(),
        }
        return "C2C_MESSAGE_CREATE", data, f"C2C_MESSAGE_CREATE:{msg_id}"

    def group_at_message(
        self, group: str, member: str, content: str
    ) -> tuple[str, JsonObject, str]:
        msg_id = self._anchor(f"group:{group}", "ROBOT1.0_grp.")
        data = {
            "author": {"id": member, "member_openid": member},
            "content": f" {content}",  # QQ strips the bot's mention and leaves the space
            "group_openid": group,
            "id": msg_id,
            "timestamp": self._stamp(),
        }
        return "GROUP_AT_MESSAGE_CREATE", data, f"GROUP_AT_MESSAGE_CREATE:{msg_id}"

    def friend_add(self, user: str) -> tuple[str, JsonObject, str]:
        event_id = self._anchor(f"user:{user}", "FRIEND_ADD:")
        return "FRIEND_ADD", {"openid": user, "timestamp": 1_700_000_000}, event_id

    def group_add_robot(self, group: str, member: str) -> tuple[str, JsonObject, str]:
        event_id = self._anchor(f"group:{group}", "GROUP_ADD_ROBOT:")
        data = {"group_openid": group, "op_member_openid": member, "timestamp": 1_700_000_000}
        return "GROUP_ADD_ROBOT", data, event_id

    # -- the webhook sender -------------------------------------------------------------------

    def signed(self, body: bytes, *, secret: str | None = None) -> dict[str, str]:
        timestamp = str(int(self.now().timestamp()))
        signer = Signer(secret) if secret else self.signer
        return {
            "X-Signature-Ed25519": signer.sign(timestamp, body),
            "X-Signature-Timestamp": timestamp,
            "X-Bot-Appid": self.app_id,
            "User-Agent": "QQBot-Callback",
            "Content-Type": "application/json",
        }

    async def deliver(
        self,
        url: str,
        event: str,
        data: JsonObject,
        event_id: str | None = None,
        *,
        secret: str | None = None,
    ) -> httpx.Response:
        """POST one dispatch (op 0) to ``url``, signed with ``secret`` (default: the bot's)."""
        payload = {"id": event_id, "op": 0, "d": data, "t": event}
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        async with httpx.AsyncClient(timeout=30) as http:
            return await http.post(url, content=body, headers=self.signed(body, secret=secret))

    async def validate(self, url: str) -> bool:
        """QQ's check of a new callback address (op 13): True when the answer is right."""
        plain, stamp = secrets.token_urlsafe(15), str(int(self.now().timestamp()))
        body = json.dumps({"d": {"plain_token": plain, "event_ts": stamp}, "op": 13}).encode()
        async with httpx.AsyncClient(timeout=30) as http:
            response = await http.post(url, content=body, headers=self.signed(body))
        if response.status_code != 200:
            return False
        answer = response.json()
        ok = answer.get("plain_token") == plain and self.signer.verify(
            str(answer.get("signature", "")), stamp, plain.encode()
        )
        self.validations += ok
        return ok

    # -- the gateway --------------------------------------------------------------------------

    async def push(self, event: str, data: JsonObject, event_id: str | None = None) -> None:
        """Dispatch one event down every identified connection (kept for a resume)."""
        self._seq += 1
        payload = {"op": 0, "s": self._seq, "t": event, "d": data, "id": event_id}
        for events in self._sessions.values():
            events.append(payload)
        for socket in list(self._sockets):
            if socket.session_id is not None and not socket.ws.closed:
                await socket.ws.send_json(payload)

    async def drop(self, code: int = 4009) -> None:
        """Close every gateway connection (4009: expired, resume), as a network drop would."""
        for socket in list(self._sockets):
            await socket.ws.close(code=code, message=b"dropped")
        self._sockets.clear()

    async def reconnect_request(self) -> None:
        """Op 7: the gateway asks the client to reconnect (and resume)."""
        for socket in list(self._sockets):
            await socket.ws.send_json({"op": 7})

    async def connected(self, timeout: float = 10) -> None:
        """Wait until a client has identified or resumed."""
        async with asyncio.timeout(timeout):
            while not any(s.session_id for s in self._sockets if not s.ws.closed):
                await asyncio.sleep(0.01)

    # -- handlers -----------------------------------------------------------------------------

    def _fail(self, what: str) -> None:
        if self._failures[what]:
            raise self._failures[what].popleft()

    def _authorised(self, request: web.Request) -> None:
        header = request.headers.get("Authorization", "")
        token = header.removeprefix("QQBot ")
        expires = self._tokens.get(token)
        if not header.startswith("QQBot ") or expires is None or expires <= self.now():
            raise QQError(401, 11244, "token not exist or expire")

    async def _token(self, request: web.Request) -> web.Response:
        self.token_requests += 1
        try:
            self._fail("token")
        except QQError as error:
            return error.response()
        try:
            body = await request.json()
        except ValueError:
            body = {}
        if body.get("appId") != self.app_id or body.get("clientSecret") != self.secret:
            return web.json_response({"code": 100016, "message": "invalid appid or secret"})
        token = secrets.token_urlsafe(24)
        self._tokens[token] = self.now() + timedelta(seconds=self.token_lifetime)
        return web.json_response({"access_token": token, "expires_in": str(self.token_lifetime)})

    async def _gateway(self, request: web.Request) -> web.Response:
        self.calls.append(("GET", "/gateway", None))
        try:
            self._authorised(request)
            self._fail("gateway")
        except QQError as error:
            return error.response()
        return web.json_response({"url": self.base_url.replace("http", "ws", 1) + "/websocket"})

    async def _message(self, request: web.Request) -> web.Response:
        kind = "user" if request.path.startswith("/v2/users/") else "group"
        chat_id = f"{kind}:{request.match_info['openid']}"
        try:
            body = await request.json()
        except ValueError:
            body = None
        self.calls.append(("POST", request.path, body))
        try:
            self._authorised(request)
            self._fail("message")
            if not isinstance(body, dict) or body.get("msg_type") != 0:
                raise QQError(400, 50035, "invalid form body")
            content = body.get("content")
            if not isinstance(content, str) or not content:
                raise QQError(400, 50006, "cannot send empty message")
            anchor = body.get("msg_id") or body.get("event_id")
            seq = body.get("msg_seq", 1)
            if anchor:
                self._passive(chat_id, kind, str(anchor), seq)
            else:
                self._spend_active(chat_id)
        except QQError as error:
            return error.response()
        self.sent.append(
            Sent(chat_id, content, body.get("msg_id"), body.get("event_id"), body.get("msg_seq"))
        )
        return web.json_response({"id": f"BOT.{next(self._ids)}", "timestamp": self._stamp()})

    def _passive(self, chat_id: str, kind: str, anchor: str, seq: Any) -> None:
        issued = self._anchors.get(anchor)
        if issued is None or issued[0] != chat_id:
            raise QQError(400, 304026, "MSG_ID 回复的消息 id 错误")
        if self.now() - issued[1] > WINDOWS[kind]:
            raise QQError(400, 304027, "MSG_EXPIRE 回复的消息过期")
        if not isinstance(seq, int) or seq < 1:
            raise QQError(400, 50035, "invalid msg_seq")
        used = self._replies[anchor]
        if seq in used:
            raise QQError(400, 40054005, "消息被去重，请检查请求msgseq")
        if len(used) >= MAX_REPLIES:
            raise QQError(400, 22009, "msg limit exceed")
        used.add(seq)

    def _spend_active(self, chat_id: str) -> None:
        if not self.active_allowed:
            raise QQError(400, 40034102, "主动消息失败, 无权限")
        month = self.now().astimezone(BEIJING).strftime("%Y-%m")
        if self._active[(chat_id, month)] >= self.active_quota:
            raise QQError(400, 22009, "msg limit exceed")
        self._active[(chat_id, month)] += 1

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        socket = _Socket(ws)
        self._sockets.append(socket)
        await ws.send_json({"op": 10, "d": {"heartbeat_interval": self.heartbeat_interval_ms}})
        async for message in ws:
            if message.type != WSMsgType.TEXT:
                continue
            payload = json.loads(message.data)
            op, data = payload.get("op"), payload.get("d")
            if op == 1:
                self.heartbeats.append(data)
                await ws.send_json({"op": 11})
            elif op == 2:
                await self._identify(socket, data or {})
            elif op == 6:
                await self._resume(socket, data or {})
        if socket in self._sockets:
            self._sockets.remove(socket)
        return ws

    def _token_ok(self, value: Any) -> bool:
        token = str(value or "").removeprefix("QQBot ")
        expires = self._tokens.get(token)
        return expires is not None and expires > self.now()

    async def _identify(self, socket: _Socket, data: JsonObject) -> None:
        self.identifies.append(data)
        if not self._token_ok(data.get("token")):
            await socket.ws.close(code=4004, message=b"invalid token")
            return
        if not int(data.get("intents") or 0) & GROUP_AND_C2C_EVENT:
            await socket.ws.close(code=4014, message=b"intent not allowed")
            return
        session_id = secrets.token_hex(8)
        self._sessions[session_id] = []
        socket.session_id = session_id
        self._seq += 1
        await socket.ws.send_json({"op": 0, "s": self._seq, "t": "READY", "d": {
            "version": 1, "session_id": session_id, "shard": [0, 1],
            "user": {"id": "1234567890", "username": "家乡建言助手", "bot": True},
        }})  # fmt: skip

    async def _resume(self, socket: _Socket, data: JsonObject) -> None:
        self.resumes.append(data)
        events = self._sessions.get(str(data.get("session_id")))
        if events is None or not self._token_ok(data.get("token")):
            await socket.ws.send_json({"op": 9, "d": False})
            return
        socket.session_id = str(data["session_id"])
        seen = int(data.get("seq") or 0)
        for payload in events:
            if payload["s"] > seen:
                await socket.ws.send_json(payload)
        self._seq += 1
        await socket.ws.send_json({"op": 0, "s": self._seq, "t": "RESUMED", "d": ""})
