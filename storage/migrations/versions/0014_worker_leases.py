"""worker leases, open-case indexes

One Telegram update worker at a time: two ``run worker`` processes would otherwise handle
the stored webhook updates side by side, and one chat's updates out of order. Partial
indexes on open cases: routing's count of a deputy's open cases and the 我也遇到 search
read only what is open, not the years of closed history (issue 15).

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-04 03:00:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OPEN = "status IN ('submitted', 'assigned', 'accepted', 'transferred', 'answered', 'reopened')"


def upgrade() -> None:
    where = sa.text(OPEN)
    op.create_index(
        "ix_cases_open_deputy",
        "cases",
        ["deputy_code"],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_index(
        "ix_cases_open_grid",
        "cases",
        ["grid_code", "category", "created_at"],
        sqlite_where=where,
        postgresql_where=where,
    )
    op.create_table(
        "worker_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("worker_leases")
    op.drop_index("ix_cases_open_grid", table_name="cases")
    op.drop_index("ix_cases_open_deputy", table_name="cases")
