"""The web app's health endpoint answers for the database."""

from __future__ import annotations

import httpx
from sqlalchemy import create_engine

from bot.web import make_web_app


def client(engine) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_web_app(engine, channels=[]))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1")


async def test_healthz_is_200_when_the_database_answers(app):
    async with client(app.engine) as http:
        response = await http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "channels": []}


async def test_healthz_is_503_when_the_database_does_not(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/missing/dir/db.sqlite3")
    async with client(engine) as http:
        response = await http.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] is False
