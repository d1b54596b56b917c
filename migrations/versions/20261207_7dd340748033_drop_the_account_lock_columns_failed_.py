"""drop the account lock columns: failed logins are throttled per address

Revision ID: 7dd340748033
Revises: d59455eabaf5
Create Date: 2026-12-07 02:33:13.502859

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7dd340748033'
down_revision = 'd59455eabaf5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL).

    Failed logins are now counted per (account, address) and per address in the
    rate-limit storage (passnum.auth.throttle), never on the account: the account-wide
    lock and its columns go.
    """
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('locked_until')
        batch_op.drop_column('failed_login_count')


def downgrade() -> None:
    """Revert this revision (every account unlocked, no failure counted)."""
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('failed_login_count', sa.Integer(), nullable=False,
                                      server_default='0'))
        batch_op.add_column(sa.Column('locked_until', sa.DateTime(timezone=True),
                                      nullable=True))
