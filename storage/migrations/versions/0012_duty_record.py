"""duty record: receptions, offline cases, 社情民意, points

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03 19:30:00.000000

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | Sequence[str] | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("counties") as batch:
        batch.add_column(sa.Column("duties", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("points", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("stars", sa.Integer(), nullable=True))
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("source", sa.String(length=16), nullable=False, server_default="online")
        )
        batch.add_column(sa.Column("recorded_by", sa.String(length=32), nullable=True))
        batch.add_column(sa.Column("resident_phone", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("claim_digest", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("claimed_at", sa.DateTime(), nullable=True))
        batch.add_column(
            sa.Column("claim_failures", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("claim_locked_until", sa.DateTime(), nullable=True))
    op.create_table(
        "receptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_code", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("starts", sa.String(length=5), nullable=False),
        sa.Column("ends", sa.String(length=5), nullable=False),
        sa.Column("deputies", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("reminded_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["station_code"], ["stations.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_receptions_day", "receptions", ["day"])
    op.create_table(
        "observations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_code", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["deputy_code"], ["deputies.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_observations_deputy_code", "observations", ["deputy_code"])
    op.create_index("ix_observations_created_at", "observations", ["created_at"])
    op.create_table(
        "points_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("deputy_code", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["deputy_code"], ["deputies.code"]),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source", "deputy_code"),
    )
    op.create_index("ix_points_entries_year", "points_entries", ["year"])
    op.create_index("ix_points_entries_deputy_code", "points_entries", ["deputy_code"])


def downgrade() -> None:
    op.drop_table("points_entries")
    op.drop_table("observations")
    op.drop_table("receptions")
    with op.batch_alter_table("cases") as batch:
        for column in (
            "claim_locked_until", "claim_failures", "claimed_at", "claim_digest",
            "resident_phone", "recorded_by", "source",
        ):  # fmt: skip
            batch.drop_column(column)
    with op.batch_alter_table("counties") as batch:
        for column in ("stars", "points", "duties"):
            batch.drop_column(column)
