"""Writing to the outbox: a message to a person, stored in the caller's transaction.

Recipients are named, not addressed: ``deputy:D001``, ``office``, ``identity:42`` (one chat
account, used for residents). Naming resolves here to the bound chats; a deputy with no bound
chat yet gets the message ``held`` and receives it on binding, so nothing is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Exists,
    Select,
    Update,
    bindparam,
    delete,
    insert,
    literal,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, aliased

from storage.models import PARTIAL, ChatIdentity, DialogState, OutboxArchive, OutboxMessage
from storage.upsert import insert_or_ignore_row

__all__ = [
    "Message",
    "archive_sent",
    "claim",
    "claim_these",
    "dialog_state",
    "post",
    "queue",
    "release_held",
    "remember_choices",
]


@dataclass(frozen=True)
class Message:
    recipient: str
    text: str
    choices: Sequence[tuple[str, str]] = field(default_factory=tuple)  # (label, action)
    case_id: int | None = None
    kind: str = ""  # assignment | result | survey: what must arrive even outside a window
    # A refusal or a hint leaves the pending choices as they were: "1" still means what the
    # last menu said (WeChat users can only type numbers and labels).
    keep_choices: bool = False


# Built once: a case's card asks for its deputy's chats (building a statement and its cache
# key costs about as much as running it on SQLite).
_CHATS = select(ChatIdentity.channel, ChatIdentity.external_id).order_by(ChatIdentity.id)
_DEPUTY_CHATS = _CHATS.where(
    ChatIdentity.role == "deputy", ChatIdentity.deputy_code == bindparam("deputy_code")
)
_OFFICE_CHATS = _CHATS.where(ChatIdentity.role == "office")


def _addresses(session: Session, recipient: str) -> list[tuple[str, str]]:
    kind, _, key = recipient.partition(":")
    if kind == "identity":
        # Usually the sender of the message being answered, already in the session: the
        # identity map answers without a query (or an autoflush).
        identity = session.get(ChatIdentity, int(key))
        return [] if identity is None else [(identity.channel, identity.external_id)]
    if kind == "deputy":
        rows = session.execute(_DEPUTY_CHATS, {"deputy_code": key})
    elif kind == "office":
        rows = session.execute(_OFFICE_CHATS)
    elif kind == "chat":  # "chat:<channel>:<external id>": a chat with no identity (groups)
        channel, _, external = key.partition(":")
        return [(channel, external)]
    else:
        raise ValueError(f"unknown recipient {recipient!r}")
    return [(row.channel, row.external_id) for row in rows]


def post(
    session: Session,
    now: datetime,
    message: Message,
    known: dict[str, list[tuple[str, str]]] | None = None,
) -> int:
    """Queue ``message`` for every chat of its recipient; returns the number of rows.

    ``known``: recipients' chats already looked up in this transaction (a sweep posting a
    thousand reminders to a few deputies asks once per deputy); filled as it goes."""
    return len(queue(session, now, message, known))


def queue(
    session: Session,
    now: datetime,
    message: Message,
    known: dict[str, list[tuple[str, str]]] | None = None,
    *,
    state: DialogState | None = None,
) -> list[OutboxMessage]:
    """:func:`post`, returning the rows it wrote (unflushed). ``state``: the dialog state the
    caller already holds (the chat being answered), so its choices are kept without asking
    for it again."""
    if known is None:
        addresses = _addresses(session, message.recipient)
    else:
        if message.recipient not in known:
            known[message.recipient] = _addresses(session, message.recipient)
        addresses = known[message.recipient]
    if not addresses:
        rows = [_row(message, now, None, None, status="held")]
        session.add(rows[0])
        return rows
    rows = []
    for channel, chat_id in addresses:
        rows.append(_row(message, now, channel, chat_id, status="pending"))
        session.add(rows[-1])
        # The latest message decides what a typed "1" means in that chat; a message without
        # choices clears them, unless it only refuses or explains (keep_choices).
        if message.choices or not message.keep_choices:
            if state is not None and (state.channel, state.chat_id) == (channel, chat_id):
                state.choices = [list(choice) for choice in message.choices]
            else:
                remember_choices(session, now, channel, chat_id, message.choices)
    return rows


def _row(
    message: Message, now: datetime, channel: str | None, chat_id: str | None, *, status: str
) -> OutboxMessage:
    return OutboxMessage(
        recipient=message.recipient,
        channel=channel,
        chat_id=chat_id,
        text=message.text,
        choices=[list(choice) for choice in message.choices],
        case_id=message.case_id,
        kind=message.kind,
        status=status,
        attempts=0,
        created_at=now,
        not_before=now,
    )


# Built once: every inbound message asks it (building a statement and its cache key costs
# about as much as running it on SQLite). A private chat's user is the chat.
_PRIVATE_CHAT = select(DialogState).where(
    DialogState.channel == bindparam("channel"),
    DialogState.chat_id == bindparam("chat_id"),
    DialogState.user_id == bindparam("chat_id"),
)


def dialog_state(session: Session, now: datetime, channel: str, chat_id: str) -> DialogState:
    """The dialog state of a private chat, created idle when missing."""
    chat = {"channel": channel, "chat_id": chat_id}
    state = session.scalars(_PRIVATE_CHAT, chat).one_or_none()
    if state is None:  # insert-or-keep: two first messages of one chat may arrive at once
        state = insert_or_ignore_row(
            session,
            DialogState,
            {"channel": channel, "chat_id": chat_id, "user_id": chat_id, "state": "idle",
             "data": {}, "choices": [], "updated_at": now},
            ("channel", "chat_id", "user_id"),
        ) or session.scalars(_PRIVATE_CHAT, chat).one()  # fmt: skip
    return state


def remember_choices(
    session: Session, now: datetime, channel: str, chat_id: str, choices: Sequence[tuple[str, str]]
) -> None:
    """The latest choices shown in a chat, so that typing "1" means the first of them."""
    state = dialog_state(session, now, channel, chat_id)
    state.choices = [list(choice) for choice in choices]


def release_held(session: Session, recipient: str) -> int:
    """Address a newly bound recipient's held messages to its chats; returns how many."""
    addresses = _addresses(session, recipient)
    if not addresses:
        return 0
    channel, chat_id = addresses[0]
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.recipient == recipient, OutboxMessage.status == "held")
        .values(status="pending", channel=channel, chat_id=chat_id)
    )
    return result.rowcount or 0


def _claim_statements() -> tuple[Select, Select, Update, Update, Update]:
    """The claim's statements, built once: building them is most of a claim's cost in
    SQLAlchemy (3 ms against 0.1 ms of SQLite's own work, issue 15)."""
    stale = (
        select(OutboxMessage.id)
        .with_hint(OutboxMessage, "INDEXED BY ix_outbox_sending", "sqlite")
        .where(
            text(PARTIAL["outbox_sending"]), OutboxMessage.claimed_at < bindparam("stale_before")
        )
        .limit(bindparam("batch"))
    )
    earlier = aliased(OutboxMessage, name="earlier")

    # A chat's messages go in order: a row waits while an earlier one to the same chat is
    # still unsent (deferred by a retry, or being sent by another worker) — unless that one
    # is claimed with it (``only``: an update's own replies, sent in id order).
    #
    # OFFSET 0 keeps PostgreSQL from turning the NOT EXISTS into an anti-join: as a join,
    # without statistics, it chose a nested loop comparing every pending row with every
    # other (200 ms at 1,000 pending, issue 15); as a subquery it stays one probe of the
    # unsent index per candidate, as on SQLite, and stops at ``batch``.
    def blocked(*extra: ColumnElement[bool]) -> Exists:
        return (
            select(earlier.id)
            .with_hint(earlier, "INDEXED BY ix_outbox_unsent_chat", "sqlite")
            .where(
                earlier.channel == OutboxMessage.channel,
                earlier.chat_id == OutboxMessage.chat_id,
                earlier.id < OutboxMessage.id,
                text("earlier." + PARTIAL["outbox_unsent"]),
                *extra,
            )
            .offset(0)
            .exists()
        )

    due = (
        select(OutboxMessage.id)
        .with_hint(OutboxMessage, "INDEXED BY ix_outbox_pending", "sqlite")
        .where(
            text("outbox." + PARTIAL["outbox_pending"]),
            OutboxMessage.not_before <= bindparam("now"),
            OutboxMessage.channel.in_(bindparam("channels", expanding=True)),
            ~blocked(),
        )
        .order_by(OutboxMessage.id)
        .limit(bindparam("batch"))
    )
    ids = bindparam("ids", expanding=True)
    # The replies one update wrote, claimed in one statement: each may go when every
    # earlier unsent row to its chat is one of them (they are then sent in id order).
    take_these = (
        update(OutboxMessage)
        .where(
            OutboxMessage.id.in_(ids),
            OutboxMessage.status == "pending",
            OutboxMessage.not_before <= bindparam("now"),
            OutboxMessage.channel.in_(bindparam("channels", expanding=True)),
            ~blocked(earlier.id.not_in(ids)),
        )
        .values(status="sending", claimed_at=bindparam("now"), attempts=OutboxMessage.attempts + 1)
        .returning(*_CLAIMED)
    )
    release = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))
        .where(OutboxMessage.status == "sending")
        .values(status="pending")
    )
    # The status check in the UPDATE is what makes the claim exclusive between workers.
    take = (
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(bindparam("ids", expanding=True)))
        .where(OutboxMessage.status == "pending")
        .values(status="sending", claimed_at=bindparam("now"), attempts=OutboxMessage.attempts + 1)
        .returning(*_CLAIMED)
    )
    return stale, due, release, take, take_these


_CLAIMED = (
    OutboxMessage.id,
    OutboxMessage.channel,
    OutboxMessage.chat_id,
    OutboxMessage.text,
    OutboxMessage.choices,
    OutboxMessage.kind,
)
_STALE, _DUE, _RELEASE_STALE, _TAKE, _TAKE_THESE = _claim_statements()


Claimed = tuple[int, str, str, str, list, str]


def claim(
    session: Session, now: datetime, channels: Collection[str], batch: int, lease: timedelta
) -> list[Claimed]:
    """The next ``batch`` due rows for ``channels``, marked ``sending``: (id, channel, chat id,
    text, choices, kind), in id order. Rows left ``sending`` past ``lease`` count as pending.

    Its cost follows what is pending, not the history: every step goes through a partial
    index of unsent rows, named to SQLite (``INDEXED BY``: with ``ANALYZE`` statistics its
    planner would otherwise walk the history) and matched by PostgreSQL's predicate."""
    connection = session.connection()  # Core statements, the session's transaction
    stale = list(
        connection.execute(_STALE, {"stale_before": now - lease, "batch": batch}).scalars()
    )
    if stale:
        connection.execute(_RELEASE_STALE, {"ids": stale})
    params = {"now": now, "channels": list(channels), "batch": batch}
    ids = list(connection.execute(_DUE, params).scalars())
    if not ids:
        return []
    rows = connection.execute(_TAKE, {"ids": ids, "now": now}).all()
    return sorted((tuple(r) for r in rows), key=lambda r: r[0])  # type: ignore[misc]


def claim_these(
    connection: Connection, now: datetime, channels: Collection[str], row_ids: Collection[int]
) -> list[Claimed]:
    """Of ``row_ids`` (the replies one update just wrote), those that may go now, marked
    ``sending``, in id order — one statement, for the sender to send them at once. A row
    stays for the drain when an earlier message to its chat is unsent, or another sender
    has it already."""
    if not row_ids:
        return []
    params = {"ids": list(row_ids), "now": now, "channels": list(channels)}
    rows = connection.execute(_TAKE_THESE, params).all()
    return sorted((tuple(r) for r in rows), key=lambda r: r[0])  # type: ignore[misc]


def archive_sent(session: Session, now: datetime, days: int, batch: int = 1_000) -> int:
    """Move at most ``batch`` rows sent more than ``days`` ago from the outbox to
    ``outbox_archive`` (through the partial index of sent rows); returns how many."""
    ids = list(
        session.scalars(
            select(OutboxMessage.id)
            .where(text(PARTIAL["outbox_sent"]), OutboxMessage.sent_at < now - timedelta(days))
            .order_by(OutboxMessage.sent_at)
            .limit(batch)
        )
    )
    if not ids:
        return 0
    columns = [c.name for c in OutboxMessage.__table__.columns]
    session.execute(
        insert(OutboxArchive).from_select(
            [*columns, "archived_at"],
            select(*OutboxMessage.__table__.columns, literal(now, OutboxArchive.archived_at.type))
            .where(OutboxMessage.id.in_(ids)),
        )
    )  # fmt: skip
    session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return len(ids)
