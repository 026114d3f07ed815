"""Prints each outgoing message with its recipient; chats are named by actor."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import TextIO

from bot.channels.base import Capabilities, numbered

__all__ = ["ConsoleChannel"]


class ConsoleChannel:
    name = "console"
    capabilities = Capabilities(buttons=False, edits=False, photos=False)

    def __init__(
        self, out: TextIO | None = None, label: Callable[[str], str] = lambda chat: chat
    ) -> None:
        self._out = out or sys.stdout
        self._label = label

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        body = numbered(text, choices).replace("\n", "\n    ")
        self._out.write(f"  → {self._label(chat_id)}：\n    {body}\n")
        self._out.flush()
