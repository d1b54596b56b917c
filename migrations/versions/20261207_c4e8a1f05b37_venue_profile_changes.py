"""venues: profile changes proposed by venue agents; the free-text services retired

A venue agent's edit of the public profile waits in ``venue_profile_changes`` until a
manager approves or refuses it. The application form's free text (``venues.services``)
was copied into ``description`` by b7c1d9e2f3a4 and is dropped; a downgrade brings the
column back from ``description``.

Revision ID: c4e8a1f05b37
Revises: c4e8a1f2b9d6
Create Date: 2026-12-07 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c4e8a1f05b37'
down_revision = 'c4e8a1f2b9d6'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    op.create_table(
        'venue_profile_changes',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('venue_id', sa.Integer(), nullable=False),
        sa.Column('values', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('submitted_by_id', sa.Integer(), nullable=True),
        sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'refused')",
                           name=op.f('ck_venue_profile_changes_status_known')),
        sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'],
                                name=op.f('fk_venue_profile_changes_decided_by_id_users')),
        sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'],
                                name=op.f('fk_venue_profile_changes_submitted_by_id_users')),
        sa.ForeignKeyConstraint(['venue_id'], ['venues.id'],
                                name=op.f('fk_venue_profile_changes_venue_id_venues')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_profile_changes')),
    )
    with op.batch_alter_table('venue_profile_changes', schema=None) as batch_op:
        batch_op.create_index('ix_venue_profile_changes_status', ['status'], unique=False)
        batch_op.create_index('ix_venue_profile_changes_venue_id_submitted_at',
                              ['venue_id', 'submitted_at'], unique=False)
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('services')


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('services', sa.Text(), nullable=False,
                                      server_default=sa.text("''")))
    op.execute("UPDATE venues SET services = description")
    with op.batch_alter_table('venue_profile_changes', schema=None) as batch_op:
        batch_op.drop_index('ix_venue_profile_changes_venue_id_submitted_at')
        batch_op.drop_index('ix_venue_profile_changes_status')
    op.drop_table('venue_profile_changes')
