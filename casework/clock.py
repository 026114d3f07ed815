"""Time, injected: the domain asks a clock, so the simulator and the tests can move it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["Clock", "ManualClock", "SystemClock", "parse_duration"]


class Clock(Protocol):
    def now(self) -> datetime:
        """The current instant, timezone-aware."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class ManualClock:
    """A clock that stands still until told to move (simulator, demo, tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start

    def now(self) -> datetime:
        return self._now

    def set(self, instant: datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        if instant < self._now:
            raise ValueError("time does not run backwards")
        self._now = instant

    def advance(self, delta: timedelta) -> None:
        self.set(self._now + delta)


_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(text: str) -> timedelta:
    """``"26h"``, ``"2d"``, ``"1d12h"``, ``"90m"`` → a timedelta; ValueError otherwise."""
    text = text.strip().lower()
    if not text:
        raise ValueError("empty duration")
    total = timedelta()
    number = ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in _UNITS and number:
            total += timedelta(**{_UNITS[char]: int(number)})
            number = ""
        else:
            raise ValueError(f"not a duration: {text!r} (use e.g. 30m, 26h, 2d)")
    if number:
        raise ValueError(f"not a duration: {text!r} (a number needs a unit: s, m, h, d, w)")
    return total


def local_zone(name: str = "Asia/Shanghai") -> ZoneInfo:
    return ZoneInfo(name)
