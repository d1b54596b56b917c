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

from sqlalchemy import bindparam, insert, select, text, update
from sqlalchemy.orm.util import identity_key

from passnum.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from passnum.core.clock import now
from passnum.core.db import UTCDateTime, as_stored, driver_rows
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


def _tail(fields: dict[str, Any]) -> str:
    """The canonical form of ``event_hash`` after its seq and prev_hash: what is known
    before the head is locked. ``event_hash`` is ``'[<seq>,"<prev_hash>",' + tail``, as
    both are plain JSON (an integer, hex digits)."""
    return json.dumps(
        [fields["created_at"].isoformat(), fields["actor_id"], fields["action"],
         fields["object_type"], fields["object_id"], fields["details"], fields["ip"]],
        separators=(",", ":"), ensure_ascii=True)[1:]


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
# PostgreSQL, one round trip: lock the head, insert the event chained to it (the
# database completes the canonical form begun in Python and hashes it with the same
# SHA-256), move the tip. No row back: the head is missing (an empty log).
_APPEND = text("""
WITH head AS (
    SELECT last_seq + 1 AS seq, last_hash FROM audit_head WHERE id = :head_id FOR UPDATE
), event AS (
    INSERT INTO audit_events
        (seq, prev_hash, created_at, actor_id, action, object_type, object_id, details, ip,
         hash)
    SELECT seq, last_hash, :created_at, CAST(:actor_id AS INTEGER), :action,
           CAST(:object_type AS VARCHAR), CAST(:object_id AS VARCHAR), :details,
           CAST(:ip AS VARCHAR),
           encode(sha256(convert_to('[' || seq || ',"' || last_hash || '",' || :tail,
                                    'UTF8')), 'hex')
    FROM head
    RETURNING id, seq, prev_hash, hash
), tip AS (
    UPDATE audit_head SET last_seq = event.seq, last_hash = event.hash
    FROM event WHERE audit_head.id = :head_id
    RETURNING 1
)
SELECT event.id, event.seq, event.prev_hash, event.hash FROM event
WHERE EXISTS (SELECT FROM tip)
""").bindparams(bindparam("created_at", type_=UTCDateTime()))


def _advance_head() -> tuple[int, str]:
    """Take the head's lock and the next (seq, prev_hash); create the head if missing."""
    row = db.session.execute(_ADVANCE_HEAD).first()
    if row is None:
        db.session.add(AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        db.session.flush()
        row = db.session.execute(_ADVANCE_HEAD).one()
    return row[0], row[1]


def _append(fields: dict[str, Any]) -> int:
    """Chain ``fields`` to the head and insert the event; return its id (``fields``
    gains seq, prev_hash and hash). The head stays locked until commit."""
    if db.session.get_bind().dialect.name == "postgresql":
        appended = driver_rows(_APPEND, {**fields, "head_id": HEAD_ID, "tail": _tail(fields)})
        if appended:
            event_id, fields["seq"], fields["prev_hash"], fields["hash"] = appended[0]
            return event_id
    fields["seq"], fields["prev_hash"] = _advance_head()
    fields["hash"] = event_hash(**fields)
    event_id = db.session.execute(_INSERT_EVENT, fields).scalar_one()
    db.session.execute(_SET_HEAD_HASH, {"digest": fields["hash"]})
    return event_id


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
    event_id = _append(fields)
    head = db.session.identity_map.get(identity_key(AuditHead, HEAD_ID))
    if head is not None:  # a loaded head object must not keep the old tip
        db.session.expire(head)
    return as_stored(AuditEvent, {"id": event_id, **fields})


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
