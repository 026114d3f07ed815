"""Shared by the dashboard's tests: the web app with the dashboard mounted, staff accounts
with passwords, logging in, and a few cases made through the chat."""

from __future__ import annotations

import re

from starlette.testclient import TestClient

from bot.bootstrap import App
from bot.simulator import Simulation
from bot.web import make_web_app
from office.dashboard import Dashboard, make_dashboard
from office.staff import add_staff, set_password
from storage.db import transaction

PASSWORD = "correct-horse-battery"
TICKET = "YS-2026-000001"


def web_client(app: App) -> TestClient:
    dashboard = make_dashboard(Dashboard(app.sessions, app.services, app.clock))
    return TestClient(make_web_app(app.engine, channels=[], office=dashboard))


def make_staff(app: App, name: str, role: str = "office", station: str | None = None) -> str:
    """A staff account with PASSWORD; returns its name."""
    with transaction(app.sessions) as session:
        made = add_staff(session, name, role, station, app.clock.now())
        set_password(session, made.token, PASSWORD, app.clock.now())
    return name


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF field in the page"
    return match.group(1)


def log_in(client: TestClient, name: str, password: str = PASSWORD):
    page = client.get("/office/login")
    return client.post(
        "/office/login",
        data={"csrf": csrf_of(page.text), "name": name, "password": password, "next": "/office/"},
        follow_redirects=False,
    )


async def a_case(sim: Simulation, text: str = "东岭村的水渠堵了，农田灌溉不了") -> None:
    """A case of 东岭村 (ST-DL), routed to a deputy of that station."""
    await sim.say("resident:a", text)
    await sim.say("resident:a", "确认提交")
