"""The web app: health now; the Telegram webhook and WeChat callback mount here."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from storage.db import database_answers

__all__ = ["make_web_app"]


def make_web_app(engine: Engine, *, channels: list[str]) -> Starlette:
    async def healthz(_request: Request) -> JSONResponse:
        ok = await asyncio.to_thread(database_answers, engine)
        body = {"status": "ok" if ok else "error", "database": ok, "channels": channels}
        return JSONResponse(body, status_code=200 if ok else 503)

    return Starlette(routes=[Route("/healthz", healthz)])
