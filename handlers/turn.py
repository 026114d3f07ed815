"""What a conversation step works with: the message, who sent it, where they are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from casework.cases import Casework
from casework.directory import CountyDirectory
from casework.events import Event
from casework.live_county import LiveCounty
from casework.outbox import Message
from handlers.incoming import Incoming
from handlers.notifications import render
from nlp.classifier import Classifier
from nlp.live import LiveClassifier
from storage.models import ChatIdentity, DialogState

__all__ = ["DIALOG_TIMEOUT", "Services", "Turn"]

DIALOG_TIMEOUT = timedelta(minutes=30)


@dataclass
class Services:
    """What conversations need, built once by the composition root."""

    casework: Casework
    directory: CountyDirectory | LiveCounty  # live: follows county imports
    classifier: Classifier | LiveClassifier


@dataclass
class Turn:
    session: Session
    services: Services
    incoming: Incoming
    identity: ChatIdentity
    state: DialogState
    now: datetime
    action: str | None = None  # a pressed button, or a typed choice resolved to its action
    out: list[Message] = field(default_factory=list)

    @property
    def me(self) -> str:
        return f"identity:{self.identity.id}"

    @property
    def text(self) -> str:
        return (self.incoming.text or "").strip()

    def reply(
        self, text: str, choices: Sequence[tuple[str, str]] = (), case_id: int | None = None
    ) -> None:
        self.out.append(Message(self.me, text, tuple(choices), case_id))

    def refuse(self, text: str, case_id: int | None = None) -> None:
        """A reply that takes nothing: the choices pending in this chat stay as they were."""
        self.out.append(Message(self.me, text, (), case_id, keep_choices=True))

    def reply_to(self, recipient: str, text: str) -> None:
        """To a chat that is not a person's own (a group)."""
        self.out.append(Message(recipient, text))

    def send_to(self, recipient: str, text: str, case_id: int | None = None) -> None:
        """To another person (a deputy, the office)."""
        self.out.append(Message(recipient, text, (), case_id))

    def send(self, message: Message) -> None:
        self.out.append(message)

    def emit(self, events: Sequence[Event]) -> None:
        """Tell everyone concerned what the domain events mean to them."""
        zone = self.services.casework.calendar.zone
        office = self.services.directory.office_name
        for event in events:
            self.out.extend(render(event, zone, office, now=self.now))

    def go(self, state: str, **data: Any) -> None:
        """Move this chat's dialog to ``state`` (idle clears the data and the timeout)."""
        self.state.state = state
        self.state.data = {**self.state.data, **data} if state != "idle" else {}
        self.state.updated_at = self.now
        self.state.expires_at = None if state == "idle" else self.now + DIALOG_TIMEOUT

    def update(self, **data: Any) -> None:
        self.state.data = {**self.state.data, **data}
        self.state.updated_at = self.now
        if self.state.state != "idle":
            self.state.expires_at = self.now + DIALOG_TIMEOUT
