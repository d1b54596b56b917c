"""session version on accounts: raising it ends every session of the account

Revision ID: 72788407dcd5
Revises: 0be703f327ec
Create Date: 2026-12-07 02:14:30.624883

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '72788407dcd5'
down_revision = '0be703f327ec'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
