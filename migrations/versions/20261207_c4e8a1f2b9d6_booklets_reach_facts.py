"""booklets: the day each reached its holder and the holder's age that day

Written by the issue and the hand-out from now on (booklets/reach_facts.py); filled
here for the booklets already issued. The indicators read them instead of working out a
Paris day and an age for every booklet on every reading.

Revision ID: c4e8a1f2b9d6
Revises: b7c1d9e2f3a4
Create Date: 2026-12-07 11:40:00

"""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = 'c4e8a1f2b9d6'
down_revision = 'b7c1d9e2f3a4'
branch_labels = None
depends_on = None

PARIS = ZoneInfo("Europe/Paris")


def _instant(value: datetime | str) -> datetime:
    """A stored UTC instant (SQLite gives text)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=ZoneInfo("UTC"))


def _day(value: date | str | None) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('booklets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reached_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('holder_age', sa.SmallInteger(), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.text(
        "SELECT booklets.id, booklets.issued_at, booklets.handed_out_at, "
        "beneficiaries.birth_date FROM booklets LEFT JOIN beneficiaries "
        "ON beneficiaries.id = booklets.beneficiary_id")).all()
    values = []
    for booklet_id, issued_at, handed_out_at, birth in rows:
        day = _instant(handed_out_at or issued_at).astimezone(PARIS).date()
        birth = _day(birth)
        age = (None if birth is None else
               day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day)))
        values.append({"b_id": booklet_id, "day": day, "age": age})
    if values:
        connection.execute(sa.text("UPDATE booklets SET reached_on = :day, holder_age = :age "
                                   "WHERE id = :b_id"), values)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('booklets', schema=None) as batch_op:
        batch_op.drop_column('holder_age')
        batch_op.drop_column('reached_on')
