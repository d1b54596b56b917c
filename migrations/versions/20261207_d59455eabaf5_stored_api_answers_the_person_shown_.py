"""stored API answers: the person shown, expiry index

``purge`` deletes the stored answers showing a person it pseudonymises (by
``beneficiary_id``) and every answer past ``IDEMPOTENCY_TTL_HOURS`` (by ``created_at``).
Answers stored before this revision name no person: they expire within the lifetime.

Revision ID: d59455eabaf5
Revises: 806a9e89309c
Create Date: 2026-12-07 02:16:01.554679

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd59455eabaf5'
down_revision = '806a9e89309c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('idempotent_responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('beneficiary_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_idempotent_responses_beneficiary_id'), ['beneficiary_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_idempotent_responses_created_at'), ['created_at'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_idempotent_responses_beneficiary_id_beneficiaries'), 'beneficiaries', ['beneficiary_id'], ['id'], ondelete='CASCADE')


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('idempotent_responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_idempotent_responses_beneficiary_id_beneficiaries'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_idempotent_responses_created_at'))
        batch_op.drop_index(batch_op.f('ix_idempotent_responses_beneficiary_id'))
        batch_op.drop_column('beneficiary_id')
