"""The audit log's append, per database, behind one typed function.

``append_event`` takes the head's lock, chains the event to it, inserts it and moves the
head, in the same transaction as the change it records. PostgreSQL does it in one
statement (one round trip on a path every write takes): the database completes the
canonical form begun in Python and computes the same HMAC from ``sha256()`` and the
padded keys (see ``chain``). Elsewhere (SQLite, in-process) one statement per step,
the hash computed in Python. Both chain the same way and give the same hash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.orm.util import identity_key

from passnum.audit.chain import canonical, keyed_hash, padded_keys
from passnum.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from passnum.core.db import UTCDateTime, driver_rows
from passnum.extensions import db

HEAD_ID = 1


@dataclass(frozen=True)
class NewEvent:
    """An event to append: everything but its place in the chain."""

    created_at: datetime
    actor_id: int | None
    action: str
    object_type: str | None
    object_id: str | None
    details: str  # JSON, as stored and hashed
    ip: str | None


@dataclass(frozen=True)
class AppendedEvent(NewEvent):
    """An event as appended: its fields, its row id, its place in the chain and its hash."""

    id: int
    seq: int
    prev_hash: str
    hash: str


def _tail(event: NewEvent) -> str:
    """The canonical form of an event after its seq and prev_hash: what is known before
    the head is locked. The canonical form is ``'[<seq>,"<prev_hash>",' + tail``, as both
    are plain JSON (an integer, hex digits)."""
    return json.dumps(
        [event.created_at.isoformat(), event.actor_id, event.action, event.object_type,
         event.object_id, event.details, event.ip],
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
# PostgreSQL, one round trip: lock the head, insert the event chained to it, move the
# tip. No row back: the head is missing (an empty log).
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
           encode(sha256(:outer_key || sha256(:inner_key || convert_to(
               '[' || seq || ',"' || last_hash || '",' || :tail, 'UTF8'))), 'hex')
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


def _fields(event: NewEvent) -> dict[str, Any]:
    """The event's columns, as parameters."""
    return {"created_at": event.created_at, "actor_id": event.actor_id,
            "action": event.action, "object_type": event.object_type,
            "object_id": event.object_id, "details": event.details, "ip": event.ip}


def _advance_head() -> tuple[int, str]:
    """Take the head's lock and the next (seq, prev_hash); create the head if missing."""
    row = db.session.execute(_ADVANCE_HEAD).first()
    if row is None:
        db.session.add(AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        db.session.flush()
        row = db.session.execute(_ADVANCE_HEAD).one()
    return row[0], row[1]


def append_event(event: NewEvent, *, key: str) -> AppendedEvent:
    """Chain ``event`` to the head, hashed under ``key``, and insert it. The head stays
    locked until commit; a head object loaded in the session is expired."""
    fields = _fields(event)
    appended = None
    if db.session.get_bind().dialect.name == "postgresql":
        inner, outer = padded_keys(key)
        rows = driver_rows(_APPEND, {**fields, "head_id": HEAD_ID, "tail": _tail(event),
                                     "inner_key": inner, "outer_key": outer},
                           hide_parameters=True)  # the padded keys are the key
        if rows:
            event_id, seq, prev_hash, digest = rows[0]
            appended = AppendedEvent(**fields, id=event_id, seq=seq, prev_hash=prev_hash,
                                     hash=digest)
    if appended is None:  # SQLite, or no head yet
        seq, prev_hash = _advance_head()
        digest = keyed_hash(canonical(seq=seq, prev_hash=prev_hash, **fields), key)
        event_id = db.session.execute(_INSERT_EVENT, {
            **fields, "seq": seq, "prev_hash": prev_hash, "hash": digest}).scalar_one()
        db.session.execute(_SET_HEAD_HASH, {"digest": digest})
        appended = AppendedEvent(**fields, id=event_id, seq=seq, prev_hash=prev_hash,
                                 hash=digest)
    head = db.session.identity_map.get(identity_key(AuditHead, HEAD_ID))
    if head is not None:  # a loaded head object must not keep the old tip
        db.session.expire(head)
    return appended
