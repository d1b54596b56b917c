"""The audit chain's keyed hash: HMAC-SHA256 of an event's canonical form.

The key (``AUDIT_KEYS``, kept like the voucher keys: ``instance/secrets.json`` or
``PASSNUM_AUDIT_KEYS``, never in the database) is what an attacker with write access to
the database lacks: without it, no rewritten event gets a hash that verifies.

PostgreSQL appends an event in one statement and hashes it there; it has no ``hmac()``
without pgcrypto, so the statement composes HMAC from ``sha256()`` (RFC 2104):
``sha256(outer || sha256(inner || message))``, where ``inner`` and ``outer`` are the key
padded and XOR-ed with 0x36 and 0x5c, passed as parameters of the prepared statement
and never stored. Keys are listed oldest first; the last one hashes new events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from functools import cache

BLOCK_SIZE = 64  # SHA-256's block, in bytes


def canonical(
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
) -> bytes:
    """An event's canonical form: a JSON array in ASCII, chained to ``prev_hash``."""
    return json.dumps(
        [seq, prev_hash, created_at.isoformat(), actor_id, action, object_type,
         object_id, details, ip],
        separators=(",", ":"),
        ensure_ascii=True,
    ).encode("ascii")


def keyed_hash(message: bytes, key: str) -> str:
    """HMAC-SHA256 of ``message`` under ``key``, in hex."""
    return hmac.new(key.encode("utf-8"), message, hashlib.sha256).hexdigest()


@cache
def padded_keys(key: str) -> tuple[bytes, bytes]:
    """The inner and outer padded keys of HMAC-SHA256 under ``key`` (RFC 2104)."""
    raw = key.encode("utf-8")
    if len(raw) > BLOCK_SIZE:
        raw = hashlib.sha256(raw).digest()
    raw = raw.ljust(BLOCK_SIZE, b"\0")
    return bytes(b ^ 0x36 for b in raw), bytes(b ^ 0x5C for b in raw)
