"""office dashboard: staff accounts and sessions

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["station_code"], ["stations.code"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_id"], ["staff_accounts.id"]),
        sa.PrimaryKeyConstraint("digest"),
    )
    op.create_index("ix_staff_tokens_staff_id", "staff_tokens", ["staff_id"])
    # The dashboard's case list filters by station, date and category over 100,000 cases.
    op.create_index("ix_cases_station_code", "cases", ["station_code"])
    op.create_index("ix_cases_created_at", "cases", ["created_at"])
    op.create_index("ix_cases_category", "cases", ["category"])
    # The today board's 督办/通报 list looks cases up by their escalation rows.
    op.create_index("ix_case_events_kind", "case_events", ["kind"])


def downgrade() -> None:
    op.drop_index("ix_case_events_kind", table_name="case_events")
    op.drop_index("ix_cases_category", table_name="cases")
    op.drop_index("ix_cases_created_at", table_name="cases")
    op.drop_index("ix_cases_station_code", table_name="cases")
    op.drop_index("ix_staff_tokens_staff_id", table_name="staff_tokens")
    op.drop_table("staff_tokens")
    op.drop_table("staff_accounts")
