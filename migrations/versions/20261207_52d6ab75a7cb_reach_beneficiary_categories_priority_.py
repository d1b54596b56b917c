"""reach: beneficiary categories, priority publics, venue position, workshop bookings

Revision ID: 52d6ab75a7cb
Revises: e1f0a2b3c4d5
Create Date: 2026-12-07 07:46:22.775529

"""
import sqlalchemy as sa
from alembic import op

revision = '52d6ab75a7cb'
down_revision = 'e1f0a2b3c4d5'
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    op.create_table('priority_publics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('programme_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('label', sa.String(length=160), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('is_active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['programme_id'], ['programmes.id'], name=op.f('fk_priority_publics_programme_id_programmes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_priority_publics')),
    sa.UniqueConstraint('programme_id', 'code', name=op.f('uq_priority_publics_programme_id_code'))
    )
    op.create_table('beneficiary_priority_publics',
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('priority_public_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'], name=op.f('fk_beneficiary_priority_publics_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['priority_public_id'], ['priority_publics.id'], name=op.f('fk_beneficiary_priority_publics_priority_public_id_priority_publics')),
    sa.PrimaryKeyConstraint('beneficiary_id', 'priority_public_id', name=op.f('pk_beneficiary_priority_publics'))
    )
    with op.batch_alter_table('beneficiary_priority_publics', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_beneficiary_priority_publics_priority_public_id'), ['priority_public_id'], unique=False)

    op.create_table('workshop_bookings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('workshop_id', sa.Integer(), nullable=False),
    sa.Column('beneficiary_id', sa.Integer(), nullable=False),
    sa.Column('booklet_id', sa.Integer(), nullable=True),
    sa.Column('booked_by_id', sa.Integer(), nullable=True),
    sa.Column('booked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('attended_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'], name=op.f('fk_workshop_bookings_beneficiary_id_beneficiaries')),
    sa.ForeignKeyConstraint(['booked_by_id'], ['users.id'], name=op.f('fk_workshop_bookings_booked_by_id_users')),
    sa.ForeignKeyConstraint(['booklet_id'], ['booklets.id'], name=op.f('fk_workshop_bookings_booklet_id_booklets')),
    sa.ForeignKeyConstraint(['workshop_id'], ['workshops.id'], name=op.f('fk_workshop_bookings_workshop_id_workshops')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_workshop_bookings')),
    sa.UniqueConstraint('workshop_id', 'beneficiary_id', name=op.f('uq_workshop_bookings_workshop_id_beneficiary_id'))
    )
    with op.batch_alter_table('workshop_bookings', schema=None) as batch_op:
        batch_op.create_index('ix_workshop_bookings_beneficiary_id', ['beneficiary_id'], unique=False)

    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gender', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('social_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('commune_insee', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('priority_area', sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column('messages_consent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_beneficiaries_commune_insee'), ['commune_insee'], unique=False)
        batch_op.create_check_constraint("gender_known", "gender IN ('female', 'male')")
        batch_op.create_check_constraint(
            "social_status_known",
            "social_status IN ('in_school', 'unemployed', 'employed', 'retired')")
        batch_op.create_check_constraint("priority_area_known",
                                         "priority_area IN ('yes', 'no', 'unknown')")

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('priority_target_percent', sa.Integer(), nullable=True))
        batch_op.create_check_constraint("priority_target_percent",
                                         "priority_target_percent BETWEEN 0 AND 100")

    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.add_column(sa.Column('commune_insee', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('longitude', sa.Float(), nullable=True))



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('longitude')
        batch_op.drop_column('latitude')
        batch_op.drop_column('commune_insee')

    with op.batch_alter_table('programmes', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_programmes_priority_target_percent'), type_='check')
        batch_op.drop_column('priority_target_percent')

    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_beneficiaries_priority_area_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_beneficiaries_social_status_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_beneficiaries_gender_known'), type_='check')
        batch_op.drop_index(batch_op.f('ix_beneficiaries_commune_insee'))
        batch_op.drop_column('messages_consent_at')
        batch_op.drop_column('priority_area')
        batch_op.drop_column('commune_insee')
        batch_op.drop_column('social_status')
        batch_op.drop_column('gender')

    with op.batch_alter_table('workshop_bookings', schema=None) as batch_op:
        batch_op.drop_index('ix_workshop_bookings_beneficiary_id')

    op.drop_table('workshop_bookings')
    with op.batch_alter_table('beneficiary_priority_publics', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_beneficiary_priority_publics_priority_public_id'))

    op.drop_table('beneficiary_priority_publics')
    op.drop_table('priority_publics')
