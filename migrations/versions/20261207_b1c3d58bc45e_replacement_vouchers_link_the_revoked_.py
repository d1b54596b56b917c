"""replacement vouchers link the revoked vouchers they carry

Revision ID: b1c3d58bc45e
Revises: 72788407dcd5
Create Date: 2026-12-07 02:14:27.650900

A voucher of a replacement booklet names the revoked voucher whose value it carries.
The link is unique (a revoked voucher is replaced at most once) and its foreign key
includes the value (a replacement voucher has its source's value), so the database
itself refuses a replacement that would create value. Triggers accept only a revoked
voucher as the source, and keep a revoked voucher revoked. Replacements made before this
revision keep no link (their vouchers stay as they were issued).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b1c3d58bc45e'
down_revision = '72788407dcd5'
branch_labels = None
depends_on = None


# the same as passnum.booklets.models.REPLACEMENT_TRIGGERS (for databases made by create_all)
TRIGGERS = {
    "postgresql": (
        """CREATE FUNCTION vouchers_replacement_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'a revoked voucher stays revoked'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM vouchers
                           WHERE id = NEW.replaces_voucher_id AND status = 'revoked') THEN
                RAISE EXCEPTION 'a replacement voucher must carry a revoked voucher'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$""",
        "CREATE TRIGGER vouchers_replacement_source BEFORE INSERT ON vouchers FOR EACH ROW "
        "WHEN (NEW.replaces_voucher_id IS NOT NULL) "
        "EXECUTE FUNCTION vouchers_replacement_guard()",
        "CREATE TRIGGER vouchers_revoked_stays BEFORE UPDATE OF status ON vouchers "
        "FOR EACH ROW WHEN (OLD.status = 'revoked' AND NEW.status <> 'revoked') "
        "EXECUTE FUNCTION vouchers_replacement_guard()",
    ),
    "sqlite": (
        "CREATE TRIGGER vouchers_replacement_source BEFORE INSERT ON vouchers FOR EACH ROW "
        "WHEN NEW.replaces_voucher_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vouchers "
        "WHERE id = NEW.replaces_voucher_id AND status = 'revoked') "
        "BEGIN SELECT RAISE(ABORT, 'a replacement voucher must carry a revoked voucher'); END",
        "CREATE TRIGGER vouchers_revoked_stays BEFORE UPDATE OF status ON vouchers "
        "FOR EACH ROW WHEN OLD.status = 'revoked' AND NEW.status <> 'revoked' "
        "BEGIN SELECT RAISE(ABORT, 'a revoked voucher stays revoked'); END",
    ),
}
DROPS = {
    "postgresql": ("DROP TRIGGER IF EXISTS vouchers_revoked_stays ON vouchers",
                   "DROP TRIGGER IF EXISTS vouchers_replacement_source ON vouchers",
                   "DROP FUNCTION IF EXISTS vouchers_replacement_guard()"),
    "sqlite": ("DROP TRIGGER IF EXISTS vouchers_revoked_stays",
               "DROP TRIGGER IF EXISTS vouchers_replacement_source"),
}


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('replaces_voucher_id', sa.Integer(), nullable=True))
        # the target of the foreign key below, created first
        batch_op.create_unique_constraint(batch_op.f('uq_vouchers_id_value_cents'), ['id', 'value_cents'])
        batch_op.create_unique_constraint(batch_op.f('uq_vouchers_replaces_voucher_id'), ['replaces_voucher_id'])
        batch_op.create_foreign_key(batch_op.f('fk_vouchers_replaces_voucher_id_vouchers'), 'vouchers', ['replaces_voucher_id', 'value_cents'], ['id', 'value_cents'])
    # after the batch: on SQLite it rebuilds the table, which would drop them
    for statement in TRIGGERS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    for statement in DROPS.get(op.get_bind().dialect.name, ()):
        op.execute(statement)
    with op.batch_alter_table('vouchers', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_vouchers_replaces_voucher_id_vouchers'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_vouchers_replaces_voucher_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('uq_vouchers_id_value_cents'), type_='unique')
        batch_op.drop_column('replaces_voucher_id')
