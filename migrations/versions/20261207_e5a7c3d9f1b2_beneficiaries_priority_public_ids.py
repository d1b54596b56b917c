"""beneficiaries: a copy of the priority publics ticked, for the indicators

The ids of each person's priority publics, sorted and joined by commas, written by the
beneficiary services with the links from now on (beneficiaries/priority_key.py); filled
here from the links already recorded.

Revision ID: e5a7c3d9f1b2
Revises: 4c8e2a9d1f37
Create Date: 2026-12-07 12:20:00

"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = 'e5a7c3d9f1b2'
down_revision = '4c8e2a9d1f37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_public_ids', sa.String(length=400),
                                      nullable=False, server_default=sa.text("''")))
    connection = op.get_bind()
    ticked: defaultdict[int, list[int]] = defaultdict(list)
    for person_id, public_id in connection.execute(sa.text(
            "SELECT beneficiary_id, priority_public_id FROM beneficiary_priority_publics")):
        ticked[person_id].append(public_id)
    if ticked:
        connection.execute(
            sa.text("UPDATE beneficiaries SET priority_public_ids = :key WHERE id = :p_id"),
            [{"p_id": person_id, "key": ",".join(str(i) for i in sorted(set(ids)))}
             for person_id, ids in ticked.items()])


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_column('priority_public_ids')
