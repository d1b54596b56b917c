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

from sqlalchemy import select, update

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


def _ensure_head() -> None:
    if db.session.get(AuditHead, HEAD_ID) is None:
        db.session.add(AuditHead(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH))
        db.session.flush()


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """Append one event. Details must hold no personal data (ids and codes only)."""
    _ensure_head()
    seq, prev_hash = db.session.execute(
        update(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .values(last_seq=AuditHead.last_seq + 1)
        .returning(AuditHead.last_seq, AuditHead.last_hash)
    ).one()
    fields = {
        "seq": seq,
        "prev_hash": prev_hash,
        "created_at": now().replace(microsecond=0),
        "actor_id": actor_id,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "details": json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        "ip": ip,
    }
    digest = event_hash(**fields)
    event = AuditEvent(**fields, hash=digest)
    db.session.add(event)
    db.session.execute(
        update(AuditHead).where(AuditHead.id == HEAD_ID).values(last_hash=digest)
    )
    db.session.flush()
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
