"""Outbound rate limits per channel (DESIGN.md §7): pacing per chat, and a ceiling per bot.

Per chat we keep the earliest next send and defer a message that comes too soon (other
chats go on); the bot-wide ceiling is a leaky bucket (``aiolimiter``) that makes the sender
wait. Times are real monotonic seconds: limits are about the channel's servers, not the
simulated clock.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from aiolimiter import AsyncLimiter

__all__ = ["ChatPacer", "RateLimits"]


@dataclass(frozen=True)
class RateLimits:
    per_chat_interval: float  # seconds between two messages to one private chat
    per_group_interval: float  # seconds between two messages to one group
    overall_per_second: float

    def is_group(self, chat_id: str) -> bool:
        return chat_id.startswith("-")  # Telegram: groups and channels have negative ids


TELEGRAM = RateLimits(per_chat_interval=1.0, per_group_interval=3.0, overall_per_second=28)


class ChatPacer:
    def __init__(self, limits: RateLimits, monotonic: Callable[[], float] = time.monotonic):
        self.limits = limits
        self._monotonic = monotonic
        self._next: dict[str, float] = {}
        # Bursts of at most 4: a sliding one-second window (Telegram's) never sees more
        # than the rate, and the sender still keeps up while a send or a commit is slow.
        self.bucket = AsyncLimiter(4, 4 / limits.overall_per_second)

    def wait_for(self, chat_id: str) -> float:
        """Seconds until ``chat_id`` may get its next message (0: now)."""
        return max(0.0, self._next.get(chat_id, 0.0) - self._monotonic())

    def sent(self, chat_id: str) -> None:
        interval = (
            self.limits.per_group_interval
            if self.limits.is_group(chat_id)
            else self.limits.per_chat_interval
        )
        self._next[chat_id] = self._monotonic() + interval
        if len(self._next) > 50_000:  # forget chats whose pause is long over
            now = self._monotonic()
            self._next = {c: t for c, t in self._next.items() if t > now}
