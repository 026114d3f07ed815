"""The outbound port: what every channel adapter implements, and what it can do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

__all__ = ["Capabilities", "Channel", "PermanentFailure", "RetryLater", "numbered"]


@dataclass(frozen=True)
class Capabilities:
    buttons: bool = False  # inline buttons; without them choices are a numbered list
    edits: bool = False
    photos: bool = False


class RetryLater(Exception):
    """The channel asked us to wait (Telegram 429 ``retry_after``) or failed transiently."""

    def __init__(self, reason: str, after_seconds: float | None = None) -> None:
        super().__init__(reason)
        self.after_seconds = after_seconds


class PermanentFailure(Exception):
    """The message can never be delivered (blocked by the user, chat gone)."""


class Channel(Protocol):
    name: str
    capabilities: Capabilities

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        """Deliver one message; choices are (label, action) pairs; ``kind`` says what it is
        (assignment, result, survey or "") for channels that treat some kinds specially."""
        ...


def numbered(text: str, choices: Sequence[tuple[str, str]]) -> str:
    """Choices as a numbered list for channels without buttons (typed "1" picks the first)."""
    if not choices:
        return text
    lines = [f"{i}. {label}" for i, (label, _action) in enumerate(choices, start=1)]
    return text + "\n" + "\n".join(lines) + "\n（回复编号即可）"
