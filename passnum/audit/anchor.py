"""The audit log's head, anchored outside the database in an append-only file.

Each line holds an entry's ``seq`` and keyed hash (and when it was written). An
attacker with write access to the database but not to this file cannot rewind the log
past the last line: ``audit verify`` finds the anchored entry missing or changed.

Written after commit, at most once per ``AUDIT_ANCHOR_SECONDS`` by each server process
(the newest head it committed), and at each ``audit verify``. Several processes append
under an exclusive ``flock`` and only a head newer than the file's last line is written,
so the file stays monotonic; a restore is the one exception, marked on its line. Several
machines must share the file (a location they all mount) or rely on ``audit verify``'s
printed head kept by an operator.
"""

from __future__ import annotations

import atexit
import fcntl
import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from passnum.core.clock import now

logger = logging.getLogger(__name__)

_TEXT = re.compile(r"^(\d+):([0-9a-f]{64})$")
_TAIL_BYTES = 4096  # a line is under 120 bytes: the last one is within this
RESTORED = "restored"


@dataclass(frozen=True)
class Head:
    """An entry of the chain: its position and keyed hash."""

    seq: int
    hash: str

    def __str__(self) -> str:
        """``seq:hash``, as ``audit verify`` prints it and ``--expect-head`` reads it."""
        return f"{self.seq}:{self.hash}"


def parse_head(text: str) -> Head:
    """Read ``seq:hash`` (as printed by ``audit verify``), or raise ``ValueError``."""
    found = _TEXT.match(text.strip())
    if found is None:
        raise ValueError("Une tête s'écrit N°:EMPREINTE (64 chiffres hexadécimaux).")
    return Head(int(found.group(1)), found.group(2))


def _last_line(handle: BinaryIO) -> Head | None:
    """The head on the file's last complete line."""
    handle.seek(0, os.SEEK_END)
    handle.seek(max(0, handle.tell() - _TAIL_BYTES))
    for line in reversed(handle.read().splitlines()):
        parts = line.decode("ascii", "replace").split()
        if len(parts) >= 2 and parts[0].isdigit():
            return Head(int(parts[0]), parts[1])
    return None


def last(path: str) -> Head | None:
    """The anchored head (the file's last line), or None when nothing is anchored."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 (closed below, after the lock)
    except FileNotFoundError:
        return None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        return _last_line(handle)


def write(path: str, head: Head, *, restored: bool = False) -> bool:
    """Append ``head`` if it is newer than the last line (always when ``restored``:
    the database went back to a backup). Owner-only file; returns whether it wrote."""
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
    with os.fdopen(descriptor, "r+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        known = _last_line(handle)
        if not restored and known is not None and known.seq >= head.seq:
            return False
        mark = f" {RESTORED}" if restored else ""
        handle.write(f"{head.seq} {head.hash} {now().isoformat(timespec='seconds')}{mark}\n"
                     .encode("ascii"))
    return True


_lock = threading.Lock()
_pending: dict[str, Head] = {}
_written_at: dict[str, float] = {}


def note(path: str, head: Head, every: float) -> None:
    """After a commit: anchor ``head`` now, or with a later commit of this process if
    the last write was under ``every`` seconds ago (and at the process's exit).

    A failed write is logged, not raised: the commit is done, and ``audit verify``
    writes the anchor too."""
    with _lock:
        pending = _pending.get(path)
        if pending is None or head.seq > pending.seq:
            _pending[path] = head
        if time.monotonic() - _written_at.get(path, float("-inf")) < every:
            return
        head = _pending.pop(path)
        _written_at[path] = time.monotonic()
    _write_logged(path, head)


def _write_logged(path: str, head: Head) -> None:
    try:
        write(path, head)
    except OSError as err:
        logger.error("audit anchor not written to %s: %s", path, err)


@atexit.register
def flush() -> None:
    """Anchor the heads still pending (a server process stopping)."""
    with _lock:
        pending = list(_pending.items())
        _pending.clear()
    for path, head in pending:
        _write_logged(path, head)
