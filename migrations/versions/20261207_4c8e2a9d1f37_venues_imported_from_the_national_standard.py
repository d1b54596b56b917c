"""venues imported from a file of the national standard

``venues.import_ref`` holds the source file's ``id`` (unique: the same place is never
imported twice) and ``import_source`` its ``source``; ``venue_import_files`` keeps a
file between its dry run and its import (one user's, under a token's hash).

Revision ID: 4c8e2a9d1f37
Revises: c4e8a1f05b37
Create Date: 2026-12-07 11:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = '4c8e2a9d1f37'
down_revision = 'c4e8a1f05b37'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_ref', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('import_source', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_venues_import_ref'), ['import_ref'])
    op.create_table('venue_import_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('departement_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['departement_id'], ['departements.id'], name=op.f('fk_venue_import_files_departement_id_departements')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_venue_import_files_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_venue_import_files')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_venue_import_files_token_hash'))
    )
    with op.batch_alter_table('venue_import_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_venue_import_files_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('venue_import_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_venue_import_files_user_id'))
    op.drop_table('venue_import_files')
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_venues_import_ref'), type_='unique')
        batch_op.drop_column('import_source')
        batch_op.drop_column('import_ref')
