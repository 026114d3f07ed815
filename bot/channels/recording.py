"""A channel that records what it is asked to send: for tests and the simulator.

``verify_dialog`` (in ``bot.simulator``) checks whole conversations against it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.channels.base import Capabilities
from casework.clock import Clock

__all__ = ["RecordingChannel", "Sent"]


@dataclass(frozen=True)
class Sent:
    at: datetime
    chat_id: str
    text: str
    choices: tuple[str, ...]  # labels, as a person sees them
    actions: tuple[str, ...]  # button data behind them


class RecordingChannel:
    capabilities = Capabilities(buttons=True, edits=False, photos=True)

    def __init__(self, clock: Clock, name: str = "console") -> None:
        self.name = name
        self._clock = clock
        self.sent: list[Sent] = []

    async def send(
        self, chat_id: str, text: str, choices: Sequence[tuple[str, str]], *, kind: str = ""
    ) -> None:
        self.sent.append(
            Sent(
                self._clock.now(),
                chat_id,
                text,
                tuple(label for label, _ in choices),
                tuple(action for _, action in choices),
            )
        )

    def take(self) -> list[Sent]:
        """Everything sent since the last call."""
        taken, self.sent = self.sent, []
        return taken
