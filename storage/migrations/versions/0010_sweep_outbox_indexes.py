"""sweep and outbox: partial indexes on what is due, outbox history

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written out here, not imported from storage.models: a migration must outlive the models.
# (name, table, columns, predicate)
PARTIAL = (
    ("ix_case_alarms_pending_due", "case_alarms", ["due_at", "case_id"], "status = 'pending'"),
    (
        "ix_dialog_states_expiring",
        "dialog_states",
        ["expires_at"],
        "expires_at IS NOT NULL AND state <> 'expired'",
    ),
    ("ix_surveys_scheduled_ask", "surveys", ["ask_at"], "status = 'scheduled'"),
    ("ix_surveys_open_remind", "surveys", ["remind_at"], "status = 'open'"),
    ("ix_surveys_open_expires", "surveys", ["expires_at"], "status = 'open'"),
    ("ix_outbox_pending", "outbox", ["id"], "status = 'pending'"),
    (
        "ix_outbox_unsent_chat",
        "outbox",
        ["channel", "chat_id", "id"],
        "status IN ('pending', 'sending')",
    ),
    ("ix_outbox_sending", "outbox", ["claimed_at"], "status = 'sending'"),
    ("ix_outbox_sent", "outbox", ["sent_at"], "status = 'sent'"),
)


def upgrade() -> None:
    # Full indexes on due times cover the whole history: the sweep's range "due <= now"
    # would walk every alarm that ever fired. The partial ones hold only what is waiting.
    op.drop_index("ix_case_alarms_due_at", table_name="case_alarms")
    op.drop_index("ix_dialog_states_expires_at", table_name="dialog_states")
    for name, table, columns, where in PARTIAL:
        op.create_index(
            name,
            table,
            columns,
            sqlite_where=sa.text(where),
            postgresql_where=sa.text(where),
        )
    op.create_table(
        "outbox_archive",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=True),
        sa.Column("chat_id", sa.String(length=128), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("not_before", sa.DateTime(), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("archived_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("outbox_archive")
    for name, table, _columns, _where in reversed(PARTIAL):
        op.drop_index(name, table_name=table)
    op.create_index("ix_dialog_states_expires_at", "dialog_states", ["expires_at"])
    op.create_index("ix_case_alarms_due_at", "case_alarms", ["due_at"])
