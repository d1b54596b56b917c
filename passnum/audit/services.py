"""Append to and verify the hash-chained audit log.

Appending first updates the single ``audit_head`` row, which takes its row lock (or
SQLite's write lock) until commit: appends are serialised, so the chain never forks.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.util import identity_key

from passnum.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from passnum.core.clock import now
from passnum.errors import AuditNote
from passnum.extensions import db

HEAD_ID = 1


def event_hash(
    *,
    seq: int,
    prev_hash: str,
    created_at: datetime,
    actor_id: int | None,
    action: str,
    object_type: str | None,
    object_id: str | None,
    details: str,
    ip: str | None,
) -> str:
    """Return the SHA-256 of an event's canonical form, chained to ``prev_hash``."""
    canonical = json.dumps(
        [seq, prev_hash, created_at.isoformat(), actor_id, action, object_type,
         object_id, details, ip],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


_HEAD = AuditHead.__table__
_EVENTS = AuditEvent.__table__
# Built once: constructing statements costs more than running them on this hot path.
_ADVANCE_HEAD = (
    update(_HEAD).where(_HEAD.c.id == HEAD_ID)
    .values(last_seq=_HEAD.c.last_seq + 1)
    .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)
)
_SET_HEAD_HASH = update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(
    last_hash=bindparam("digest"))
_EVENT_COLUMNS = ("seq", "prev_hash", "created_at", "actor_id", "action", "object_type",
                  "object_id", "details", "ip", "hash")
_INSERT_EVENT = insert(_EVENTS).values(
    {name: bindparam(name, type_=_EVENTS.c[name].type) for name in _EVENT_COLUMNS}
).returning(_EVENTS.c.id)
# PostgreSQL: the event and the new tip in one round trip, while the head is locked
_INSERT_EVENT_AND_TIP = (
    update(_HEAD).where(_HEAD.c.id == HEAD_ID).values(last_hash=bindparam("hash"))
    .add_cte(_inserted := _INSERT_EVENT.cte("inserted_event"))
    .returning(select(_inserted.c.id).scalar_subquery())
)


def _advance_head() -> tuple[int, str]:
    """Take the head's lock and the next (seq, prev_hash); create the head if missing."""
    row = db.session.execute(_ADVANCE_HEAD).first()
    if row is None:
        db.session.add(AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        db.session.flush()
        row = db.session.execute(_ADVANCE_HEAD).one()
    head = db.session.identity_map.get(identity_key(AuditHead, HEAD_ID))
    if head is not None:  # a loaded head object must not keep the old tip
        db.session.expire(head)
    return row[0], row[1]


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event. Details must hold no personal data (ids and codes only).

    Everything but the chain link is computed before the head's lock is taken: the
    lock is held from the head's update to the commit, and every append waits for it.
    """
    db.session.flush()  # pending changes first, as an append always followed them
    fields: dict[str, Any] = {
        "created_at": now().replace(microsecond=0),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        "ip": ip,
    }
    fields["seq"], fields["prev_hash"] = _advance_head()
    fields["hash"] = event_hash(**{k: v for k, v in fields.items() if k != "hash"})
    if db.session.get_bind().dialect.name == "postgresql":
        event_id = db.session.execute(_INSERT_EVENT_AND_TIP, fields).scalar_one()
    else:
        event_id = db.session.execute(_INSERT_EVENT, fields).scalar_one()
        db.session.execute(_SET_HEAD_HASH, {"digest": fields["hash"]})
    event = AuditEvent(id=event_id, **fields)
    make_transient_to_detached(event)  # written above: the session knows it as stored
    db.session.add(event)
    return event


def record_note(note: AuditNote) -> AuditEvent:
    """Record the audit note carried by a refused operation."""
    return record(
        note.action,
        actor_id=note.actor_id,
        object_type=note.object_type,
        object_id=note.object_id,
        details=note.details,
        ip=note.ip,
    )


@dataclass
class VerifyResult:
    """Outcome of ``verify``: ``ok``, events checked, and the first bad one."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None


def verify(batch: int = 5000) -> VerifyResult:
    """Walk the chain in order; report the first event that breaks it."""
    expected_prev, expected_seq, checked = GENESIS_HASH, 1, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq)
            .order_by(AuditEvent.seq).limit(batch)
        ).all()
        if not rows:
            break
        for ev in rows:
            if ev.seq != expected_seq:
                return VerifyResult(False, checked, expected_seq, "entrée manquante")
            if ev.prev_hash != expected_prev:
                return VerifyResult(False, checked, ev.seq, "chaînage rompu")
            recomputed = event_hash(
                seq=ev.seq, prev_hash=ev.prev_hash, created_at=ev.created_at,
                actor_id=ev.actor_id, action=ev.action, object_type=ev.object_type,
                object_id=ev.object_id, details=ev.details, ip=ev.ip,
            )
            if recomputed != ev.hash:
                return VerifyResult(False, checked, ev.seq, "contenu modifié")
            expected_prev, expected_seq, checked = ev.hash, ev.seq + 1, checked + 1
    head = db.session.get(AuditHead, HEAD_ID)
    tip_moved = head is not None and (
        head.last_seq != expected_seq - 1 or head.last_hash != expected_prev
    )
    if tip_moved:
        return VerifyResult(False, checked, expected_seq, "fin de chaîne supprimée")
    return VerifyResult(True, checked)
