"""beneficiaries: the stop link's opaque code

The code is written with the first message to the person (messages/optout.py): the
people already registered get theirs with their next message.

Revision ID: ebee74dfce70
Revises: 3f9c1d2e7a41
Create Date: 2026-12-07 09:18:46.491710

"""
import sqlalchemy as sa
from alembic import op

revision = 'ebee74dfce70'
down_revision = '3f9c1d2e7a41'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('messages_stop_code', sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_beneficiaries_messages_stop_code'),
                                          ['messages_stop_code'])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_beneficiaries_messages_stop_code'), type_='unique')
        batch_op.drop_column('messages_stop_code')
