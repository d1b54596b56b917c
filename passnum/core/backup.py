"""Backups and restores of the whole database, while the application runs.

SQLite: the online backup API copies a consistent snapshot page by page, and a restore
copies the file back the same way (other connections wait on the lock). PostgreSQL:
``pg_dump --format=custom`` and ``pg_restore --clean``, the PostgreSQL client tools of
the machine. The voucher signing keys are not in the database: keep
``instance/secrets.json`` (or ``PASSNUM_VOUCHER_KEYS``) with the backups, or printed
vouchers can no longer be checked.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy.engine import make_url

from passnum.extensions import db


class BackupError(RuntimeError):
    """A backup or restore that could not be made (message in French)."""


def _sqlite_path(url: str) -> Path:
    """The database file of a SQLite URL."""
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("Une base SQLite en mémoire ne se sauvegarde pas.")
    return Path(database)


def _libpq_url(url: str) -> str:
    """The URL the PostgreSQL tools understand (no SQLAlchemy driver suffix)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _tool(name: str) -> str:
    """The path of a PostgreSQL client tool, or a clear error."""
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} est introuvable : installez le client PostgreSQL "
                          "(paquet postgresql-client).")
    return path


def backup(url: str, destination: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``destination``."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    if url.startswith("sqlite"):
        _copy_sqlite(_sqlite_path(url), destination)
    else:
        _run([_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(destination),
              _libpq_url(url)])
    os.chmod(destination, 0o600)  # personal data inside
    return destination


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup ``source`` (everything in it)."""
    if not source.is_file():
        raise BackupError(f"Sauvegarde introuvable : {source}")
    db.session.remove()
    db.engine.dispose()  # no pooled connection keeps the old data or a lock
    if url.startswith("sqlite"):
        _copy_sqlite(source, _sqlite_path(url))
        return
    _run([_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
          "--dbname", _libpq_url(url), str(source)])


def _copy_sqlite(source: Path, target: Path) -> None:
    """Copy a SQLite database with the online backup API (a consistent snapshot)."""
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)


def _run(command: list[str]) -> None:
    """Run a PostgreSQL tool; its error becomes a ``BackupError``."""
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} a échoué : {done.stderr.strip()[:500]}")
