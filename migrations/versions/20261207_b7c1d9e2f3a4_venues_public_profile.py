"""venues: the public profile in the national standard's terms

The lists hold the codes of ``venues/vocabulary.py``; the free text the application form
asked for ("services proposés") becomes the start of the long presentation.

Revision ID: b7c1d9e2f3a4
Revises: ebee74dfce70
Create Date: 2026-12-07 11:20:00

"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = 'b7c1d9e2f3a4'
down_revision = 'ebee74dfce70'
branch_labels = None
depends_on = None

TEXTS = (("address_complement", sa.String(length=160)), ("opening_hours", sa.Text()),
         ("email", sa.String(length=254)), ("website", sa.String(length=300)),
         ("booking_url", sa.String(length=300)), ("acceslibre_url", sa.String(length=300)),
         ("summary", sa.String(length=280)), ("description", sa.Text()),
         ("other_labels", sa.Text()))
LISTS = ("typologies", "mediation_services", "specific_publics", "specific_support",
         "national_programmes", "labels", "access_modes", "support_modes")


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('venues', schema=None) as batch_op:
        for name, type_ in TEXTS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=sa.text("''")))
        for name in LISTS:
            batch_op.add_column(sa.Column(name, sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False,
                                          server_default=sa.text("'[]'")))
        batch_op.add_column(sa.Column('profile_updated_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE venues SET description = services WHERE services <> ''")


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('venues', schema=None) as batch_op:
        batch_op.drop_column('profile_updated_at')
        for name in reversed(LISTS):
            batch_op.drop_column(name)
        for name, _type in reversed(TEXTS):
            batch_op.drop_column(name)
