"""audit log keyed and append-only

Revision ID: 0be703f327ec
Revises: 7dd340748033
Create Date: 2026-12-07 02:17:44.907853

Existing audit events were chained with an unkeyed SHA-256. The chain is first checked
as it stands (a damaged log stops the upgrade, naming the entry: restore an intact
backup first), then chained again, in order, with the HMAC-SHA256 under the newest
audit key (``AUDIT_KEYS``): from then on only the key holder can produce a valid
entry, and ``audit verify`` has one scheme to check. Finally triggers make the table
refuse UPDATE, DELETE (and TRUNCATE on PostgreSQL). The downgrade reverses both.
"""
import hashlib
import hmac
import json
from collections.abc import Callable
from datetime import UTC

from alembic import op
from flask import current_app
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0be703f327ec'
down_revision = '7dd340748033'
branch_labels = None
depends_on = None

GENESIS = "0" * 64
BATCH = 5000
EVENTS = sa.table(
    "audit_events", sa.column("id", sa.Integer), sa.column("seq", sa.Integer),
    sa.column("created_at", sa.DateTime(timezone=True)), sa.column("actor_id", sa.Integer),
    sa.column("action", sa.String), sa.column("object_type", sa.String),
    sa.column("object_id", sa.String), sa.column("details", sa.Text),
    sa.column("ip", sa.String), sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
HEAD = sa.table("audit_head", sa.column("id", sa.Integer), sa.column("last_seq", sa.Integer),
                sa.column("last_hash", sa.String))
TRIGGERS = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', "
        "MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ),
    "sqlite": tuple(
        f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {verb} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ),
}
DROP_TRIGGERS = {
    "postgresql": ("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
                   "DROP FUNCTION IF EXISTS audit_events_append_only()"),
    "sqlite": ("DROP TRIGGER IF EXISTS audit_events_no_update",
               "DROP TRIGGER IF EXISTS audit_events_no_delete"),
}

Hasher = Callable[[bytes], str]


def _canonical(row: sa.Row, prev_hash: str) -> bytes:
    """An event's canonical form, as ``passnum.audit.chain.canonical`` writes it."""
    created = row.created_at
    created = created.replace(tzinfo=UTC) if created.tzinfo is None else created.astimezone(UTC)
    return json.dumps(
        [row.seq, prev_hash, created.isoformat(), row.actor_id, row.action, row.object_type,
         row.object_id, row.details, row.ip],
        separators=(",", ":"), ensure_ascii=True).encode("ascii")


def _unkeyed(message: bytes) -> str:
    return hashlib.sha256(message).hexdigest()


def _keyed(key: str) -> Hasher:
    return lambda message: hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


def _rechain(valid: Callable[[bytes, str], bool], new_hash: Hasher) -> None:
    """Check every event with ``valid`` (its chain as it stands), then chain it again
    with ``new_hash``, in order, batch by batch; move the head along."""
    connection = op.get_bind()
    old_prev = new_prev = GENESIS
    expected = 1
    while rows := connection.execute(sa.select(EVENTS).where(EVENTS.c.seq >= expected)
                                     .order_by(EVENTS.c.seq).limit(BATCH)).all():
        changes = []
        for row in rows:
            if (row.seq != expected or row.prev_hash != old_prev
                    or not valid(_canonical(row, old_prev), row.hash)):
                raise RuntimeError(
                    f"Journal d'audit altéré à l'entrée n° {expected} : la migration ne "
                    "le chaîne pas sous la clé. Restaurez une sauvegarde intacte, puis "
                    "relancez la migration.")
            digest = new_hash(_canonical(row, new_prev))
            changes.append({"event_id": row.id, "new_prev": new_prev, "new_hash": digest})
            old_prev, new_prev, expected = row.hash, digest, expected + 1
        connection.execute(
            sa.update(EVENTS).where(EVENTS.c.id == sa.bindparam("event_id"))
            .values(prev_hash=sa.bindparam("new_prev"), hash=sa.bindparam("new_hash")),
            changes)
    head = connection.execute(sa.select(HEAD.c.last_seq, HEAD.c.last_hash)).first()
    if head is not None and tuple(head) != (expected - 1, old_prev):
        raise RuntimeError("Journal d'audit altéré : sa tête ne désigne pas sa dernière "
                           f"entrée (n° {expected - 1}). Restaurez une sauvegarde intacte.")
    connection.execute(sa.update(HEAD).values(last_hash=new_prev))


def upgrade() -> None:
    """Apply this revision (SQLite and PostgreSQL)."""
    key = current_app.config["AUDIT_KEYS"][-1]
    _rechain(lambda message, digest: _unkeyed(message) == digest, _keyed(key))
    for statement in TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)


def downgrade() -> None:
    """Revert this revision."""
    for statement in DROP_TRIGGERS[op.get_bind().dialect.name]:
        op.execute(statement)
    keys = [_keyed(key) for key in current_app.config["AUDIT_KEYS"]]
    _rechain(lambda message, digest: any(
        hmac.compare_digest(keyed(message), digest) for keyed in keys), _unkeyed)
