"""The QQ OpenAPI v2 over httpx: messages to private chats and groups, the gateway address.

Errors come as an HTTP status and a JSON body ``{"code": …, "message": …}``
(bot-docs, dev-prepare/error-trace/openapi.md). A refused token (401) is refreshed once.
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.channels.qq.token import SharedAppToken

__all__ = ["QQApi", "QQApiError", "message_path"]


class QQApiError(Exception):
    def __init__(
        self, status: int, code: int | None, message: str, *, retry_after: float | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after


def message_path(chat_id: str) -> str:
    kind, _, openid = chat_id.partition(":")
    if kind == "user" and openid:
        return f"/v2/users/{openid}/messages"
    if kind == "group" and openid:
        return f"/v2/groups/{openid}/messages"
    raise ValueError(f"not a QQ chat: {chat_id!r}")


def _error(response: httpx.Response) -> QQApiError:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    code = body.get("code", body.get("err_code"))
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    retry = response.headers.get("Retry-After")
    try:
        retry_after = float(retry) if retry else None
    except ValueError:
        retry_after = None
    message = str(body.get("message") or response.reason_phrase)[:200]
    return QQApiError(response.status_code, code, message, retry_after=retry_after)


class QQApi:
    def __init__(self, base_url: str, token: SharedAppToken, *, timeout: float = 10.0) -> None:
        # QQ advises at least 5 seconds: a send that timed out may still have been delivered.
        self.base_url = base_url.rstrip("/")
        self.token = token
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    async def close(self) -> None:
        await self._http.aclose()

    async def request(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        token = await self.token.get()
        for attempt in (1, 2):
            response = await self._http.request(
                method, path, json=body, headers={"Authorization": f"QQBot {token}"}
            )
            if response.status_code == 401 and attempt == 1:
                token = await self.token.refresh(token)
                continue
            if response.status_code >= 400:
                raise _error(response)
            # 201/202 are accepted, waiting for QQ's review (304023, 304024): sent, for us.
            try:
                data = response.json()
            except ValueError:
                return {}
            return data if isinstance(data, dict) else {}
        raise AssertionError("unreachable")

    async def post_message(
        self,
        chat_id: str,
        content: str,
        *,
        msg_id: str | None = None,
        event_id: str | None = None,
        msg_seq: int | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"content": content, "msg_type": 0}
        if msg_id:
            body["msg_id"] = msg_id
        if event_id:
            body["event_id"] = event_id
        if msg_seq is not None:
            body["msg_seq"] = msg_seq
        return await self.request("POST", message_path(chat_id), body)

    async def gateway_url(self) -> str:
        data = await self.request("GET", "/gateway")
        url = data.get("url")
        if not isinstance(url, str) or not url:
            raise QQApiError(200, None, "no gateway url")
        return url
