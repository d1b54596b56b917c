"""programme eligibility (territory, minimum age) and the recorded override on a person

Revision ID: e1f0a2b3c4d5
Revises: b1c3d58bc45e
Create Date: 2026-12-07 03:50:00

"""
import sqlalchemy as sa
from alembic import op

revision = "e1f0a2b3c4d5"
down_revision = "b1c3d58bc45e"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eligible_postal_codes", sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
        batch_op.add_column(sa.Column("minimum_age", sa.Integer(), nullable=True))
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("eligibility_override_reason", sa.Text(), nullable=True))


def downgrade():
    with op.batch_alter_table("beneficiaries", schema=None) as batch_op:
        batch_op.drop_column("eligibility_override_reason")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_column("minimum_age")
        batch_op.drop_column("eligible_postal_codes")
