"""Files that hold secrets or personal data: the owner's alone, whatever the umask."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy.engine import make_url

PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def private_dir(path: str | Path) -> Path:
    """Create ``path`` (and its parents) if needed and make it readable by its owner only.

    An existing folder of ours is tightened too: the instance folder of a checkout made
    before this rule, or by a tool under a loose umask, holds the secrets and the
    database. A folder another account owns (an operator's choice) is left as it is.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_uid == os.geteuid():
        os.chmod(folder, PRIVATE_DIR)
    return folder


def create_private_file(path: str | Path) -> None:
    """Create ``path`` empty with mode 0600 if it does not exist; leave it alone otherwise.

    ``O_EXCL`` with the mode given at creation leaves no moment where another account
    could open the file; ``fchmod`` undoes whatever the umask removed or added.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return
    try:
        os.fchmod(fd, PRIVATE_FILE)
    finally:
        os.close(fd)


def private_sqlite_file(uri: str) -> None:
    """Create the file of a SQLite database URI owner-only before SQLite opens it.

    SQLite creates a missing file with mode 0644 and gives its ``-wal`` and ``-shm``
    companions the database file's mode, so creating the file first is enough.
    """
    url = make_url(uri)
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return
    if url.database.startswith("file:") or url.query.get("mode") == "memory":
        return
    create_private_file(url.database)
