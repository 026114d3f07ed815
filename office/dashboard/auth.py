"""Log-in, log-out and the one-time set-password page."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from casework.errors import Refused
from office.dashboard.web import Ctx, action, page, render
from office.staff import MIN_PASSWORD, log_in, token_account
from office.staff import set_password as store_password

__all__ = ["login", "login_page", "logout", "set_password", "set_password_page"]


def _safe_next(target: str | None) -> str:
    """Only a path of the dashboard: never another site (//evil.example)."""
    if target and target.startswith("/office/") and not target.startswith("//"):
        return target
    return "/office/"


@page(public=True)
def login_page(ctx: Ctx) -> Response:
    if ctx.staff is not None:
        return RedirectResponse("/office/", status_code=303)
    return render(ctx, "login.html", next=_safe_next(ctx.request.query_params.get("next")))


@action(public=True)
def login(ctx: Ctx) -> Response:
    name, password = ctx.form.get("name", ""), ctx.form.get("password", "")
    target = _safe_next(ctx.form.get("next"))
    try:
        account = log_in(ctx.db, name, password, ctx.dashboard.clock.now())
    except Refused as refusal:
        # The failure count is committed with this response (the page is not an error).
        return render(
            ctx, "login.html", status_code=401, error=str(refusal), next=target, name=name
        )
    session = ctx.request.session
    session.clear()  # a new session on log-in: nothing carried over from before
    session.update(staff=account.id, epoch=account.epoch)
    return RedirectResponse(target, status_code=303)


@action
def logout(ctx: Ctx) -> Response:
    ctx.me.epoch += 1  # every copy of this session's cookie stops working
    ctx.request.session.clear()
    return RedirectResponse("/office/login", status_code=303)


@page(public=True)
def set_password_page(ctx: Ctx) -> Response:
    token = ctx.request.query_params.get("token", "")
    try:
        _row, account = token_account(ctx.db, token, ctx.dashboard.clock.now())
    except Refused as refusal:
        return render(ctx, "set_password.html", status_code=400, error=str(refusal), token=None)
    return render(ctx, "set_password.html", token=token, account=account, min_length=MIN_PASSWORD)


@action(public=True)
def set_password(ctx: Ctx) -> Response:
    token = ctx.form.get("token", "")
    password, again = ctx.form.get("password", ""), ctx.form.get("again", "")
    now = ctx.dashboard.clock.now()
    try:
        _row, account = token_account(ctx.db, token, now)
        if password != again:
            raise Refused("两次输入的密码不一致。")
        store_password(ctx.db, token, password, now)
    except Refused as refusal:
        still_valid = "链接" not in str(refusal)
        return render(
            ctx, "set_password.html", status_code=400, error=str(refusal),
            token=token if still_valid else None, min_length=MIN_PASSWORD,
            account=account if still_valid else None,
        )  # fmt: skip
    ctx.request.session.clear()
    ctx.flash(f"已为“{account.name}”设置密码，请登录。")
    return RedirectResponse("/office/login", status_code=303)
