"""replacement vouchers link the revoked vouchers they carry

Revision ID: b1c3d58bc45e
Revises: 806a9e89309c
Create Date: 2026-12-07 02:14:27.650900

A voucher of a replacement booklet names the revoked voucher whose value it carries.
The link is unique (a revoked voucher is replaced at most once) and its foreign key
includes the value (a replacement voucher has its source's value), so the database
itself refuses a replacement that would create value. Replacements made before this
revision keep no link (their vouchers stay as they were issued).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c3d58bc45e'
down_revision = '806a9e89309c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_voucher_id', sa.Integer(), nullable=True))
        # the target of the foreign key below, created first
        batch_op.create_unique_constraint(batch_op.f('uq_vouchers_id_value_cents'), ['id', 'value_cents'])
        batch_op.create_unique_constraint(batch_op.f('uq_vouchers_replaces_voucher_id'), ['replaces_voucher_id'])
        batch_op.create_foreign_key(batch_op.f('fk_vouchers_replaces_voucher_id_vouchers'), 'vouchers', ['replaces_voucher_id', 'value_cents'], ['id', 'value_cents'])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vouchers_replaces_voucher_id_vouchers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_vouchers_replaces_voucher_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_vouchers_id_value_cents'), type_='unique')
        batch_op.drop_column('replaces_voucher_id')
