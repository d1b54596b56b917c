"""What an attacker with write access to the database (but neither the audit key nor
the anchor file) can do to the audit log, for the tests that must catch it."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select, text

from passnum.audit.models import AuditEvent
from passnum.extensions import db


def as_attacker() -> None:
    """Lift the append-only protection for the current transaction, as the owner of the
    database can: PostgreSQL's superuser skips ordinary triggers, SQLite's file owner
    drops them."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL session_replication_role = replica"))
    else:
        for name in ("audit_events_no_update", "audit_events_no_delete"):
            db.session.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


def unkeyed_hash(event: AuditEvent, prev_hash: str) -> str:
    """The best an attacker without the key can do: the public canonical form, hashed."""
    canonical = json.dumps(
        [event.seq, prev_hash, event.created_at.isoformat(), event.actor_id, event.action,
         event.object_type, event.object_id, event.details, event.ip],
        separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


def rewrite_from(seq: int, **changes: object) -> None:
    """Change event ``seq``, then recompute the chain from it to the tip and move the
    head row to match: every link and hash consistent, as far as an attacker can."""
    as_attacker()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()
    prev = "0" * 64
    for event in events:
        if event.seq == seq:
            for name, value in changes.items():
                setattr(event, name, value)
        if event.seq >= seq:
            event.prev_hash = prev
            event.hash = unkeyed_hash(event, prev)
        prev = event.hash
        db.session.flush()
    set_head(events[-1].seq, prev)


def delete_from(seq: int) -> None:
    """Delete the events from ``seq`` on and move the head row back to the new tip."""
    as_attacker()
    db.session.execute(text("DELETE FROM audit_events WHERE seq >= :seq"), {"seq": seq})
    tip = db.session.execute(text("SELECT seq, hash FROM audit_events ORDER BY seq DESC "
                                  "LIMIT 1")).first()
    if tip is None:
        db.session.execute(text("DELETE FROM audit_head"))
    else:
        set_head(*tip)


def set_head(seq: int, digest: str) -> None:
    """Point the head row at (``seq``, ``digest``)."""
    db.session.execute(text("UPDATE audit_head SET last_seq = :seq, last_hash = :digest"),
                       {"seq": seq, "digest": digest})
