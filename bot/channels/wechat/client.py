"""wechatpy's client with the access token kept in our database, so every process shares one
token, and refreshed by one process at a time (a row lock around the refresh).

wechatpy is synchronous (requests): the channel calls it in a thread.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wechatpy import WeChatClient
from wechatpy.exceptions import WeChatClientException
from wechatpy.session import SessionStorage

from storage.db import SessionFactory, transaction
from storage.models import SharedValue
from storage.upsert import insert_or_update

__all__ = ["DatabaseStorage", "SharedTokenClient"]

_LOCK = "wechat:token-refresh"


def _now() -> datetime:
    # Token expiry is about WeChat's real clock, not the simulated one.
    return datetime.now(UTC)


class DatabaseStorage(SessionStorage):
    """wechatpy's session storage on the shared_values table."""

    def __init__(self, sessions: SessionFactory) -> None:
        self.sessions = sessions

    def get(self, key: str, default: Any = None) -> Any:
        with transaction(self.sessions) as session:
            row = session.get(SharedValue, key)
            if row is None or (row.expires_at is not None and row.expires_at <= _now()):
                return default
            return json.loads(row.value)

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        with transaction(self.sessions) as session:
            _put(session, key, value, ttl)

    def delete(self, key: str) -> None:
        with transaction(self.sessions) as session:
            row = session.get(SharedValue, key)
            if row is not None:
                session.delete(row)


def _put(session: Session, key: str, value: Any, ttl: int | None) -> None:
    expires = _now() + timedelta(seconds=ttl) if ttl else None
    row = {"value": json.dumps(value), "expires_at": expires}
    insert_or_update(session, SharedValue, {"key": key, **row}, ("key",), row)


class SharedTokenClient(WeChatClient):
    def __init__(self, appid: str, secret: str, api_base_url: str, sessions: SessionFactory):
        super().__init__(appid, secret, session=DatabaseStorage(sessions))
        self.API_BASE_URL = api_base_url
        self.sessions = sessions

    def fetch_access_token(self) -> dict[str, Any]:
        """One process refreshes; the others wait on the lock and then find the new token."""
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
            token = session.get(SharedValue, self.access_token_key)
            expires = session.get(SharedValue, self.access_token_expires_at_key)
            if (
                token is not None
                and expires is not None
                and json.loads(expires.value) - time.time() > 60
            ):
                return {"access_token": json.loads(token.value)}
            response = self._http.get(
                url=f"{self.API_BASE_URL}token",
                params={
                    "grant_type": "client_credential",
                    "appid": self.appid,
                    "secret": self.secret,
                },
                timeout=self.timeout,
            )
            result = response.json()
            if result.get("errcode"):
                raise WeChatClientException(result["errcode"], result.get("errmsg"), client=self)
            ttl = int(result.get("expires_in", 7200))
            _put(session, self.access_token_key, result["access_token"], ttl)
            _put(session, self.access_token_expires_at_key, int(time.time()) + ttl, ttl)
            return result
