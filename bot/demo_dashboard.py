"""The demo's web dashboard: a demo office account, and the dashboard served beside the
terminal chat on the demo's clock (GRID_INTAKE_HTTP, default 127.0.0.1:8080)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy import select

from bot.bootstrap import App
from bot.web import make_web_app
from office.dashboard import Dashboard, make_dashboard
from office.staff import add_staff, new_set_password_token, set_password
from storage.db import transaction
from storage.models import StaffAccount

__all__ = ["DEMO_ACCOUNT", "DEMO_PASSWORD", "Served", "demo_account", "serve_dashboard"]

DEMO_ACCOUNT = "演示工委"
DEMO_PASSWORD = "demo-office-2026"

log = logging.getLogger(__name__)


def demo_account(app: App) -> None:
    """The demo's office account with its known password (made again on every start)."""
    now = app.clock.now()
    with transaction(app.sessions) as session:
        account = session.scalars(
            select(StaffAccount).where(StaffAccount.name == DEMO_ACCOUNT)
        ).first()
        if account is None:
            token = add_staff(session, DEMO_ACCOUNT, "office", None, now).token
        else:
            token = new_set_password_token(session, account, now)
        set_password(session, token, DEMO_PASSWORD, now)


@dataclass(frozen=True)
class Served:
    address: str
    task: asyncio.Task[None]  # ends after ``stop`` is set


async def serve_dashboard(
    app: App, drain: Callable[[], Awaitable[object]], stop: asyncio.Event
) -> Served | None:
    """Serve the dashboard until ``stop``; its actions' messages go out through ``drain``
    every second (the demo's sender). None when the port is busy."""
    import uvicorn

    host, port = app.settings.http_host_port
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError:
        sock.close()
        return None
    dashboard = make_dashboard(Dashboard(app.sessions, app.services, app.clock))
    config = uvicorn.Config(
        make_web_app(app.engine, channels=[], office=dashboard), log_level="warning",
        lifespan="off",
    )  # fmt: skip
    server = uvicorn.Server(config)
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]

    async def run() -> None:
        serving = asyncio.create_task(server.serve(sockets=[sock]))
        while not stop.is_set():
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)
            await drain()
        server.should_exit = True
        await serving

    task = asyncio.get_running_loop().create_task(run())
    return Served(f"http://{host}:{port}/office/", task)
