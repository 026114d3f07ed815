"""A fake Telegram Bot API server on 127.0.0.1, for tests and benchmarks.

Why a real HTTP server instead of mocks: python-telegram-bot and aiogram then run their own
request encoding, response parsing and error mapping (RetryAfter, ChatMigrated, Forbidden), so
the code under test meets the same shapes and failures it will meet in production (DESIGN §7).

    async with FakeBotApi() as fake:
        bot = telegram.Bot(fake.token, base_url=fake.base_url, base_file_url=fake.file_base_url)
        fake.private_text(42, "路灯坏了")
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections import deque
from collections.abc import Callable
from itertools import count
from typing import Any, Self

from aiohttp import web

BOT_USER: dict[str, Any] = {
    "id": 123,
    "is_bot": True,
    "first_name": "网格助手",
    "username": "grid_intake_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Methods that post into a chat: the only ones that blocking, migration and flood limits affect.
SEND_METHODS = frozenset({"sendmessage", "sendphoto", "editmessagetext"})
# Form values are all strings; these keys are numbers, and these are free text never to decode.
_INT_KEYS = frozenset({"offset", "limit", "timeout", "cache_time", "max_connections"})
_TEXT_KEYS = frozenset({"text", "caption", "data", "url", "file_id", "callback_query_id"})
_TEXT_KEYS |= {"inline_message_id"}
_DEFAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
}


class Call(tuple[str, dict[str, Any]]):
    """`(method, params)`; a tuple so tests can unpack it, plus `.at` (server time.monotonic())."""

    at: float

    def __new__(cls, method: str, params: dict[str, Any], at: float) -> Self:
        self = super().__new__(cls, (method, params))
        self.at = at
        return self


class Sent(tuple[int | str, str | None, dict[str, Any] | None]):
    """`(chat_id, text, reply_markup)` of an accepted send, plus `.at` and `.method`."""

    at: float
    method: str

    def __new__(
        cls,
        chat_id: int | str,
        text: str | None,
        markup: dict[str, Any] | None,
        at: float,
        method: str,
    ) -> Self:
        self = super().__new__(cls, (chat_id, text, markup))
        self.at, self.method = at, method
        return self


class ApiError(Exception):
    """An error reply, shaped as the Bot API sends it (`parameters` drives the libraries)."""

    def __init__(self, status: int, description: str | None = None, **parameters: int) -> None:
        super().__init__(description)
        self.status, self.parameters = status, {k: v for k, v in parameters.items() if v}
        self.description = description or _DEFAULT_DESCRIPTIONS.get(status, "Error")

    def response(self) -> web.Response:
        body: dict[str, Any] = {"ok": False, "error_code": self.status}
        body["description"] = self.description
        if self.parameters:
            body["parameters"] = self.parameters
        return web.json_response(body, status=self.status)


def utf16_len(text: str) -> int:
    """Entity offsets and lengths count UTF-16 code units, not Python characters."""
    return len(text.encode("utf-16-le")) // 2


def auto_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command/mention entities Telegram adds; PTB's CommandHandler relies on them."""
    found = []
    for m in re.finditer(r"(?<!\S)/\w+(?:@\w+)?|@\w+", text):
        kind = "bot_command" if m.group().startswith("/") else "mention"
        if kind == "mention" or m.start() == 0:
            offset = utf16_len(text[: m.start()])
            found.append({"type": kind, "offset": offset, "length": utf16_len(m.group())})
    return found


def _decode(key: str, value: str) -> Any:
    """Undo form encoding: JSON objects (reply_markup), numbers and booleans come as strings."""
    if key in _TEXT_KEYS:
        return value
    if re.fullmatch(r"-?\d+", value) and (key in _INT_KEYS or key.endswith("_id")):
        return int(value)
    if value.startswith(("{", "[")) or value in ("true", "false"):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _inline_markup(params: dict[str, Any]) -> dict[str, Any]:
    """Telegram echoes only inline keyboards in the Message; PTB cannot parse other markups."""
    markup = params.get("reply_markup")
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return {"reply_markup": markup}
    return {}


class FakeBotApi:
    """Async context manager running the fake API; see the module docstring for usage."""

    def __init__(
        self,
        token: str = "123:ABC",
        *,
        limit_per_second: float | None = None,
        limit_per_chat_per_second: float | None = None,
        random_429: float = 0.0,
        seed: int = 0,
        port: int = 0,
    ) -> None:
        self.token = token
        self.port = port  # 0: any free port; a fixed one to come up where a client already points
        self.limit_per_second = limit_per_second
        self.limit_per_chat_per_second = limit_per_chat_per_second
        self.random_429, self._random = random_429, random.Random(seed)
        self.calls: list[Call] = []
        self.sent: list[Sent] = []
        self.rejected = 0  # sends refused by the flood limits or random_429
        self.files: dict[str, bytes] = {}  # file_id -> content, for getFile and downloads
        self.blocked: set[int] = set()
        self.migrated: dict[int, int] = {}  # old group id -> supergroup id
        # (chat id, user id) -> creator | administrator | member | left, for getChatMember
        self.members: dict[tuple[int, int], str] = {}
        self.webhook_url = ""
        self.commands: list[dict[str, Any]] = []
        self._updates: list[dict[str, Any]] = []
        self._new_update = asyncio.Event()
        self._update_ids, self._message_ids, self._ids = count(1), count(1), count(1)
        self._faults: dict[str, deque[ApiError]] = {}
        self._window: deque[float] = deque()
        self._chat_windows: dict[int | str, deque[float]] = {}
        self._chats: dict[int, dict[str, Any]] = {}
        self._messages: dict[tuple[int | str, int], dict[str, Any]] = {}
        self._runner: web.AppRunner | None = None
        self._closing = False
        self.server_root = ""
        # A Bot API that stops answering: after ``hold_after`` messages are sent, the next send
        # is held unanswered (``holding`` is set) and never counts as delivered.
        self.hold_after: int | None = None
        self.holding = asyncio.Event()
        self._unhold = asyncio.Event()
        self._shutting_down = asyncio.Event()
        # Handlers are the `_m_<apiMethod>` methods; Telegram method names are case-insensitive.
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name[3:].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }
        for name in ("answercallbackquery", "close", "logout"):
            self._methods[name] = lambda params: True

    # -- lifecycle -----------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        host, port = self._runner.addresses[0][:2]
        self.server_root = f"http://{host}:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._closing = True
        self._shutting_down.set()
        self._new_update.set()  # release pending long polls so the runner shuts down at once
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        """For PTB's `Bot(base_url=...)`, which appends the token itself."""
        return f"{self.server_root}/bot"

    @property
    def file_base_url(self) -> str:
        return f"{self.server_root}/file/bot"

    # -- test controls ---------------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates and wake any long poll waiting for one."""
        if "update_id" not in update:
            update = {"update_id": next(self._update_ids), **update}
        self._updates.append(update)
        event, self._new_update = self._new_update, asyncio.Event()
        event.set()
        return update

    def fail_next(
        self,
        method: str,
        status: int,
        description: str | None = None,
        retry_after: int | None = None,
        migrate_to_chat_id: int | None = None,
        *,
        times: int = 1,
    ) -> None:
        """Make the next `times` calls of `method` fail, e.g. 429 with retry_after."""
        if description is None and status == 429:
            description = f"Too Many Requests: retry after {retry_after}"
        if description is None and migrate_to_chat_id:
            description = "Bad Request: group chat was upgraded to a supergroup chat"
        error = ApiError(status, description, retry_after=retry_after or 0)
        error.parameters.update(
            {"migrate_to_chat_id": migrate_to_chat_id} if migrate_to_chat_id else {}
        )
        self._faults.setdefault(method.lower(), deque()).extend([error] * times)

    def hang_after(self, sent: int | None) -> None:
        """Stop answering sends once ``sent`` messages went out (None: answer again, and the
        sends held so far fail with 502 at once: the client may retry them)."""
        self.hold_after = sent
        self.holding.clear()
        if sent is None:
            self._unhold.set()
        else:
            self._unhold = asyncio.Event()

    def block_chat(self, chat_id: int) -> None:
        """The user blocked the bot: every send to this chat is 403 from now on."""
        self.blocked.add(chat_id)

    def private_text(self, user_id: int, text: str, *, first_name: str = "小王") -> dict[str, Any]:
        """A resident writes to the bot in private (the usual intake path)."""
        return self._message_update(self._private(user_id, first_name), user_id, text=text)

    def private_location(self, user_id: int, lat: float, lon: float) -> dict[str, Any]:
        location = {"latitude": lat, "longitude": lon}
        return self._message_update(self._private(user_id), user_id, location=location)

    def private_photo(
        self, user_id: int, file_id: str, content: bytes = b"\xff\xd8fake-jpeg"
    ) -> dict[str, Any]:
        self.files.setdefault(file_id, content)
        return self._message_update(
            self._private(user_id), user_id, photo=self._photo_sizes(file_id)
        )

    def callback(self, user_id: int, data: str, *, message_id: int = 1) -> dict[str, Any]:
        message = {"message_id": message_id, "from": BOT_USER, "chat": self._private(user_id)}
        message.update(date=int(time.time()), text="…")
        query = {"id": str(next(self._ids)), "from": self._user(user_id), "message": message}
        query.update(chat_instance=f"ci{user_id}", data=data)
        return self.push_update({"callback_query": query})

    def group_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        chat_type: str = "group",
        reply_to_bot: bool = False,
        entities: list[dict[str, Any]] | None = None,
        replied_text: str = "…",
    ) -> dict[str, Any]:
        chat = self._group(chat_id, chat_type)
        extra: dict[str, Any] = {}
        if reply_to_bot:
            extra["reply_to_message"] = {"message_id": next(self._message_ids), "from": BOT_USER}
            extra["reply_to_message"].update(chat=chat, date=int(time.time()), text=replied_text)
        return self._message_update(chat, user_id, text=text, entities=entities, **extra)

    def group_migrated(self, old_chat_id: int, new_chat_id: int) -> dict[str, Any]:
        """The old group's service message; later sends to the old id get the 400 migrate error."""
        self.migrated[old_chat_id] = new_chat_id
        chat = self._group(old_chat_id, "group")
        return self._message_update(chat, None, migrate_to_chat_id=new_chat_id)

    def bot_added_to_group(
        self,
        chat_id: int,
        user_id: int,
        start_payload: str | None = None,
        *,
        adder_status: str = "creator",
    ) -> dict[str, Any]:
        """The `/start@bot PAYLOAD` message a `?startgroup=PAYLOAD` link makes the adder send
        (by default the group's creator: groups usually let only admins add bots)."""
        self.set_member(chat_id, user_id, adder_status)
        text = f"/start@{BOT_USER['username']}" + (f" {start_payload}" if start_payload else "")
        return self._message_update(self._group(chat_id, "group"), user_id, text=text)

    def set_member(self, chat_id: int, user_id: int, status: str) -> None:
        """What getChatMember answers for this user in this chat (default: member)."""
        self.members[(chat_id, user_id)] = status

    # -- update builders -------------------------------------------------------------------

    def _user(self, user_id: int, first_name: str = "小王") -> dict[str, Any]:
        return dict(id=user_id, is_bot=False, first_name=first_name, language_code="zh-hans")

    def _private(self, user_id: int, first_name: str | None = None) -> dict[str, Any]:
        """A private chat keeps the user's name from the first helper that gave one."""
        name = first_name or self._chats.get(user_id, {}).get("first_name", "小王")
        self._chats[user_id] = {"id": user_id, "type": "private", "first_name": name}
        return self._chats[user_id]

    def _group(self, chat_id: int, chat_type: str) -> dict[str, Any]:
        self._chats[chat_id] = {"id": chat_id, "type": chat_type, "title": f"网格群{abs(chat_id)}"}
        return self._chats[chat_id]

    def _message_update(
        self, chat: dict[str, Any], user_id: int | None, **fields: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {"message_id": next(self._message_ids), "date": int(time.time())}
        if user_id is not None:  # in a private chat the sender is the chat's user
            message["from"] = self._user(user_id, chat.get("first_name", "小王"))
        message["chat"] = chat
        if "text" in fields and fields.get("entities") is None:
            fields["entities"] = auto_entities(fields["text"]) or None
        message.update({k: v for k, v in fields.items() if v is not None})
        return self.push_update({"message": message})

    def _file(self, file_id: str) -> dict[str, Any]:
        size = len(self.files.get(file_id, b""))
        return {"file_id": file_id, "file_unique_id": f"u{file_id}"[:16], "file_size": size}

    def _photo_sizes(self, file_id: str) -> list[dict[str, Any]]:
        return [{**self._file(file_id), "width": 320, "height": 240}]

    def _chat_of(self, chat_id: int | str) -> dict[str, Any]:
        if isinstance(chat_id, int) and chat_id in self._chats:
            return self._chats[chat_id]
        if isinstance(chat_id, int) and chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "居民"}
        kind = "supergroup" if str(chat_id).startswith(("-100", "@")) else "group"
        return {"id": chat_id, "type": kind, "title": "网格群"}

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return ApiError(401).response()
        method = request.match_info["method"]
        params = await self._read_params(request)
        now = time.monotonic()
        self.calls.append(Call(method, params, now))
        handler = self._methods.get(method.lower())
        if (
            method.lower() in SEND_METHODS
            and self.hold_after is not None
            and len(self.sent) >= self.hold_after
        ):
            self.holding.set()
            unhold = asyncio.ensure_future(self._unhold.wait())
            shutdown = asyncio.ensure_future(self._shutting_down.wait())
            await asyncio.wait((unhold, shutdown), return_when=asyncio.FIRST_COMPLETED)
            unhold.cancel()
            shutdown.cancel()
            return ApiError(502, "Bad Gateway").response()  # never delivered
        try:
            if handler is None:
                raise ApiError(404)
            self._check_faults(method.lower(), params, now)
            result = handler(params)
            if asyncio.iscoroutine(result):
                result = await result
        except ApiError as error:
            return error.response()
        if method.lower() in ("sendmessage", "sendphoto"):
            text = result.get("text", result.get("caption"))
            self.sent.append(Sent(params["chat_id"], text, params.get("reply_markup"), now, method))
        return web.json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        """JSON, urlencoded (PTB) and multipart (aiogram, uploads) bodies, plus the query string."""
        params: dict[str, Any] = {k: _decode(k, v) for k, v in request.query.items()}
        if request.content_type == "application/json":
            params.update(await request.json() if request.can_read_body else {})
            return params
        uploads: dict[str, bytes] = {}
        for key, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                uploads[key] = value.file.read()
            else:
                params[key] = _decode(key, value)
        for key, value in list(params.items()):
            if isinstance(value, str) and value.startswith("attach://"):
                params[key] = uploads.pop(value.removeprefix("attach://"), b"")
        params.update(uploads)
        return params

    async def _download(self, request: web.Request) -> web.StreamResponse:
        file_id = request.match_info["path"].rpartition("/")[2].rpartition(".")[0]
        if request.match_info["token"] != self.token or file_id not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[file_id], content_type="application/octet-stream")

    def _check_faults(self, method: str, params: dict[str, Any], now: float) -> None:
        """Injected faults first, then the chat's state, then the flood limits (sends only)."""
        if queue := self._faults.get(method):
            raise queue.popleft()
        if method not in SEND_METHODS:
            return
        chat_id = params.get("chat_id")
        if chat_id in self.blocked:
            raise ApiError(403)
        if chat_id in self.migrated:
            upgraded = "Bad Request: group chat was upgraded to a supergroup chat"
            raise ApiError(400, upgraded, migrate_to_chat_id=self.migrated[chat_id])
        chat_window = self._chat_windows.setdefault(chat_id, deque())
        for window in (self._window, chat_window):
            while window and window[0] <= now - 1.0:
                window.popleft()
        if (
            (self.limit_per_second is not None and len(self._window) >= self.limit_per_second)
            or (
                self.limit_per_chat_per_second is not None
                and len(chat_window) >= self.limit_per_chat_per_second
            )
            or (self.random_429 and self._random.random() < self.random_429)
        ):
            self.rejected += 1
            raise ApiError(429, "Too Many Requests: retry after 1", retry_after=1)
        self._window.append(now)
        chat_window.append(now)

    # -- methods ---------------------------------------------------------------------------

    async def _m_getUpdates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Long poll: confirm updates below `offset`, then wait at most `timeout` s for new ones."""
        if self.webhook_url:
            raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active")
        offset, limit = int(params.get("offset") or 0), int(params.get("limit") or 100)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 50.0)
        while True:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
            remaining = deadline - time.monotonic()
            if self._updates or remaining <= 0 or self._closing:
                return self._updates[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new_update.wait(), remaining)

    def _m_getMe(self, params: dict[str, Any]) -> dict[str, Any]:
        return BOT_USER

    def _m_getChatMember(self, params: dict[str, Any]) -> dict[str, Any]:
        """A ChatMember of the kind the status names, with the fields both libraries need."""
        chat_id, user_id = params.get("chat_id"), params.get("user_id")
        if not isinstance(chat_id, int) or not isinstance(user_id, int):
            raise ApiError(400, "Bad Request: chat_id and user_id must be numbers")
        status = self.members.get((chat_id, user_id), "member")
        member: dict[str, Any] = {"status": status, "user": self._user(user_id)}
        if status == "creator":
            member["is_anonymous"] = False
        elif status == "administrator":
            rights = (
                "can_manage_chat", "can_delete_messages", "can_manage_video_chats",
                "can_restrict_members", "can_promote_members", "can_change_info",
                "can_invite_users", "can_post_stories", "can_edit_stories", "can_delete_stories",
                "can_send_welcome_messages",
            )  # fmt: skip
            member.update(dict.fromkeys(rights, True), can_be_edited=False, is_anonymous=False)
        return member

    def _new_message(self, params: dict[str, Any], **fields: Any) -> dict[str, Any]:
        chat_id = params.get("chat_id")
        if chat_id is None:
            raise ApiError(400, "Bad Request: chat_id is empty")
        message = {
            "message_id": next(self._message_ids),
            "from": BOT_USER,
            "date": int(time.time()),
        }
        message["chat"] = self._chat_of(chat_id)
        message.update({k: v for k, v in fields.items() if v})
        message.update(_inline_markup(params))
        self._messages[(chat_id, message["message_id"])] = message
        return message

    def _m_sendMessage(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("text"):
            raise ApiError(400, "Bad Request: message text is empty")
        return self._new_message(params, text=params["text"], entities=params.get("entities"))

    def _m_sendPhoto(self, params: dict[str, Any]) -> dict[str, Any]:
        photo = params.get("photo")
        if isinstance(photo, bytes):
            file_id = f"AgACphoto{next(self._ids)}"
            self.files[file_id] = photo
        elif isinstance(photo, str) and photo:
            file_id = photo
        else:
            raise ApiError(400, "Bad Request: there is no photo in the request")
        photo_sizes = self._photo_sizes(file_id)
        return self._new_message(params, photo=photo_sizes, caption=params.get("caption"))

    def _m_editMessageText(self, params: dict[str, Any]) -> dict[str, Any] | bool:
        if params.get("inline_message_id"):
            return True
        key = (params.get("chat_id"), int(params.get("message_id") or 0))
        old = self._messages.get(key)
        markup = _inline_markup(params).get("reply_markup")
        if old and (old.get("text"), old.get("reply_markup")) == (params.get("text"), markup):
            raise ApiError(400, "Bad Request: message is not modified")
        message = dict(
            old or {"message_id": key[1], "from": BOT_USER, "chat": self._chat_of(key[0])}
        )
        message.update(edit_date=int(time.time()), text=params.get("text"))
        message.setdefault("date", int(time.time()))
        message.pop("reply_markup", None)
        message.update(_inline_markup(params))
        self._messages[key] = message
        return message

    def _m_getFile(self, params: dict[str, Any]) -> dict[str, Any]:
        file_id = params.get("file_id", "")
        if file_id not in self.files:
            raise ApiError(400, "Bad Request: invalid file_id")
        return {**self._file(file_id), "file_path": f"photos/{file_id}.jpg"}

    def _m_setWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = params.get("url") or ""
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _m_setMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands = list(params.get("commands") or [])
        return True

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> bool:
        self.commands = []
        return True

    def _m_getMyCommands(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        return self.commands
