"""webhook path: what the hot intake path needs

The webhook commits the raw Telegram update and answers; a worker handles it
(issue 15, item 3).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_updates",
        sa.Column("update_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("update_id"),
    )
    op.create_index(
        "ix_telegram_updates_handled_at", "telegram_updates", ["handled_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_telegram_updates_handled_at", table_name="telegram_updates")
    op.drop_table("telegram_updates")
