"""One inbound message, one transaction: dedupe, identify, converse, queue the replies.

The state change, the case ledger and the outbox rows commit together (DESIGN.md §8); a
refusal rolls back whatever the conversation had begun and sends only the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from casework.clock import Clock
from casework.errors import Refused
from casework.hometown_groups import member_identity
from casework.identities import INVITE_PREFIX, identity_for, redeem_invite
from casework.live_county import LiveCounty
from casework.outbox import Message, dialog_state, post, queue
from handlers.choices import looks_like_number, match_choice
from handlers.commands import parse_command
from handlers.deputy import handle_deputy
from handlers.group_codes import asks_for_group_code, bind_with_code, give_group_code
from handlers.groups import handle_group
from handlers.incoming import MAX_TEXT_LENGTH, Incoming
from handlers.intake import start
from handlers.office import handle_office
from handlers.resident import handle_resident
from handlers.suggestions import handle_suggestions, wants_suggestions
from handlers.turn import Services, Turn
from storage.db import SessionFactory, transaction
from storage.models import DialogState, InboundMessage, OutboxMessage
from storage.upsert import insert_or_ignore

__all__ = ["Dispatcher", "Outcome"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    handled: bool  # False: a re-delivery of a message already handled
    replies: int = 0
    outbox_ids: tuple[int, ...] = ()  # the rows it wrote: a passive reply may take only these


class Dispatcher:
    def __init__(self, sessions: SessionFactory, services: Services, clock: Clock) -> None:
        self.sessions = sessions
        self.services = services
        self.clock = clock

    def handle(self, incoming: Incoming) -> Outcome:
        if isinstance(self.services.directory, LiveCounty):
            self.services.directory.refresh()  # a county import since? (throttled, cheap)
        try:
            return self._turn(incoming, refusal=None)
        except Refused as refusal:
            # The whole transaction rolled back, whatever the conversation had begun with it;
            # the message is recorded again, answered only with the reason. (No savepoint
            # around the conversation: two statements and a flush less on every message, and
            # a refusal, the rare case, pays a second short transaction instead.)
            return self._turn(incoming, refusal=refusal)

    def _turn(self, incoming: Incoming, refusal: Refused | None) -> Outcome:
        with transaction(self.sessions) as session:
            now = self.clock.now()
            oversized = len(incoming.text or "") > MAX_TEXT_LENGTH
            if not self._first_delivery(session, incoming, oversized):
                return Outcome(handled=False)
            if incoming.is_group:
                return self._group(session, incoming, now)
            identity = identity_for(
                session, incoming.channel, incoming.user_id, now, incoming.display_name
            )
            if identity.group_only:  # first seen in a group; now the bot can write to it
                identity.group_only = False
            state = dialog_state(session, now, incoming.channel, incoming.chat_id)
            turn = Turn(session, self.services, incoming, identity, state, now)
            if oversized:
                length = len(incoming.text or "")
                turn.refuse(
                    f"您发送的内容有{length}字，超过了{MAX_TEXT_LENGTH}字的上限，未能登记。"
                    f"请精简到{MAX_TEXT_LENGTH}字以内再发送。"
                )
            elif refusal is not None:
                # A refusal changes nothing, the pending choices included.
                turn.out = [Message(turn.me, str(refusal), keep_choices=True)]
            else:
                self._converse(turn)  # a Refused rolls all of this back
            rows = _queue_all(session, now, turn.out, state)
            session.flush()  # the rows' ids
            return Outcome(True, len(turn.out), tuple(row.id for row in rows))

    def _group(self, session: Session, incoming: Incoming, now: datetime) -> Outcome:
        identity = member_identity(
            session, incoming.channel, incoming.user_id, now, incoming.display_name
        )
        state = dialog_state(session, now, incoming.channel, incoming.chat_id)
        turn = Turn(session, self.services, incoming, identity, state, now)
        # No length check here: a long suggestion is refused with its length, long chatter
        # is none of the bot's business.
        try:
            with session.begin_nested():
                if not bind_with_code(turn):
                    handle_group(turn)
        except Refused as refusal:
            turn.out = []
            turn.reply_to(f"chat:{incoming.channel}:{incoming.chat_id}", str(refusal))
        for message in turn.out:
            post(session, now, message)
        return Outcome(handled=True, replies=len(turn.out))

    def _first_delivery(self, session: Session, incoming: Incoming, oversized: bool) -> bool:
        if incoming.message_id is None:
            return True
        body = {"text": incoming.text} if not oversized else {"oversized": len(incoming.text or "")}
        if incoming.location:
            body["location"] = list(incoming.location)
        if incoming.photo:
            body["photo"] = incoming.photo
        if incoming.action:
            body["action"] = incoming.action
        if incoming.start is not None:
            body["start"] = incoming.start
        # Insert-or-ignore, not a savepoint around an INSERT that may fail on the unique
        # key: one statement instead of three. A concurrent delivery of the same message
        # waits for ours on the key (PostgreSQL) and then inserts nothing, as before.
        first = insert_or_ignore(
            session,
            InboundMessage,
            {
                "channel": incoming.channel,
                "message_id": incoming.message_id,
                "chat_id": incoming.chat_id,
                "user_id": incoming.user_id,
                "body": body,
                "received_at": self.clock.now(),
            },
            ("channel", "message_id"),
        )
        if not first:
            log.info("dropped re-delivery %s/%s", incoming.channel, incoming.message_id)
        return first

    def _converse(self, turn: Turn) -> None:
        command = parse_command(turn.text) if turn.incoming.action is None else None
        turn.action = turn.incoming.action or (
            None if command else _typed_choice(turn.state, turn.text)
        )
        if turn.action is None and looks_like_number(turn.text) and turn.state.choices:
            raise Refused(_no_such_choice(len(turn.state.choices)))
        role = turn.identity.role
        payload = turn.incoming.start
        if payload and payload.startswith(INVITE_PREFIX):
            accept_invite(turn, payload.removeprefix(INVITE_PREFIX))
        elif payload is not None and role == "resident":
            start(turn, payload)
        elif asks_for_group_code(turn):
            give_group_code(turn)
        elif wants_suggestions(turn, command):
            handle_suggestions(turn, command)
        elif role == "deputy":
            handle_deputy(turn, command)
        elif role == "office":
            handle_office(turn, command)
        else:
            handle_resident(turn, command)


def _queue_all(
    session: Session, now: datetime, messages: list[Message], state: DialogState
) -> list[OutboxMessage]:
    return [row for message in messages for row in queue(session, now, message, state=state)]


def accept_invite(turn: Turn, token: str) -> None:
    incoming = turn.incoming
    identity = redeem_invite(turn.session, token, incoming.channel, incoming.user_id, turn.now)
    deputy = identity.deputy
    assert deputy is not None
    turn.reply(
        f"您好，{deputy.name}代表！本账号已绑定为您的代表身份，交办给您的工单将发到这里。\n"
        "发送“我的工单”查看待办，发送“帮助”查看全部指令。"
    )


def _no_such_choice(count: int) -> str:
    span = "1" if count == 1 else f"1–{count} 之间的编号"
    return f"没有这个选项，请回复 {span}（也可以回复选项的文字）。"


def _typed_choice(state: DialogState, text: str) -> str | None:
    """A typed "2" or a choice's own words mean that choice (WeChat has no buttons)."""
    return match_choice(state.choices, text)
