"""Staff accounts of the web dashboard: creation, one-time set-password links, log-in with a
lock after repeated failures. Passwords are hashed with Argon2id (argon2-cffi)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from casework.errors import Refused
from storage.models import StaffAccount, StaffToken, Station

__all__ = [
    "LOCK_AFTER",
    "LOCK_FOR",
    "MIN_PASSWORD",
    "ROLES",
    "TOKEN_LIFETIME",
    "LoginRefused",
    "add_staff",
    "log_in",
    "new_set_password_token",
    "set_password",
    "token_account",
]

ROLES = {"office": "代表工委", "station-head": "联络站站长"}
LOCK_AFTER = 5  # failed log-ins in a row …
LOCK_FOR = timedelta(minutes=15)  # … lock the account this long
TOKEN_LIFETIME = timedelta(days=3)
MIN_PASSWORD = 10

_hasher = PasswordHasher()


class LoginRefused(Refused):
    """Wrong name or password, or a locked account; the message is for the person."""


@dataclass(frozen=True)
class NewStaff:
    account: StaffAccount
    token: str


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_staff(
    session: Session, name: str, role: str, station: str | None, now: datetime
) -> NewStaff:
    """A new account without a password, and the token of its set-password link."""
    name = name.strip()
    if not name or len(name) > 50:
        raise Refused("账号名称不能为空，且不超过50个字。")
    if role not in ROLES:
        raise Refused(f"角色只能是 {' 或 '.join(ROLES)}，不能是“{role}”。")
    if role == "station-head":
        if not station or session.get(Station, station.upper()) is None:
            raise Refused(f"联络站站长需要指定存在的联络站（--station），没有“{station or ''}”。")
        station = station.upper()
    elif station:
        raise Refused("代表工委账号可以查看全部联络站，不需要 --station。")
    if session.scalars(select(StaffAccount).where(StaffAccount.name == name)).first():
        raise Refused(f"账号“{name}”已经存在。")
    account = StaffAccount(
        name=name, role=role, station_code=station, created_at=now, failed_logins=0, epoch=0
    )
    session.add(account)
    session.flush()
    return NewStaff(account, new_set_password_token(session, account, now))


def new_set_password_token(session: Session, account: StaffAccount, now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    session.add(
        StaffToken(
            digest=_digest(token), staff_id=account.id, created_at=now,
            expires_at=now + TOKEN_LIFETIME,
        )
    )  # fmt: skip
    return token


def token_account(session: Session, token: str, now: datetime) -> tuple[StaffToken, StaffAccount]:
    """The unused, unexpired token and its account; Refused otherwise."""
    row = session.get(StaffToken, _digest(token or ""))
    if row is None:
        raise Refused("该设置密码链接无效，请向代表工委重新申请。")
    if row.used_at is not None:
        raise Refused("该设置密码链接已经使用过，只能使用一次。请向代表工委重新申请。")
    if row.expires_at <= now:
        raise Refused("该设置密码链接已过期，请向代表工委重新申请。")
    account = session.get(StaffAccount, row.staff_id)
    assert account is not None
    return row, account


def set_password(session: Session, token: str, password: str, now: datetime) -> StaffAccount:
    row, account = token_account(session, token, now)
    if len(password) < MIN_PASSWORD:
        raise Refused(f"密码至少需要{MIN_PASSWORD}个字符。")
    row.used_at = now
    account.password_hash = _hasher.hash(password)
    account.failed_logins, account.locked_until = 0, None
    account.epoch += 1  # sessions from before the new password end
    return account


def log_in(session: Session, name: str, password: str, now: datetime) -> StaffAccount:
    """The account when the password is right; five failures lock it for 15 minutes. The
    caller commits whether or not this raises (the failure count must be kept)."""
    wrong = LoginRefused("账号或密码不正确。")
    account = session.scalars(
        select(StaffAccount).where(StaffAccount.name == name.strip()).with_for_update()
    ).first()
    if account is None:
        _hasher.hash(password)  # as slow as a real check: no telling names apart by time
        raise wrong
    if account.locked_until is not None and account.locked_until > now:
        minutes = max(1, int((account.locked_until - now).total_seconds() // 60) + 1)
        raise LoginRefused(f"密码连续错误{LOCK_AFTER}次，账号已锁定，请{minutes}分钟后再试。")
    try:
        if account.password_hash is None:
            raise VerificationError("no password yet")
        _hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        account.failed_logins += 1
        if account.failed_logins >= LOCK_AFTER:
            account.failed_logins, account.locked_until = 0, now + LOCK_FOR
            raise LoginRefused(
                f"密码连续错误{LOCK_AFTER}次，账号已锁定{LOCK_FOR.seconds // 60}分钟。"
            ) from None
        raise wrong from None
    account.failed_logins, account.locked_until = 0, None
    if _hasher.check_needs_rehash(account.password_hash):
        account.password_hash = _hasher.hash(password)
    return account
