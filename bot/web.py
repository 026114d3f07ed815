"""The web app: health, the Telegram webhook; the WeChat callback mounts here too."""

from __future__ import annotations

import asyncio
import hmac
import json

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.channels.telegram.runner import TelegramReceiver
from bot.channels.wechat.callback import WeChatCallback
from storage.db import database_answers

__all__ = ["make_web_app"]

MAX_UPDATE_BYTES = 1_000_000


def make_web_app(
    engine: Engine,
    *,
    channels: list[str],
    telegram: TelegramReceiver | None = None,
    telegram_secret: str | None = None,
    wechat: WeChatCallback | None = None,
) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        ok = await asyncio.to_thread(database_answers, engine)
        body = {"status": "ok" if ok else "error", "database": ok, "channels": channels}
        return JSONResponse(body, status_code=200 if ok else 503)

    async def telegram_webhook(request: Request) -> Response:
        given = request.headers.get("X-Telegram-Bot-Api-Secret-Token", "")
        if telegram is None or not hmac.compare_digest(given, telegram_secret or ""):
            return Response(status_code=403)
        body = await request.body()
        if len(body) > MAX_UPDATE_BYTES:
            return Response(status_code=413)
        try:
            update = json.loads(body)
        except ValueError:
            return Response(status_code=400)
        if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
            return Response(status_code=400)
        await telegram.handle(update)
        return Response(status_code=200)

    routes = [Route("/healthz", healthz)]
    if telegram is not None:
        routes.append(Route("/telegram/webhook", telegram_webhook, methods=["POST"]))
    if wechat is not None:
        routes.append(Route("/wechat", wechat.get, methods=["GET"]))
        routes.append(Route("/wechat", wechat.post, methods=["POST"]))
    return Starlette(routes=routes)
