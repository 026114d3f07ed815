"""hometown suggestions: numbers, lifecycle, ledger, supports, case followers

Suggestions get a number (JY-YYYY-NNNNNN from the ticket counters), the station they were
collected for, their author's chat identity, a status and result, and an event ledger;
supports are one row per member and suggestion (the unique key dedupes); cases get
followers (我也遇到); groups remember the deputy they were bound by; chat identities first
seen in a group are marked, since the bot cannot write to them in private.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24 10:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0007'
down_revision: Union[str, Sequence[str], None] = '0006'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    with op.batch_alter_table('chat_identities', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('group_only', sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # Before this revision every private message made a dialog state for its chat; a
    # resident's account without one was only ever seen in a group.
    op.execute(
        "UPDATE chat_identities SET group_only = true WHERE role = 'resident' AND NOT EXISTS ("
        "SELECT 1 FROM dialog_states d WHERE d.channel = chat_identities.channel "
        "AND d.chat_id = chat_identities.external_id)"
    )

    # Not a batch (table copy) on SQLite: suggestions already refer to hometown_groups, so
    # dropping its old copy would break their foreign keys. SQLite adds a column with an
    # inline REFERENCES; other databases add the constraint.
    if op.get_bind().dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE hometown_groups ADD COLUMN deputy_code VARCHAR(32) "
            "REFERENCES deputies (code)"
        )
    else:
        op.add_column(
            'hometown_groups',
            sa.Column(
                'deputy_code',
                sa.String(length=32),
                sa.ForeignKey('deputies.code', name='fk_hometown_groups_deputy_code'),
                nullable=True,
            ),
        )
    op.add_column(
        'hometown_groups',
        sa.Column('bound_by', sa.String(length=64), nullable=False, server_default=''),
    )

    op.create_table('case_followers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], ),
    sa.ForeignKeyConstraint(['identity_id'], ['chat_identities.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('case_id', 'identity_id')
    )
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_followers_case_id'), ['case_id'], unique=False)
        batch_op.create_index(
            batch_op.f('ix_case_followers_identity_id'), ['identity_id'], unique=False
        )

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('number', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('station_code', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('author_identity_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column('status', sa.String(length=16), nullable=False, server_default='collected')
        )
        batch_op.add_column(sa.Column('merged_into_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('digested_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('result', sa.String(length=1), nullable=True))
        batch_op.add_column(sa.Column('answer', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('answered_by', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('answered_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('case_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('hidden_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('hidden_reason', sa.Text(), nullable=True))

    _number_existing_suggestions()

    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.String(length=32), nullable=False)
        batch_op.alter_column('station_code', existing_type=sa.String(length=32), nullable=False)
        batch_op.create_unique_constraint('uq_suggestions_number', ['number'])
        batch_op.create_unique_constraint('uq_suggestions_case_id', ['case_id'])
        batch_op.create_foreign_key(
            'fk_suggestions_station_code', 'stations', ['station_code'], ['code']
        )
        batch_op.create_foreign_key(
            'fk_suggestions_author_identity_id', 'chat_identities', ['author_identity_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_suggestions_merged_into_id', 'suggestions', ['merged_into_id'], ['id']
        )
        batch_op.create_foreign_key(
            'fk_suggestions_answered_by', 'deputies', ['answered_by'], ['code']
        )
        batch_op.create_foreign_key('fk_suggestions_case_id', 'cases', ['case_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_suggestions_station_code'), ['station_code'])
        batch_op.create_index(
            batch_op.f('ix_suggestions_author_identity_id'), ['author_identity_id']
        )
        batch_op.create_index(batch_op.f('ix_suggestions_status'), ['status'])
        batch_op.create_index(batch_op.f('ix_suggestions_merged_into_id'), ['merged_into_id'])

    op.create_table('suggestion_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('status_after', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_suggestion_events_suggestion_id'), ['suggestion_id'], unique=False
        )

    op.create_table('supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('suggestion_id', sa.Integer(), nullable=False),
    sa.Column('identity_id', sa.Integer(), nullable=False),
    sa.Column('group_id', sa.Integer(), nullable=True),
    sa.Column('from_suggestion_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['suggestion_id'], ['suggestions.id'], ),
    sa.ForeignKeyConstraint(['identity_id'], ['chat_identities.id'], ),
    sa.ForeignKeyConstraint(['group_id'], ['hometown_groups.id'], ),
    sa.ForeignKeyConstraint(['from_suggestion_id'], ['suggestions.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('suggestion_id', 'identity_id')
    )
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supports_suggestion_id'), ['suggestion_id'])
        batch_op.create_index(batch_op.f('ix_supports_identity_id'), ['identity_id'])


def _number_existing_suggestions() -> None:
    """Suggestions collected before numbers existed get them now, in the order they came,
    from the same per-year counters new ones use (prefix ``JY-YYYY``, year in UTC)."""
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT s.id, s.author_id, s.created_at, g.station_code, g.channel "
            "FROM suggestions s JOIN hometown_groups g ON g.id = s.group_id ORDER BY s.id"
        )
    ).all()
    counters: dict[str, int] = {}
    for row in rows:
        created = row.created_at
        year = created.year if hasattr(created, 'year') else int(str(created)[:4])
        prefix = f"JY-{year}"
        counters[prefix] = counters.get(prefix, 0) + 1
        identity = bind.execute(
            sa.text(
                "SELECT id FROM chat_identities WHERE channel = :channel AND external_id = :external"
            ),
            {"channel": row.channel, "external": row.author_id},
        ).scalar()
        bind.execute(
            sa.text(
                "UPDATE suggestions SET number = :number, station_code = :station, "
                "author_identity_id = :identity WHERE id = :id"
            ),
            {
                "number": f"{prefix}-{counters[prefix]:06d}",
                "station": row.station_code,
                "identity": identity,
                "id": row.id,
            },
        )
    for prefix, last in counters.items():
        bind.execute(
            sa.text("INSERT INTO ticket_counters (prefix, last) VALUES (:prefix, :last)"),
            {"prefix": prefix, "last": last},
        )


def downgrade() -> None:
    with op.batch_alter_table('supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supports_identity_id'))
        batch_op.drop_index(batch_op.f('ix_supports_suggestion_id'))
    op.drop_table('supports')
    with op.batch_alter_table('suggestion_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestion_events_suggestion_id'))
    op.drop_table('suggestion_events')
    with op.batch_alter_table('suggestions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_suggestions_merged_into_id'))
        batch_op.drop_index(batch_op.f('ix_suggestions_status'))
        batch_op.drop_index(batch_op.f('ix_suggestions_author_identity_id'))
        batch_op.drop_index(batch_op.f('ix_suggestions_station_code'))
        batch_op.drop_constraint('fk_suggestions_case_id', type_='foreignkey')
        batch_op.drop_constraint('fk_suggestions_answered_by', type_='foreignkey')
        batch_op.drop_constraint('fk_suggestions_merged_into_id', type_='foreignkey')
        batch_op.drop_constraint('fk_suggestions_author_identity_id', type_='foreignkey')
        batch_op.drop_constraint('fk_suggestions_station_code', type_='foreignkey')
        batch_op.drop_constraint('uq_suggestions_case_id', type_='unique')
        batch_op.drop_constraint('uq_suggestions_number', type_='unique')
        for column in (
            'hidden_reason', 'hidden_at', 'case_id', 'answered_at', 'answered_by', 'answer',
            'result', 'digested_at', 'merged_into_id', 'status', 'author_identity_id',
            'station_code', 'number',
        ):
            batch_op.drop_column(column)
    op.execute("DELETE FROM ticket_counters WHERE prefix LIKE 'JY-%'")
    with op.batch_alter_table('case_followers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_followers_identity_id'))
        batch_op.drop_index(batch_op.f('ix_case_followers_case_id'))
    op.drop_table('case_followers')
    with op.batch_alter_table('hometown_groups', schema=None) as batch_op:
        batch_op.drop_column('bound_by')
        batch_op.drop_column('deputy_code')
    with op.batch_alter_table('chat_identities', schema=None) as batch_op:
        batch_op.drop_column('group_only')
