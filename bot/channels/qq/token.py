"""The QQ app access token (``getAppAccessToken``), kept in ``shared_values`` so that every
process uses one token, and refreshed by one process at a time (a row lock around the
refresh, as for WeChat).

QQ hands out the same token until its last 60 seconds, then a new one while the old one still
works for those 60 seconds (bot-docs, interface-framework/api-use.md): a token with less than
90 seconds left is treated as spent.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from storage.db import SessionFactory, transaction
from storage.models import SharedValue

__all__ = ["TOKEN_KEY", "SharedAppToken", "TokenError"]

TOKEN_KEY = "qq:access-token"
_LOCK = "qq:token-refresh"
MARGIN = 90  # seconds


class TokenError(Exception):
    """QQ would not give a token (wrong app id or secret, or the token service failed)."""


class SharedAppToken:
    def __init__(
        self,
        app_id: str,
        secret: str,
        token_url: str,
        sessions: SessionFactory,
        *,
        clock: Callable[[], float] = time.time,  # QQ's real clock, not the simulated one
        timeout: float = 10.0,
    ) -> None:
        self.app_id, self.secret, self.token_url = app_id, secret, token_url
        self.sessions = sessions
        self.clock = clock
        self.timeout = timeout
        self._cached: tuple[str, float] | None = None  # (token, expires at)
        self.fetched = 0  # tokens this process fetched from QQ

    async def get(self) -> str:
        if self._cached and self._cached[1] - self.clock() > MARGIN:
            return self._cached[0]
        token, expires = await asyncio.to_thread(self._shared_or_fetch, None)
        self._cached = (token, expires)
        return token

    async def refresh(self, spent: str) -> str:
        """``spent`` was refused (401): a new token, unless another process already has one."""
        token, expires = await asyncio.to_thread(self._shared_or_fetch, spent)
        self._cached = (token, expires)
        return token

    def _shared_or_fetch(self, spent: str | None) -> tuple[str, float]:
        with transaction(self.sessions) as session:
            try:  # the lock row, made once by whichever process gets there first
                with session.begin_nested():
                    session.add(SharedValue(key=_LOCK, value="0", expires_at=None))
            except IntegrityError:
                pass
            lock = session.scalars(
                select(SharedValue).where(SharedValue.key == _LOCK).with_for_update()
            ).one()
            lock.value = str(int(lock.value) + 1)  # a write: on SQLite that is the lock
            session.flush()
            row = session.get(SharedValue, TOKEN_KEY)
            if row is not None:
                stored = json.loads(row.value)
                if stored["token"] != spent and stored["expires_at"] - self.clock() > MARGIN:
                    return stored["token"], stored["expires_at"]
            token, lifetime = self._fetch()
            expires = self.clock() + lifetime
            value = json.dumps({"token": token, "expires_at": expires})
            until = datetime.fromtimestamp(expires, UTC)
            if row is None:
                session.add(SharedValue(key=TOKEN_KEY, value=value, expires_at=until))
            else:
                row.value, row.expires_at = value, until
            return token, expires

    def _fetch(self) -> tuple[str, int]:
        try:
            response = httpx.post(
                self.token_url,
                json={"appId": self.app_id, "clientSecret": self.secret},
                timeout=self.timeout,
            )
            data = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise TokenError(f"getAppAccessToken failed: {error!r}") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise TokenError(f"getAppAccessToken refused: {str(data)[:200]}")
        self.fetched += 1
        try:
            lifetime = int(data.get("expires_in", 7200))  # QQ sends it as a string
        except (TypeError, ValueError):
            lifetime = 7200
        return str(data["access_token"]), lifetime
