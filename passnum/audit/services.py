"""Append to and verify the keyed, hash-chained audit log.

Appending first updates the single ``audit_head`` row, which takes its row lock (or
SQLite's write lock) until commit: appends are serialised, so the chain never forks.
Each entry's hash is an HMAC under the audit key (``chain``), and the head is anchored
outside the database after commit (``anchor``): a log rewritten, cut short or wiped by
someone with write access to the database, but not the key or the anchor, is detected.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from passnum.audit import anchor
from passnum.audit.anchor import Head
from passnum.audit.chain import canonical, keyed_hash
from passnum.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from passnum.audit.repository import HEAD_ID, AppendedEvent, NewEvent, append_event
from passnum.core.clock import now
from passnum.core.db import on_commit
from passnum.errors import AuditNote
from passnum.extensions import db


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
    key: str | None = None,
) -> str:
    """Return the HMAC-SHA256 of an event's canonical form, chained to ``prev_hash``,
    under ``key`` (by default the newest audit key)."""
    message = canonical(seq=seq, prev_hash=prev_hash, created_at=created_at,
                        actor_id=actor_id, action=action, object_type=object_type,
                        object_id=object_id, details=details, ip=ip)
    return keyed_hash(message, key or current_app.config["AUDIT_KEYS"][-1])


def record(
    action: str,
    *,
    actor_id: int | None,
    object_type: str | None = None,
    object_id: str | int | None = None,
    details: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AppendedEvent:
    """Append one event (``repository.append_event``) and return it as appended.
    Details must hold no personal data (ids and codes only).

    Everything but the chain link is computed before the head's lock is taken: the
    lock is held from the head's update to the commit, and every append waits for it.
    """
    db.session.flush()  # pending changes first, as an append always followed them
    appended = append_event(NewEvent(
        created_at=now().replace(microsecond=0), actor_id=actor_id, action=action,
        object_type=object_type, object_id=None if object_id is None else str(object_id),
        details=json.dumps(details or {}, sort_keys=True, ensure_ascii=False, default=str),
        ip=ip), key=current_app.config["AUDIT_KEYS"][-1])
    path = current_app.config["AUDIT_ANCHOR_PATH"]
    if path:
        on_commit(partial(anchor.note, path, Head(appended.seq, appended.hash),
                          current_app.config["AUDIT_ANCHOR_SECONDS"]))
    return appended


def record_note(note: AuditNote) -> AppendedEvent:
    """Record the audit note carried by a refused operation."""
    return record(
        note.action,
        actor_id=note.actor_id,
        object_type=note.object_type,
        object_id=note.object_id,
        details=note.details,
        ip=note.ip,
    )


DAMAGES = {  # the stable code of each damage ``verify`` names, and its French words
    "entry_missing": "entrée n° {seq} manquante",
    "chain_broken": "chaînage rompu à l'entrée n° {seq}",
    "event_rewritten": "entrée n° {seq} réécrite : son empreinte ne correspond plus",
    "head_rewritten": "dernière entrée réécrite : l'entrée n° {seq} n'a plus son empreinte",
    "tail_deleted": "dernières entrées supprimées : {reference} désigne l'entrée n° {seq}, "
                    "le journal s'arrête avant",
    "log_wiped": "journal vidé : {reference} désigne l'entrée n° {seq}, le journal est vide",
    "anchor_mismatch": "journal réécrit : l'entrée n° {seq} diffère de {reference}",
    "head_row_moved": "fin de chaîne supprimée ou ajoutée hors journal : la tête enregistrée "
                      "ne désigne pas l'entrée n° {seq}",
}


@dataclass
class VerifyResult:
    """Outcome of ``verify``: ``ok``, events checked, the first damage found (its code,
    its entry and a French sentence) and the chain's head."""

    ok: bool
    checked: int
    bad_seq: int | None = None
    reason: str | None = None
    damage: str | None = None
    head: Head | None = None


def _damaged(damage: str, seq: int, checked: int, reference: str = "") -> VerifyResult:
    reason = DAMAGES[damage].format(seq=seq, reference=reference)
    return VerifyResult(False, checked, seq, reason, damage)


def _key_of(event: AuditEvent, keys: list[str], first: int) -> int | None:
    """The index of the key that hashed ``event``, from ``first`` on (a key, once
    followed by a newer one in the log, hashes nothing after it)."""
    message = canonical(seq=event.seq, prev_hash=event.prev_hash,
                        created_at=event.created_at, actor_id=event.actor_id,
                        action=event.action, object_type=event.object_type,
                        object_id=event.object_id, details=event.details, ip=event.ip)
    for index in range(first, len(keys)):
        if hmac.compare_digest(keyed_hash(message, keys[index]), event.hash):
            return index
    return None


def _head_row() -> Head | None:
    """The head row as stored now (read afresh, never from the session's identity map)."""
    row = db.session.execute(select(AuditHead.last_seq, AuditHead.last_hash)
                             .where(AuditHead.id == HEAD_ID)).first()
    return Head(row.last_seq, row.last_hash) if row is not None else None


def _walk(batch: int, upto: int) -> VerifyResult:
    """Walk the chain in order up to entry ``upto``: numbering, links and keyed hashes."""
    keys = current_app.config["AUDIT_KEYS"]
    expected_prev, expected_seq, checked, key_index = GENESIS_HASH, 1, 0, 0
    while expected_seq <= upto and (rows := db.session.scalars(
            select(AuditEvent).where(AuditEvent.seq >= expected_seq, AuditEvent.seq <= upto)
            .order_by(AuditEvent.seq).limit(batch)).all()):
        for ev in rows:
            if ev.seq != expected_seq:
                return _damaged("entry_missing", expected_seq, checked)
            if ev.prev_hash != expected_prev:
                return _damaged("chain_broken", ev.seq, checked)
            found = _key_of(ev, keys, key_index)
            if found is None:
                return _damaged("head_rewritten" if ev.seq == upto else "event_rewritten",
                                ev.seq, checked)
            key_index, expected_prev, expected_seq = found, ev.hash, ev.seq + 1
            checked += 1
    return VerifyResult(True, checked, head=Head(expected_seq - 1, expected_prev))


def _against(reference: Head, label: str, walked: VerifyResult) -> VerifyResult | None:
    """The damage shown by a head kept outside the database, or None."""
    assert walked.head is not None
    if reference.seq == 0:
        return None
    if walked.checked == 0:
        return _damaged("log_wiped", reference.seq, 0, label)
    if reference.seq > walked.head.seq:
        return _damaged("tail_deleted", reference.seq, walked.checked, label)
    stored = db.session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == reference.seq))
    if stored != reference.hash:
        return _damaged("anchor_mismatch", reference.seq, walked.checked, label)
    return None


def verify(*, expect_head: Head | None = None, use_anchor: bool = True,
           batch: int = 5000) -> VerifyResult:
    """Check the chain, then the heads kept outside the database: the anchor file (read
    first, so that appends made meanwhile cannot look missing) and ``expect_head``.
    An intact log's head is anchored; the first damage found is reported."""
    path = current_app.config["AUDIT_ANCHOR_PATH"] if use_anchor else ""
    anchored = anchor.last(path) if path else None
    # The walk stops at the head as it stood before it began: entries appended while it
    # runs (venues keep redeeming) lie beyond it and cannot look like damage.
    start = _head_row()
    last_seq = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    walked = _walk(batch, start.seq if start is not None else last_seq)
    if not walked.ok:
        return walked
    for reference, label in ((anchored, f"l'ancre ({path})"),
                             (expect_head, "la tête attendue")):
        damage = None if reference is None else _against(reference, label, walked)
        if damage is not None:
            return damage
    assert walked.head is not None
    if start is not None and start != walked.head:
        return _damaged("head_row_moved", walked.head.seq, walked.checked)
    # entries beyond the head row that no append wrote (max read before the head: an
    # append commits both at once)
    beyond = db.session.scalar(select(func.max(AuditEvent.seq))) or 0
    now_head = _head_row()
    if start is not None and (now_head is None or beyond > now_head.seq):
        first_beyond = (now_head.seq if now_head is not None else walked.head.seq) + 1
        return _damaged("head_row_moved", first_beyond, walked.checked)
    if path and walked.head.seq:
        anchor.write(path, walked.head)
    return walked


def reanchor(*, actor_id: int | None) -> VerifyResult:
    """After a restore the anchor is ahead of the restored log: check the restored chain
    (keys only), record the restore and anchor its new head after commit, marked as a
    restore. Does nothing but report when the restored chain itself is damaged."""
    walked = verify(use_anchor=False)
    if not walked.ok:
        return walked
    path = current_app.config["AUDIT_ANCHOR_PATH"]
    previous = anchor.last(path) if path else None
    event = record("audit.reanchored", actor_id=actor_id, details={
        "previous_anchor": str(previous) if previous else None,
        "restored_head": str(walked.head)})
    head = Head(event.seq, event.hash)
    if path:
        on_commit(partial(anchor.write, path, head, restored=True))
    return VerifyResult(True, walked.checked + 1, head=head)
