"""SQLAlchemy 2.0 models: the county, people and chats, cases and their ledger, the outbox.

The schema is made only by the Alembic migrations in ``storage/migrations``; these classes
describe it for the ORM. County entities use their ``code`` as the primary key because the
county file imports idempotently by code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

__all__ = [
    "PARTIAL",
    "Base",
    "Case",
    "CaseAlarm",
    "CaseEvent",
    "CaseFollower",
    "ChatIdentity",
    "County",
    "Department",
    "Deputy",
    "DeputyInvite",
    "DialogState",
    "Grid",
    "GroupBindCode",
    "HometownGroup",
    "InboundMessage",
    "JobRun",
    "Observation",
    "OutboxArchive",
    "OutboxMessage",
    "PointsEntry",
    "QQActiveSends",
    "QQReplyTarget",
    "Reception",
    "Resident",
    "SharedValue",
    "StaffAccount",
    "StaffToken",
    "Station",
    "Suggestion",
    "SuggestionEvent",
    "Support",
    "Survey",
    "TelegramUpdate",
    "TicketCounter",
    "Township",
    "UTCDateTime",
    "WeChatWindow",
    "WorkerLease",
]


# The predicates of the partial indexes on what the sweeps and the outbox look for. A query
# uses such an index only if its WHERE repeats the predicate with literals (a bound
# parameter proves nothing to SQLite, nor to a generic PostgreSQL plan): see
# ``casework.sweeps`` and ``casework.outbox``.
PARTIAL = {
    "alarm_pending": "status = 'pending'",
    "dialog_expiring": "expires_at IS NOT NULL AND state <> 'expired'",
    "survey_scheduled": "status = 'scheduled'",
    "survey_open": "status = 'open'",
    "outbox_pending": "status = 'pending'",
    "outbox_unsent": "status IN ('pending', 'sending')",
    "outbox_sending": "status = 'sending'",
    "outbox_sent": "status = 'sent'",
    # casework.routing.OPEN_STATUSES (tests/test_sweep_plans.py keeps the two equal)
    "case_open": (
        "status IN ('submitted', 'assigned', 'accepted', 'transferred', 'answered', 'reopened')"
    ),
}


def _partial(name: str, key: str, *columns: str) -> Index:
    where = text(PARTIAL[key])
    return Index(name, *columns, sqlite_where=where, postgresql_where=where)


class UTCDateTime(TypeDecorator[datetime]):
    """Stores naive UTC, returns aware UTC: SQLite keeps no offsets, PostgreSQL would convert."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use the clock's aware time")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UTCDateTime(),
        dict[str, Any]: JSON,
        list[Any]: JSON,
    }


# --- the county -------------------------------------------------------------------------


class County(Base):
    __tablename__ = "counties"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    office_name: Mapped[str] = mapped_column(String(100), default="县人大常委会代表工委")
    sla: Mapped[dict[str, Any] | None] = mapped_column(default=None)  # overrides of SlaPolicy
    # The county's own holiday dates, over chinese-calendar's: {holidays: [ISO…], workdays: […]}
    calendar: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    # Bumped by every import that changes something: running processes compare it to
    # reload their copy of the county (casework.live_county).
    revision: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # The duty record (casework.duties, casework.points): monthly duties, points rules and
    # how many 履职之星 per level, as the county file wrote them (None: the defaults).
    duties: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    points: Mapped[dict[str, Any] | None] = mapped_column(default=None)
    stars: Mapped[int | None] = mapped_column(Integer, default=None)


class Township(Base):
    __tablename__ = "townships"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    position: Mapped[int] = mapped_column(Integer, default=0, server_default="0")  # file order


deputy_stations = Table(
    "deputy_stations",
    Base.metadata,
    Column("deputy_code", ForeignKey("deputies.code", ondelete="CASCADE"), primary_key=True),
    Column("station_code", ForeignKey("stations.code", ondelete="CASCADE"), primary_key=True),
)
deputy_grids = Table(
    "deputy_grids",
    Base.metadata,
    Column("deputy_code", ForeignKey("deputies.code", ondelete="CASCADE"), primary_key=True),
    Column("grid_code", ForeignKey("grids.code", ondelete="CASCADE"), primary_key=True),
)
station_heads = Table(
    "station_heads",
    Base.metadata,
    Column("deputy_code", ForeignKey("deputies.code", ondelete="CASCADE"), primary_key=True),
    Column("station_code", ForeignKey("stations.code", ondelete="CASCADE"), primary_key=True),
)


class Station(Base):
    __tablename__ = "stations"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    township_code: Mapped[str] = mapped_column(ForeignKey("townships.code"))
    kind: Mapped[str] = mapped_column(String(16), default="area")  # area | thematic
    topics: Mapped[list[Any]] = mapped_column(default=list)
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(200))
    hours: Mapped[str | None] = mapped_column(String(200))  # reception hours, as written

    township: Mapped[Township] = relationship()
    grids: Mapped[list[Grid]] = relationship(back_populates="station", order_by="Grid.code")
    deputies: Mapped[list[Deputy]] = relationship(
        secondary=deputy_stations, back_populates="stations", order_by="Deputy.code"
    )
    heads: Mapped[list[Deputy]] = relationship(
        secondary=station_heads, back_populates="head_of", order_by="Deputy.code"
    )


class Grid(Base):
    __tablename__ = "grids"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"))
    places: Mapped[list[Any]] = mapped_column(default=list)
    polygon: Mapped[list[Any] | None] = mapped_column(default=None)  # [[lon, lat], ...]

    station: Mapped[Station] = relationship(back_populates="grids")
    deputies: Mapped[list[Deputy]] = relationship(
        secondary=deputy_grids, back_populates="grids", order_by="Deputy.code"
    )


class Deputy(Base):
    __tablename__ = "deputies"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    level: Mapped[str] = mapped_column(String(16))
    expertise: Mapped[list[Any]] = mapped_column(default=list)
    phone: Mapped[str | None] = mapped_column(String(40))

    stations: Mapped[list[Station]] = relationship(
        secondary=deputy_stations, back_populates="deputies", order_by="Station.code"
    )
    grids: Mapped[list[Grid]] = relationship(
        secondary=deputy_grids, back_populates="deputies", order_by="Grid.code"
    )
    head_of: Mapped[list[Station]] = relationship(
        secondary=station_heads, back_populates="heads", order_by="Station.code"
    )


class Department(Base):
    __tablename__ = "departments"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    categories: Mapped[list[Any]] = mapped_column(default=list)
    # Who relays reminders about transferred cases: a deputy code, or None/"office".
    contact: Mapped[str | None] = mapped_column(String(32), default=None)
    aliases: Mapped[list[Any]] = mapped_column(default=list)  # short names: 人社局, 城管


# --- people and chats -------------------------------------------------------------------


class Resident(Base):
    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]


class ChatIdentity(Base):
    """One account on one channel, bound to a resident, a deputy or the office."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(128))
    role: Mapped[str] = mapped_column(String(16), default="resident")  # resident|deputy|office
    resident_id: Mapped[int | None] = mapped_column(ForeignKey("residents.id"))
    deputy_code: Mapped[str | None] = mapped_column(ForeignKey("deputies.code"))
    display_name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime | None]
    # First seen as a member of a group and never written to the bot in private: the bot
    # cannot open a private chat with it (Telegram refuses), so nothing is addressed to it.
    group_only: Mapped[bool] = mapped_column(Boolean, default=False)

    resident: Mapped[Resident | None] = relationship()
    deputy: Mapped[Deputy | None] = relationship()


class DialogState(Base):
    """Where one user is in a conversation; also the choices last offered to that chat."""

    __tablename__ = "dialog_states"
    __table_args__ = (
        UniqueConstraint("channel", "chat_id", "user_id"),
        _partial("ix_dialog_states_expiring", "dialog_expiring", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    state: Mapped[str] = mapped_column(String(32), default="idle")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    choices: Mapped[list[Any]] = mapped_column(default=list)  # [[label, action], ...]
    updated_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]


class InboundMessage(Base):
    """Every inbound message, kept as received; the unique key drops channel re-deliveries."""

    __tablename__ = "inbound_messages"
    __table_args__ = (UniqueConstraint("channel", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(128))
    user_id: Mapped[str] = mapped_column(String(128))
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]


class TelegramUpdate(Base):
    """A Telegram update as the webhook received it, committed before the webhook answers;
    the worker handles it and sets ``handled_at`` (issue 15, item 3). The update_id key
    stores a re-delivery once."""

    __tablename__ = "telegram_updates"

    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    body: Mapped[dict[str, Any]] = mapped_column(default=dict)
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None] = mapped_column(index=True)


class WorkerLease(Base):
    """Work that one process at a time may do (the Telegram update worker): held by
    ``holder`` until ``expires_at``, renewed while it works, taken over once it lapses."""

    __tablename__ = "worker_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime]


# --- cases ------------------------------------------------------------------------------


class TicketCounter(Base):
    __tablename__ = "ticket_counters"

    prefix: Mapped[str] = mapped_column(String(32), primary_key=True)  # e.g. "YS-2026"
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    __tablename__ = "cases"
    # A deputy's open cases (routing's load count) and a grid's recent open cases of one
    # category (我也遇到): only what is open, so neither grows with the years of history.
    __table_args__ = (
        _partial("ix_cases_open_deputy", "case_open", "deputy_code"),
        _partial("ix_cases_open_grid", "case_open", "grid_code", "category", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket: Mapped[str] = mapped_column(String(32), unique=True)
    resident_id: Mapped[int] = mapped_column(ForeignKey("residents.id"), index=True)
    origin_identity_id: Mapped[int] = mapped_column(ForeignKey("chat_identities.id"))
    text: Mapped[str] = mapped_column(Text)
    text_digest: Mapped[str] = mapped_column(String(64), index=True)
    photos: Mapped[list[Any]] = mapped_column(default=list)
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    entry_code: Mapped[str | None] = mapped_column(String(64))
    grid_code: Mapped[str | None] = mapped_column(ForeignKey("grids.code"))
    station_code: Mapped[str | None] = mapped_column(ForeignKey("stations.code"), index=True)
    category: Mapped[str] = mapped_column(String(32), index=True)
    confidence: Mapped[float] = mapped_column(Float, default=0.0)
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    request_type: Mapped[str] = mapped_column(String(8), default="求助")
    status: Mapped[str] = mapped_column(String(16), index=True)
    deputy_code: Mapped[str | None] = mapped_column(ForeignKey("deputies.code"), index=True)
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"))
    created_at: Mapped[datetime] = mapped_column(index=True)
    accept_due_at: Mapped[datetime | None]
    answer_due_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    answered_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(Text)
    round: Mapped[int] = mapped_column(Integer, default=0)  # +1 each time it is reopened
    rating: Mapped[int | None] = mapped_column(Integer)  # 1..5, 5 = 非常满意; None = 未评价
    rated_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    # 代录: filed by a deputy for a resident met offline. Until a resident claims it with the
    # claim code (查询 TICKET 认领码), what the resident would hear goes to the recorder.
    source: Mapped[str] = mapped_column(String(16), default="online", server_default="online")
    recorded_by: Mapped[str | None] = mapped_column(String(32))
    resident_phone: Mapped[str | None] = mapped_column(String(40))
    claim_digest: Mapped[str | None] = mapped_column(String(64))
    claimed_at: Mapped[datetime | None]
    claim_failures: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    claim_locked_until: Mapped[datetime | None]

    resident: Mapped[Resident] = relationship()
    origin_identity: Mapped[ChatIdentity] = relationship()
    grid: Mapped[Grid | None] = relationship()
    station: Mapped[Station | None] = relationship()
    deputy: Mapped[Deputy | None] = relationship()
    department: Mapped[Department | None] = relationship()
    events: Mapped[list[CaseEvent]] = relationship(
        back_populates="case", order_by="CaseEvent.id", cascade="all, delete-orphan"
    )
    followers: Mapped[list[CaseFollower]] = relationship(
        order_by="CaseFollower.id", cascade="all, delete-orphan"
    )
    suggestion: Mapped[Suggestion | None] = relationship(back_populates="case", viewonly=True)


class CaseEvent(Base):
    """The append-only ledger (一事一记): one row per thing that happened to a case."""

    __tablename__ = "case_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32), index=True)  # the board: escalated
    actor: Mapped[str] = mapped_column(String(64))
    status_after: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")

    case: Mapped[Case] = relationship(back_populates="events")


class CaseFollower(Base):
    """A resident who reported the same problem and follows this case instead (我也遇到):
    told what the reporter is told, and counted for the deputy and the office."""

    __tablename__ = "case_followers"
    __table_args__ = (UniqueConstraint("case_id", "identity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("chat_identities.id"), index=True)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16), default="metoo")  # metoo | suggestion

    identity: Mapped[ChatIdentity] = relationship()


class CaseAlarm(Base):
    """A reminder or escalation due at an instant (already moved into 08:00–21:00)."""

    __tablename__ = "case_alarms"
    __table_args__ = (
        UniqueConstraint("case_id", "round", "kind"),
        _partial("ix_case_alarms_pending_due", "alarm_pending", "due_at", "case_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(32))  # e.g. accept_75, answer_head
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending|fired|dropped
    fired_at: Mapped[datetime | None]


class Survey(Base):
    """A question to the resident about a resolved case: the rating, or the 4-week recheck."""

    __tablename__ = "surveys"
    __table_args__ = (
        UniqueConstraint("case_id", "round", "kind"),
        _partial("ix_surveys_scheduled_ask", "survey_scheduled", "ask_at"),
        _partial("ix_surveys_open_remind", "survey_open", "remind_at"),
        _partial("ix_surveys_open_expires", "survey_open", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    round: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16))  # rating | recheck
    # scheduled → open → answered | expired
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    ask_at: Mapped[datetime]
    remind_at: Mapped[datetime | None]
    expires_at: Mapped[datetime]
    answer: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None]

    case: Mapped[Case] = relationship()


class DeputyInvite(Base):
    """A one-time link from the office that binds a chat account to a deputy."""

    __tablename__ = "deputy_invites"

    token: Mapped[str] = mapped_column(String(40), primary_key=True)
    deputy_code: Mapped[str] = mapped_column(ForeignKey("deputies.code"))
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_by: Mapped[str | None] = mapped_column(String(160))  # "channel:external id"


class HometownGroup(Base):
    """A "我为家乡建言献策" group chat, bound to its home station."""

    __tablename__ = "hometown_groups"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(128))
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"))
    # Bound by a deputy's code (绑定 D001): the group is that deputy's too (digests).
    deputy_code: Mapped[str | None] = mapped_column(ForeignKey("deputies.code"))
    bound_at: Mapped[datetime]
    bound_by: Mapped[str] = mapped_column(String(64), default="")  # deputy:D001, admin, office

    station: Mapped[Station] = relationship()
    deputy: Mapped[Deputy | None] = relationship()


class Suggestion(Base):
    """A hometown suggestion ``JY-YYYY-NNNNNN``; its history is its SuggestionEvents.

    ``status``: collected → merged | in_digest → answered (result B) | closed (A, C, D) |
    adopted (turned into a case). Hidden ones keep their status and leave every list.
    """

    __tablename__ = "suggestions"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("hometown_groups.id"), index=True)
    # The station it was collected for (a group may be re-bound later).
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"), index=True)
    author_id: Mapped[str] = mapped_column(String(128))
    author_identity_id: Mapped[int | None] = mapped_column(
        ForeignKey("chat_identities.id"), index=True
    )
    author_name: Mapped[str] = mapped_column(String(100), default="")
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(16), default="collected", index=True)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"), index=True)
    digested_at: Mapped[datetime | None]
    result: Mapped[str | None] = mapped_column(String(1))  # A | B | C | D
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(ForeignKey("deputies.code"))
    answered_at: Mapped[datetime | None]
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), unique=True)
    hidden_at: Mapped[datetime | None]
    hidden_reason: Mapped[str | None] = mapped_column(Text)

    group: Mapped[HometownGroup] = relationship()
    station: Mapped[Station] = relationship()
    author_identity: Mapped[ChatIdentity | None] = relationship()
    merged_into: Mapped[Suggestion | None] = relationship(
        remote_side="Suggestion.id", back_populates="repeats"
    )
    repeats: Mapped[list[Suggestion]] = relationship(
        back_populates="merged_into", order_by="Suggestion.id"
    )
    case: Mapped[Case | None] = relationship(back_populates="suggestion")
    supports: Mapped[list[Support]] = relationship(
        foreign_keys="Support.suggestion_id", order_by="Support.id", back_populates="suggestion"
    )
    events: Mapped[list[SuggestionEvent]] = relationship(
        order_by="SuggestionEvent.id", cascade="all, delete-orphan"
    )


class SuggestionEvent(Base):
    """The append-only ledger of a suggestion: one row per thing that happened to it."""

    __tablename__ = "suggestion_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id"), index=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    status_after: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")


class Support(Base):
    """One member's support (附议) of a suggestion, or a similar suggestion merged into it;
    the unique key is what makes a second support impossible."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("suggestion_id", "identity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(ForeignKey("suggestions.id"), index=True)
    identity_id: Mapped[int] = mapped_column(ForeignKey("chat_identities.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("hometown_groups.id"))
    # Set when the support is a merged suggestion of this member's.
    from_suggestion_id: Mapped[int | None] = mapped_column(ForeignKey("suggestions.id"))
    created_at: Mapped[datetime]

    suggestion: Mapped[Suggestion] = relationship(
        foreign_keys=[suggestion_id], back_populates="supports"
    )
    identity: Mapped[ChatIdentity] = relationship()


class WeChatWindow(Base):
    """A WeChat user's customer-service window: opened by their last action (48 hours), and
    how many customer-service messages it has carried (WeChat allows 5)."""

    __tablename__ = "wechat_windows"

    openid: Mapped[str] = mapped_column(String(128), primary_key=True)
    opened_at: Mapped[datetime]
    sent: Mapped[int] = mapped_column(Integer, default=0)


class QQReplyTarget(Base):
    """The last message (or event) a QQ chat sent us: what a passive reply may answer, within
    QQ's window (C2C 60 minutes, groups 5 minutes), at most 5 replies (``msg_seq`` 1–5)."""

    __tablename__ = "qq_reply_targets"

    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)  # "user:…" | "group:…"
    msg_id: Mapped[str | None] = mapped_column(String(128))
    event_id: Mapped[str | None] = mapped_column(String(128))  # FRIEND_ADD, GROUP_ADD_ROBOT…
    received_at: Mapped[datetime]
    replies: Mapped[int] = mapped_column(Integer, default=0)


class QQActiveSends(Base):
    """Active (unprompted) QQ messages to one chat in one month, against QQ's quota; ``refused``
    when QQ turned one down (no permission, quota spent): none is tried again that month."""

    __tablename__ = "qq_active_sends"

    chat_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # "2026-11"
    sent: Mapped[int] = mapped_column(Integer, default=0)
    refused: Mapped[bool] = mapped_column(Boolean, default=False)


class GroupBindCode(Base):
    """A one-time code a deputy (or office staff) asks for in a private chat and sends in a
    group to bind it: QQ gives a person a different id in every group, so a group cannot tell
    a deputy by their id."""

    __tablename__ = "group_bind_codes"

    code: Mapped[str] = mapped_column(String(12), primary_key=True)
    issued_to: Mapped[str] = mapped_column(String(64))  # "deputy:D001" | "office"
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    used_in: Mapped[str | None] = mapped_column(String(160))  # "channel:group chat id"


class SharedValue(Base):
    """A value every process shares, with an expiry: the WeChat access token."""

    __tablename__ = "shared_values"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime | None]


class JobRun(Base):
    """One row per run of a calendar job and period: a second scheduler finds it taken."""

    __tablename__ = "job_runs"

    job: Mapped[str] = mapped_column(String(32), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # e.g. 2026-12
    ran_at: Mapped[datetime]


# --- the duty record -------------------------------------------------------------------


class Reception(Base):
    """A station's reception day (进站接待): who receives residents, when."""

    __tablename__ = "receptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_code: Mapped[str] = mapped_column(ForeignKey("stations.code"))
    day: Mapped[date] = mapped_column(Date, index=True)
    starts: Mapped[str] = mapped_column(String(5))  # "09:00", local
    ends: Mapped[str] = mapped_column(String(5))
    deputies: Mapped[list[Any]] = mapped_column(default=list)  # deputy codes
    created_by: Mapped[str] = mapped_column(String(64))  # office | deputy:D001
    created_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]

    station: Mapped[Station] = relationship()


class Observation(Base):
    """社情民意: what a deputy reports that is not a case."""

    __tablename__ = "observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_code: Mapped[str] = mapped_column(ForeignKey("deputies.code"), index=True)
    text: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(32))
    keywords: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(index=True)

    deputy: Mapped[Deputy] = relationship()


class PointsEntry(Base):
    """One 履职积分 entry, derived from one ledger row (``source`` names it, e.g.
    ``case_event:12``): recomputing from the ledger gives the same rows."""

    __tablename__ = "points_entries"
    __table_args__ = (UniqueConstraint("source", "deputy_code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deputy_code: Mapped[str] = mapped_column(ForeignKey("deputies.code"), index=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    at: Mapped[datetime]
    rule: Mapped[str] = mapped_column(String(16))
    delta: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))


# --- the outbox -------------------------------------------------------------------------


class OutboxMessage(Base):
    """A message to send, written in the same transaction as the change that caused it.

    ``status``: pending → sending → sent, or failed; ``held`` while the recipient has no
    bound chat yet (released when they bind).
    """

    __tablename__ = "outbox"
    __table_args__ = (
        _partial("ix_outbox_pending", "outbox_pending", "id"),
        _partial("ix_outbox_unsent_chat", "outbox_unsent", "channel", "chat_id", "id"),
        _partial("ix_outbox_sending", "outbox_sending", "claimed_at"),
        _partial("ix_outbox_sent", "outbox_sent", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(64), index=True)  # "deputy:D001", "office", …
    channel: Mapped[str | None] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[Any]] = mapped_column(default=list)
    # What the message is, for channels that must treat some kinds specially (WeChat's
    # template messages): assignment, result, survey; "" for the rest.
    kind: Mapped[str] = mapped_column(String(16), default="")
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[str] = mapped_column(String(16), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


# --- office staff (the web dashboard) ---------------------------------------------------


class StaffAccount(Base):
    """A person of the office (``office``) or a station head (``station-head``, one station)
    who logs in to the web dashboard. ``epoch`` is bumped by log-out and by a new password:
    every session cookie signed before then stops working."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # office | station-head
    station_code: Mapped[str | None] = mapped_column(ForeignKey("stations.code"))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    epoch: Mapped[int] = mapped_column(Integer, default=0)

    station: Mapped[Station | None] = relationship()


class StaffToken(Base):
    """A one-time set-password link; only the SHA-256 of the token is kept."""

    __tablename__ = "staff_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_accounts.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class OutboxArchive(Base):
    """Sent outbox rows older than the county's retention (``outbox_retention_days``), moved
    out of the hot table by the daily retention job; same columns, and when it moved them."""

    __tablename__ = "outbox_archive"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    recipient: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str | None] = mapped_column(String(16))
    chat_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    choices: Mapped[list[Any]] = mapped_column(default=list)
    kind: Mapped[str] = mapped_column(String(16), default="")
    case_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    archived_at: Mapped[datetime]
