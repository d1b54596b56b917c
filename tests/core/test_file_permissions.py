"""The instance folder, its secrets and the embedded SQLite database are the owner's
alone (0700 folder, 0600 files) whatever the umask, also when ``flask db upgrade``
creates them on a fresh checkout."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from passnum import ROOT


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _fresh_checkout(tmp_path: Path) -> Path:
    """The package and its migrations, copied where no instance folder exists yet."""
    checkout = tmp_path / "checkout"
    ignore = shutil.ignore_patterns("__pycache__")
    for name in ("passnum", "migrations"):
        shutil.copytree(ROOT / name, checkout / name, ignore=ignore)
    return checkout


def _flask(checkout: Path, *args: str, env: dict[str, str] | None = None) -> None:
    """Run ``flask --app passnum …`` from the checkout under an open umask (0000)."""
    environ = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    environ.update(PYTHONPATH=str(checkout), **(env or {}))
    subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", *args], cwd=checkout,
                   env=environ, check=True, capture_output=True,
                   preexec_fn=lambda: os.umask(0))


def test_db_upgrade_on_a_fresh_checkout_creates_owner_only_files(tmp_path):
    checkout = _fresh_checkout(tmp_path)
    _flask(checkout, "db", "upgrade")
    instance = checkout / "instance"
    assert _mode(instance) == 0o700
    files = sorted(instance.iterdir())
    assert {f.name for f in files} >= {"passnum.sqlite3", "secrets.json"}
    assert {f.name: _mode(f) for f in files} == {f.name: 0o600 for f in files}


def test_a_database_file_elsewhere_is_created_owner_only(tmp_path):
    checkout = _fresh_checkout(tmp_path)
    database = tmp_path / "data" / "passnum.sqlite3"
    database.parent.mkdir()
    _flask(checkout, "db", "upgrade", env={"DATABASE_URL": f"sqlite:///{database}"})
    made = sorted(database.parent.iterdir())
    assert made and {f.name: _mode(f) for f in made} == {f.name: 0o600 for f in made}


def test_an_existing_instance_folder_is_made_owner_only(tmp_path):
    checkout = _fresh_checkout(tmp_path)
    (checkout / "instance").mkdir(mode=0o755)
    os.chmod(checkout / "instance", 0o755)  # noqa: S103 (the loose folder to tighten)
    _flask(checkout, "db", "upgrade")
    assert _mode(checkout / "instance") == 0o700
