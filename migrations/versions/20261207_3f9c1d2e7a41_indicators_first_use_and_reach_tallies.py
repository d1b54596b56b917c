"""indicators: booklets' first use (time, venue) and the purge's anonymous reach tallies

Revision ID: 3f9c1d2e7a41
Revises: ed1482291af5
Create Date: 2026-12-07 08:10:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = '3f9c1d2e7a41'
down_revision = "ed1482291af5"
branch_labels = None
depends_on = None

# the first live redemption of each booklet, for the booklets already used
FIRST_USE = """
UPDATE booklets SET
    first_used_at = (
        SELECT min(r.redeemed_at) FROM redemption_lines l
        JOIN redemptions r ON r.id = l.redemption_id
        JOIN vouchers v ON v.id = l.voucher_id
        WHERE v.booklet_id = booklets.id AND l.undone_at IS NULL),
    first_used_venue_id = (
        SELECT r.venue_id FROM redemption_lines l
        JOIN redemptions r ON r.id = l.redemption_id
        JOIN vouchers v ON v.id = l.voucher_id
        WHERE v.booklet_id = booklets.id AND l.undone_at IS NULL
        ORDER BY r.redeemed_at, r.id LIMIT 1)
WHERE vouchers_redeemed > 0
"""


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    op.create_table('reach_tallies',
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('structure_id', sa.Integer(), nullable=False),
    sa.Column('departement_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('dimension', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=40), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['departement_id'], ['departements.id'], name=op.f('fk_reach_tallies_departement_id_departements')),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_reach_tallies_programme_id_programmes')),
    sa.ForeignKeyConstraint(['structure_id'], ['structures.id'], name=op.f('fk_reach_tallies_structure_id_structures')),
    sa.PrimaryKeyConstraint('programme_id', 'structure_id', 'month', 'dimension', 'value', name=op.f('pk_reach_tallies'))
    )
    with op.batch_alter_table('booklets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('first_used_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('first_used_venue_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_booklets_first_used_venue_id_venues'), 'venues', ['first_used_venue_id'], ['id'])
    op.execute(FIRST_USE)


def downgrade() -> None:
    """Revert this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('booklets', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_booklets_first_used_venue_id_venues'), type_='foreignkey')
        batch_op.drop_column('first_used_venue_id')
        batch_op.drop_column('first_used_at')

    op.drop_table('reach_tallies')
