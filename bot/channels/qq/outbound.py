"""Sending on QQ: passive replies while QQ allows them, active messages within the monthly
quota, and otherwise a wait for the chat's next message. Nothing is dropped.

QQ's rules (bot-docs, server-inter/message/send-receive/send.md, 2025-04-21):

- A passive reply answers a message the user sent (``msg_id``) or an event (``event_id``:
  FRIEND_ADD, GROUP_ADD_ROBOT, C2C_MSG_RECEIVE, GROUP_MSG_RECEIVE): within 60 minutes in a
  private chat, 5 minutes in a group, at most 5 replies per message (``msg_seq`` 1–5; the
  same ``msg_id`` + ``msg_seq`` twice fails).
- Active messages: 4 per month per user and per group — withdrawn on 2025-04-21 ("主动推送能力
  于 2025 年 4 月 21 日起不再提供"); bots now get 40034102 "主动消息失败, 无权限". We still try
  within the quota (``QQ_ACTIVE_QUOTA``, 0 to never try) and a refusal stops the tries for that
  chat until the next month.

So each chat keeps its latest message or event (``qq_reply_targets``); a message that finds
no open window and no quota raises ``RetryLater`` and stays pending with the reason; the next
message from that chat records a fresh target and wakes the waiting rows (``wake_waiting``),
which then go out passively, in order.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

from sqlalchemy import or_, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.channels.base import Capabilities, PermanentFailure, RetryLater, numbered
from bot.channels.limits import RateLimits
from bot.channels.qq.api import QQApi, QQApiError
from storage.db import SessionFactory, transaction
from storage.models import OutboxMessage, QQActiveSends, QQReplyTarget

__all__ = [
    "MAX_REPLIES",
    "QQ_LIMITS",
    "WAIT",
    "WINDOWS",
    "QQChannel",
    "record_target",
    "refuse_active",
    "wake_waiting",
]

log = logging.getLogger(__name__)

CHANNEL = "qq"
WINDOWS = {"user": timedelta(minutes=60), "group": timedelta(minutes=5)}
MAX_REPLIES = 5
# A reply is not started in the window's last seconds: it might arrive after the window.
MARGIN = timedelta(seconds=15)
# How long a message waits before it looks again (the next month's quota); the chat's next
# message wakes it at once.
WAIT = 6 * 3600.0
BEIJING = timezone(timedelta(hours=8))
# Not documented for groups and private chats (sub-channels allow 5/s): 5 per second per chat.
QQ_LIMITS = RateLimits(per_chat_interval=0.2, per_group_interval=0.2, overall_per_second=20)

# What QQ answers when a passive reply is too late or used up. 304027 MSG_EXPIRE and 22009
# "msg limit exceed" are in the error table; the others are what adapters meet today.
WINDOW_CLOSED = {304026, 304027, 304103, 22009, 40034005, 40034128, 40034024, 40034025}
DUPLICATE_SEQ = {40054005}  # "消息被去重": this msg_seq was used already
# Active messages refused: no permission (withdrawn), switched off by the user or group
# admin, quota or rate exceeded.
ACTIVE_REFUSED = {40034102, 40034105, 40034100, 22009, 304045, 304049, 304050}


def _utcnow() -> datetime:
    return datetime.now(UTC)  # QQ's windows run on the real clock


def _kind(chat_id: str) -> str:
    return chat_id.partition(":")[0]


def _month(at: datetime) -> str:
    return at.astimezone(BEIJING).strftime("%Y-%m")


def record_target(
    sessions: SessionFactory,
    chat_id: str,
    at: datetime,
    *,
    msg_id: str | None = None,
    event_id: str | None = None,
) -> None:
    """The chat just wrote (``msg_id``) or acted (``event_id``): passive replies may answer
    it. A re-delivery of the same message keeps its reply count."""
    with transaction(sessions) as session:
        if session.get(QQReplyTarget, chat_id) is None:
            try:
                with session.begin_nested():
                    session.add(
                        QQReplyTarget(
                            chat_id=chat_id, msg_id=msg_id, event_id=event_id, received_at=at,
                            replies=0,
                        )
                    )  # fmt: skip
                return
            except IntegrityError:
                pass  # the chat's other message was first: replace it below
        session.execute(
            update(QQReplyTarget)
            .where(
                QQReplyTarget.chat_id == chat_id,
                or_(
                    QQReplyTarget.msg_id.is_distinct_from(msg_id),
                    QQReplyTarget.event_id.is_distinct_from(event_id),
                ),
            )
            .values(msg_id=msg_id, event_id=event_id, received_at=at, replies=0)
        )


def wake_waiting(sessions: SessionFactory, chat_id: str, now: datetime) -> int:
    """Messages waiting for this chat are due now (they go passively); returns how many."""
    with transaction(sessions) as session:
        result = session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.channel == CHANNEL,
                OutboxMessage.chat_id == chat_id,
                OutboxMessage.status == "pending",
                OutboxMessage.not_before > now,
            )
            .values(not_before=now)
        )
        return result.rowcount or 0


def refuse_active(sessions: SessionFactory, chat_id: str, at: datetime, refused: bool) -> None:
    """QQ refused an active message, or the user / group admin switched them off (or on)."""
    month = _month(at)
    with transaction(sessions) as session:
        _ensure_active_row(session, chat_id, month)
        session.execute(
            update(QQActiveSends)
            .where(QQActiveSends.chat_id == chat_id, QQActiveSends.month == month)
            .values(refused=refused)
        )


class QQChannel:
    name = CHANNEL
    capabilities = Capabilities(buttons=False, edits=False, photos=False)
    limits = QQ_LIMITS

    def __init__(
        self,
        api: QQApi,
        sessions: SessionFactory,
        *,
        active_quota: int = 4,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.api = api
        self.sessions = sessions
        self.active_quota = active_quota
        self.now = now

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        if _kind(chat_id) not in WINDOWS:
            # A group member's id ("member:…") is no chat: QQ cannot write to them privately.
            raise PermanentFailure(f"QQ cannot deliver to {chat_id!r}: not a private chat")
        body = numbered(text, choices)
        while (slot := await asyncio.to_thread(self._take_passive, chat_id)) is not None:
            msg_id, event_id, seq = slot
            try:
                await self.api.post_message(
                    chat_id, body, msg_id=msg_id, event_id=event_id, msg_seq=seq
                )
                return
            except QQApiError as error:
                if error.code in DUPLICATE_SEQ:
                    continue  # the next slot has the next msg_seq
                if error.code in WINDOW_CLOSED:
                    await asyncio.to_thread(self._close_window, chat_id)
                    continue
                raise _mapped(error) from None
        if self.active_quota > 0 and await asyncio.to_thread(self._take_active, chat_id):
            try:
                await self.api.post_message(chat_id, body)
                return
            except QQApiError as error:
                if error.code not in ACTIVE_REFUSED:
                    raise _mapped(error) from None
                log.info("QQ refused an active message to %s: %s", chat_id, error)
                await asyncio.to_thread(refuse_active, self.sessions, chat_id, self.now(), True)
        raise RetryLater(
            "QQ: no passive reply possible and no active quota left; "
            "waiting for this chat's next message",
            WAIT,
        )

    def _take_passive(self, chat_id: str) -> tuple[str | None, str | None, int] | None:
        """A passive reply slot (msg_id, event_id, msg_seq), counted; None when none is left.
        One conditional UPDATE: two senders never get the same msg_seq."""
        oldest = self.now() - (WINDOWS[_kind(chat_id)] - MARGIN)
        with transaction(self.sessions) as session:
            row = session.execute(
                update(QQReplyTarget)
                .where(
                    QQReplyTarget.chat_id == chat_id,
                    QQReplyTarget.replies < MAX_REPLIES,
                    QQReplyTarget.received_at >= oldest,
                )
                .values(replies=QQReplyTarget.replies + 1)
                .returning(QQReplyTarget.msg_id, QQReplyTarget.event_id, QQReplyTarget.replies)
            ).one_or_none()
            return None if row is None else (row[0], row[1], row[2])

    def _close_window(self, chat_id: str) -> None:
        with transaction(self.sessions) as session:
            session.execute(
                update(QQReplyTarget)
                .where(QQReplyTarget.chat_id == chat_id)
                .values(replies=MAX_REPLIES)
            )

    def _take_active(self, chat_id: str) -> bool:
        month = _month(self.now())
        with transaction(self.sessions) as session:
            _ensure_active_row(session, chat_id, month)
            taken = session.execute(
                update(QQActiveSends)
                .where(
                    QQActiveSends.chat_id == chat_id,
                    QQActiveSends.month == month,
                    QQActiveSends.refused.is_(False),
                    QQActiveSends.sent < self.active_quota,
                )
                .values(sent=QQActiveSends.sent + 1)
            ).rowcount
            return bool(taken)


def _ensure_active_row(session: Session, chat_id: str, month: str) -> None:
    if session.get(QQActiveSends, (chat_id, month)) is None:
        try:
            with session.begin_nested():
                session.add(QQActiveSends(chat_id=chat_id, month=month, sent=0, refused=False))
        except IntegrityError:
            pass  # another sender made it first


def _mapped(error: QQApiError) -> Exception:
    """QQ's answer as the outbox sender understands it (as for Telegram)."""
    if error.status == 429:
        return RetryLater(f"QQ rate limit: {error}", error.retry_after or 5.0)
    if error.status >= 500 or error.status == 401:
        return error  # a server error or a token that will not work: retried with backoff
    return PermanentFailure(f"QQ {error}")
