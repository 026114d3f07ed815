"""The dashboard's Starlette app: its routes, the signed session cookie, the templates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from html import escape
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from casework.clock import Clock
from handlers.turn import Services
from office.dashboard.headers import SecurityHeaders
from office.dashboard.secret import cookie_secret
from storage.db import SessionFactory, transaction

__all__ = ["COOKIE", "SESSION_HOURS", "Dashboard", "make_dashboard"]

COOKIE = "grid_office"
SESSION_HOURS = 12
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Dashboard:
    """What the pages work with, built by the composition root."""

    sessions: SessionFactory
    services: Services
    clock: Clock
    secret: str | None = None  # GRID_INTAKE_OFFICE_SECRET; else kept in the database
    https_only: bool = False  # the cookie's Secure flag (behind TLS)

    def __post_init__(self) -> None:
        self.templates = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"])
        )
        self.templates.filters["local"] = self._local

    def _local(self, instant: datetime | None) -> str:
        if instant is None:
            return "—"
        return instant.astimezone(self.zone).strftime("%Y-%m-%d %H:%M")

    @property
    def zone(self) -> ZoneInfo:
        return self.services.casework.calendar.zone


def make_dashboard(dashboard: Dashboard) -> Starlette:
    """The app to mount at ``/office``."""
    from office.dashboard import auth, cases, county, reports, today

    secret = dashboard.secret
    if not secret:
        with transaction(dashboard.sessions) as session:
            secret = cookie_secret(session)
    routes = [
        Route("/", today.board),
        Route("/login", auth.login_page, methods=["GET"]),
        Route("/login", auth.login, methods=["POST"]),
        Route("/logout", auth.logout, methods=["POST"]),
        Route("/set-password", auth.set_password_page, methods=["GET"]),
        Route("/set-password", auth.set_password, methods=["POST"]),
        Route("/cases", cases.case_list),
        Route("/cases/{ticket}", cases.case_page),
        Route("/cases/{ticket}/{verb}", cases.case_action, methods=["POST"]),
        Route("/figures", reports.figures_page),
        Route("/figures.xlsx", reports.ledger_xlsx),
        Route("/suggestions", reports.suggestions_page),
        Route("/county", county.county_page, methods=["GET"]),
        Route("/county", county.upload, methods=["POST"]),
        Route("/county.yaml", county.download),
    ]
    middleware = [
        Middleware(SecurityHeaders),
        Middleware(
            SessionMiddleware,
            secret_key=secret,
            session_cookie=COOKIE,
            max_age=int(timedelta(hours=SESSION_HOURS).total_seconds()),
            path="/office",
            same_site="lax",
            https_only=dashboard.https_only,
        ),
    ]
    app = Starlette(
        routes=routes, middleware=middleware, exception_handlers={HTTPException: _error_page}
    )
    app.state.dashboard = dashboard
    return app


async def _error_page(_request: Request, error: Exception) -> HTMLResponse:
    assert isinstance(error, HTTPException)
    detail = error.detail if error.status_code in (403, 404) else "请求无法处理。"
    if error.status_code == 404 and detail == "Not Found":
        detail = "没有找到该页面或工单。"
    body = (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{error.status_code}</title><p>{escape(str(detail))}</p>"
        "<p><a href='/office/'>返回工作台</a></p></html>"
    )
    return HTMLResponse(body, status_code=error.status_code)
