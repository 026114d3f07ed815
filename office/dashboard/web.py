"""What every page shares: the logged-in staff member, CSRF checks, rendering, flashes.

A page is a plain function ``(ctx) -> Response`` run in a worker thread inside one database
transaction; :func:`page` and :func:`action` wrap it with the log-in and CSRF checks.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from office.dashboard.app import Dashboard
from storage.db import transaction
from storage.models import StaffAccount

__all__ = ["Ctx", "action", "csrf_token", "page", "render", "staff_of"]

CSRF_REFUSED = "请求缺少有效的安全令牌（CSRF），已拒绝。请返回上一页刷新后重试。"


@dataclass
class Ctx:
    request: Request
    dashboard: Dashboard
    db: Session
    staff: StaffAccount | None
    form: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)

    @property
    def me(self) -> StaffAccount:
        assert self.staff is not None
        return self.staff

    @property
    def actor(self) -> str:
        """Who the ledger names for this staff member's actions."""
        return f"staff:{self.me.name}"[:64]

    @property
    def station(self) -> str | None:
        """The one station a station head sees; None for the office (every station)."""
        return self.me.station_code if self.me.role == "station-head" else None

    def flash(self, text: str, kind: str = "ok") -> None:
        self.request.session["flash"] = [kind, text]

    def not_found(self) -> HTTPException:
        return HTTPException(404, "没有找到该页面或工单。")

    def office_only(self) -> None:
        if self.station is not None:
            raise HTTPException(403, "该页面仅代表工委账号可以查看。")


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = request.session["csrf"] = secrets.token_urlsafe(24)
    return token


def staff_of(request: Request, db: Session) -> StaffAccount | None:
    """The logged-in account: the cookie names it, and its epoch is still the account's."""
    staff_id, epoch = request.session.get("staff"), request.session.get("epoch")
    if not isinstance(staff_id, int):
        return None
    account = db.get(StaffAccount, staff_id)
    if account is None or account.epoch != epoch or account.password_hash is None:
        return None
    return account


def render(ctx: Ctx, template: str, status_code: int = 200, **values: Any) -> HTMLResponse:
    flash = ctx.request.session.pop("flash", None)
    body = ctx.dashboard.templates.get_template(template).render(
        staff=ctx.staff, csrf=csrf_token(ctx.request), flash=flash, path=ctx.request.url.path,
        **values,
    )  # fmt: skip
    return HTMLResponse(body, status_code=status_code)


def _login_redirect(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/office/login?next={quote(target)}", status_code=303)


def _run(fn: Callable[[Ctx], Response], ctx: Ctx, public: bool) -> Response:
    with transaction(ctx.dashboard.sessions) as db:
        ctx.db = db
        ctx.staff = staff_of(ctx.request, db)
        if ctx.staff is None and not public:
            return _login_redirect(ctx.request)
        return fn(ctx)


Page = Callable[[Request], Awaitable[Response]]


def page(fn: Callable[[Ctx], Response] | None = None, *, public: bool = False) -> Any:
    """A GET page; logged-out visitors are sent to the log-in page (unless ``public``)."""

    def wrap(fn: Callable[[Ctx], Response]) -> Page:
        async def endpoint(request: Request) -> Response:
            ctx = Ctx(request, request.app.state.dashboard, None, None)  # type: ignore[arg-type]
            return await run_in_threadpool(_run, fn, ctx, public)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap(fn) if fn is not None else wrap


def action(fn: Callable[[Ctx], Response] | None = None, *, public: bool = False) -> Any:
    """A POST form: refused (403) without the session's CSRF token, whoever sends it."""

    def wrap(fn: Callable[[Ctx], Response]) -> Page:
        async def endpoint(request: Request) -> Response:
            form = await request.form()
            given = form.get("csrf")
            expected = request.session.get("csrf")
            if not (
                isinstance(given, str)
                and expected
                and hmac.compare_digest(given.encode(), str(expected).encode())
            ):
                return HTMLResponse(_refused_page(), status_code=403)
            fields: dict[str, str] = {}
            files: dict[str, tuple[str, bytes]] = {}
            for key, value in form.multi_items():
                if isinstance(value, UploadFile):
                    files[key] = (value.filename or "", await value.read())
                else:
                    fields[key] = value
            ctx = Ctx(request, request.app.state.dashboard, None, None, fields, files)  # type: ignore[arg-type]
            return await run_in_threadpool(_run, fn, ctx, public)

        endpoint.__name__ = fn.__name__
        return endpoint

    return wrap(fn) if fn is not None else wrap


def _refused_page() -> str:
    return (
        '<!doctype html><html lang="zh-CN"><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>已拒绝</title><p>{CSRF_REFUSED}</p><p><a href='/office/'>返回工作台</a></p></html>"
    )
