"""Chat accounts and who they belong to: a resident (by default), a deputy, the office."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from casework.errors import Refused
from casework.outbox import release_held
from storage.models import (
    ChatIdentity,
    Deputy,
    DeputyInvite,
    DialogState,
    HometownGroup,
    OutboxMessage,
    Resident,
)
from storage.upsert import insert_or_ignore_row

__all__ = [
    "INVITE_PREFIX",
    "bind_deputy",
    "bind_office",
    "create_invite",
    "identity_for",
    "migrate_chat",
    "redeem_invite",
]


# Built once: every inbound message asks it, and building a statement (and its cache key)
# costs about as much as running it on SQLite.
_ACCOUNT = select(ChatIdentity).where(
    ChatIdentity.channel == bindparam("channel"),
    ChatIdentity.external_id == bindparam("external_id"),
)


def _identity(
    session: Session, channel: str, external_id: str, now: datetime, display_name: str
) -> ChatIdentity:
    account = {"channel": channel, "external_id": external_id}
    identity = session.scalars(_ACCOUNT, account).one_or_none()
    if identity is None:
        # A user's first two messages may arrive at once: insert-or-keep; the row comes back
        # from the INSERT, or else it is the other transaction's (read once it committed).
        identity = (
            insert_or_ignore_row(
                session,
                ChatIdentity,
                {
                    "channel": channel,
                    "external_id": external_id,
                    "role": "resident",
                    "display_name": display_name,
                    "created_at": now,
                },
                ("channel", "external_id"),
            )
            or session.scalars(_ACCOUNT, account).one()
        )
    return identity


def identity_for(
    session: Session, channel: str, external_id: str, now: datetime, display_name: str = ""
) -> ChatIdentity:
    """The account's identity; a first message makes it a resident's."""
    identity = _identity(session, channel, external_id, now, display_name)
    identity.last_seen_at = now  # written with the turn's other changes, at its flush
    if identity.role == "resident" and identity.resident_id is None:
        # Through the relationship: one flush writes the resident and then the identity's
        # link to it; flushed now, since what follows reads ``resident_id``.
        identity.resident = Resident(display_name=display_name, created_at=now)
        session.flush()
    return identity


def bind_deputy(
    session: Session, channel: str, external_id: str, deputy_code: str, now: datetime
) -> ChatIdentity:
    deputy = session.get(Deputy, deputy_code)
    if deputy is None:
        raise Refused(f"没有编号为 {deputy_code} 的代表。")
    identity = _identity(session, channel, external_id, now, deputy.name)
    identity.role, identity.deputy_code, identity.display_name = "deputy", deputy.code, deputy.name
    session.flush()
    release_held(session, f"deputy:{deputy.code}")
    return identity


def bind_office(session: Session, channel: str, external_id: str, now: datetime) -> ChatIdentity:
    identity = _identity(session, channel, external_id, now, "代表工委")
    identity.role, identity.deputy_code = "office", None
    session.flush()
    release_held(session, "office")
    return identity


def migrate_chat(session: Session, channel: str, old: str, new: str) -> None:
    """A Telegram group became a supergroup with a new id: everything follows it."""
    for model, column in (
        (ChatIdentity, ChatIdentity.external_id),
        (DialogState, DialogState.chat_id),
        (HometownGroup, HometownGroup.chat_id),
    ):
        session.execute(
            update(model).where(model.channel == channel, column == old).values({column: new})
        )
    session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.channel == channel,
            OutboxMessage.chat_id == old,
            OutboxMessage.status.in_(("pending", "sending")),
        )
        .values(chat_id=new)
    )


INVITE_PREFIX = "inv-"


def create_invite(session: Session, deputy_code: str, now: datetime, *, days: int = 14) -> str:
    """A one-time invite token for a deputy (valid ``days`` days)."""
    if session.get(Deputy, deputy_code) is None:
        raise Refused(f"没有编号为 {deputy_code} 的代表。")
    token = secrets.token_urlsafe(18)  # 24 characters: fits a 64-character deep link
    session.add(
        DeputyInvite(
            token=token, deputy_code=deputy_code, created_at=now,
            expires_at=now + timedelta(days=days),
        )
    )  # fmt: skip
    return token


def redeem_invite(
    session: Session, token: str, channel: str, external_id: str, now: datetime
) -> ChatIdentity:
    """Bind the account to the invite's deputy; each invite works once, before it expires."""
    invite = session.get(DeputyInvite, token)
    if invite is None or invite.expires_at <= now:
        raise Refused("该邀请链接无效或已过期，请联系代表工委重新获取。")
    used = "该邀请链接已使用过。如需在新账号上绑定，请联系代表工委重新获取。"
    if invite.used_at is not None:
        raise Refused(used)
    # Claimed only if still unused: of two accounts redeeming one link at once, one wins.
    claimed = session.execute(
        update(DeputyInvite)
        .where(DeputyInvite.token == token, DeputyInvite.used_at.is_(None))
        .values(used_at=now, used_by=f"{channel}:{external_id}")
    ).rowcount
    if not claimed:
        raise Refused(used)
    return bind_deputy(session, channel, external_id, invite.deputy_code, now)
