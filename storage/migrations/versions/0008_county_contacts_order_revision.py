"""county contacts, township order, department aliases, county revision

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-24 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0008'
down_revision: Union[str, Sequence[str], None] = '0007'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revision', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('hours', sa.String(length=200), nullable=True))
    with op.batch_alter_table('deputies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=40), nullable=True))
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('departments', schema=None) as batch_op:
        batch_op.drop_column('aliases')
    with op.batch_alter_table('deputies', schema=None) as batch_op:
        batch_op.drop_column('phone')
    with op.batch_alter_table('stations', schema=None) as batch_op:
        batch_op.drop_column('hours')
        batch_op.drop_column('address')
        batch_op.drop_column('phone')
    with op.batch_alter_table('townships', schema=None) as batch_op:
        batch_op.drop_column('position')
    with op.batch_alter_table('counties', schema=None) as batch_op:
        batch_op.drop_column('revision')
