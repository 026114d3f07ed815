"""The web app: health, the Telegram webhook; the WeChat callback and the office's dashboard
mount here too."""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from bot.channels.qq.webhook import QQWebhook
from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.telegram.updates import MalformedUpdate, parse_update_body
from bot.channels.wechat.callback import WeChatCallback
from storage.db import database_answers

__all__ = ["make_web_app"]

log = logging.getLogger(__name__)

MAX_UPDATE_BYTES = 1_000_000


def make_web_app(
    engine: Engine,
    *,
    channels: list[str],
    telegram: TelegramReceiver | None = None,
    telegram_secret: str | None = None,
    wechat: WeChatCallback | None = None,
    qq: QQWebhook | None = None,
    office: ASGIApp | None = None,
    telegram_store: Callable[[dict[str, Any]], bool] | None = None,
) -> Starlette:
    """``office``: the office's dashboard (``office.dashboard``), mounted at ``/office``.
    ``telegram_store``: the webhook commits the update with it and answers; a worker
    handles it (bot/channels/telegram/stored.py). Without it the update is handled inline."""

    async def healthz(_request: Request) -> JSONResponse:
        ok = await asyncio.to_thread(database_answers, engine)
        body = {"status": "ok" if ok else "error", "database": ok, "channels": channels}
        return JSONResponse(body, status_code=200 if ok else 503)

    async def telegram_webhook(request: Request) -> Response:
        # Compared as bytes: a header with non-ASCII characters is just a wrong secret.
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "").encode("latin-1")
        secret = (telegram_secret or "").encode()
        if telegram is None or not secret or not hmac.compare_digest(given, secret):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            update = parse_update_body(body)
            if telegram_store is not None:
                await asyncio.to_thread(telegram_store, update)
            else:
                await telegram.handle(update)
        except MalformedUpdate as error:
            log.info("refused a Telegram update: %s", error)
            return Response(status_code=400)
        return Response(status_code=200)

    routes = [Route("/healthz", healthz)]
    if telegram is not None:
        routes.append(Route("/telegram/webhook", telegram_webhook, methods=["POST"]))
    if wechat is not None:
        routes.append(Route("/wechat", wechat.get, methods=["GET"]))
        routes.append(Route("/wechat", wechat.post, methods=["POST"]))
    if qq is not None:
        routes.append(Route("/qq/webhook", qq.post, methods=["POST"]))
    if office is not None:
        routes.append(Mount("/office", app=office))
    return Starlette(routes=routes)
