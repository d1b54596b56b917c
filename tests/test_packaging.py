"""A plain ``pip install`` of the wheel is a working passnum: templates, static files
(the npm-built ``static/vendor`` included) and migrations ship inside the package.

The wheel is built without build isolation (setuptools from the test environment: no
network), installed with ``--no-deps`` into a fresh virtual environment, which then
borrows the already installed dependencies through a ``.pth`` path entry added after the
install; from a directory outside the repository it migrates a scratch SQLite database
and serves the login page and static files over HTTP.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.request
import zipfile
from pathlib import Path

import flask
import pytest

from passnum import ROOT
from tests.conftest import unavailable

TIMEOUT = 300


def _run(args: list[str], **kw) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, **kw)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, bytes]:
    """GET ``url``, retrying until the server listens or ``deadline`` passes."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return response.status, response.read()
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """passnum's wheel, built from this checkout without network."""
    try:
        import setuptools  # noqa: F401  (the build backend, used in place)
    except ImportError:
        unavailable("building the wheel offline needs setuptools in the test environment")
    out = tmp_path_factory.mktemp("wheels")
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
          "--no-index", "--quiet", "--wheel-dir", str(out), str(ROOT)])
    return next(out.glob("passnum-*.whl"))


def test_the_wheel_holds_templates_static_files_and_migrations(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    for path in ("passnum/templates/base.html", "passnum/templates/auth/login.html",
                 "passnum/static/css/app.css", "passnum/migrations/env.py",
                 "passnum/migrations/alembic.ini", "passnum/migrations/script.py.mako"):
        assert path in names, path
    revisions = sorted((ROOT / "migrations" / "versions").glob("*.py"))
    assert revisions and all(f"passnum/migrations/versions/{r.name}" in names
                             for r in revisions)
    # the front-end libraries are built by npm (`make assets`), not committed
    for built in sorted((ROOT / "static" / "vendor").glob("*.js")):
        assert f"passnum/static/vendor/{built.name}" in names, built.name
    # the commune reference ships with the package, never fetched at run time
    for data in ("communes.csv.gz", "communes.source.txt"):
        assert f"passnum/communes/data/{data}" in names, data
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_a_plain_install_migrates_and_serves(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", str(venv)])
    python = venv / "bin" / "python"
    _run([str(python), "-m", "pip", "install", "--no-deps", "--no-index", "--quiet",
          str(wheel)])
    # the dependencies come from the test environment; added after the install so that
    # pip never sees (nor touches) the editable passnum installed there
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_path("
                      "'purelib'))"]).stdout.strip())
    (site / "test_dependencies.pth").write_text(
        str(Path(flask.__file__).resolve().parent.parent) + "\n", encoding="utf-8")
    assert sysconfig.get_path("purelib") != str(site)

    workdir = tmp_path / "elsewhere"  # outside the repository: nothing found by accident
    workdir.mkdir()
    port = _free_port()
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env.update({"DATABASE_URL": f"sqlite:///{tmp_path / 'scratch.sqlite3'}",
                "PASSNUM_BASE_URL": f"http://127.0.0.1:{port}", "PYTHONNOUSERSITE": "1"})
    where = _run([str(python), "-c", "import passnum; print(passnum.__file__)"],
                 cwd=workdir, env=env).stdout.strip()
    assert Path(where).is_relative_to(site), where
    _run([str(python), "-m", "flask", "--app", "passnum", "db", "upgrade"],
         cwd=workdir, env=env)
    found = _run([str(python), "-c", "from passnum.communes.reference import commune; "
                  "print(commune('78646').name)"], cwd=workdir, env=env).stdout.strip()
    assert found == "Versailles"

    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "passnum:create_app()"], cwd=workdir, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        status, page = _get(f"http://127.0.0.1:{port}/connexion", deadline)
        assert status == 200 and "Connexion" in page.decode("utf-8")
        status, css = _get(f"http://127.0.0.1:{port}/static/css/app.css", deadline)
        assert status == 200 and css == (ROOT / "static" / "css" / "app.css").read_bytes()
        for built in sorted((ROOT / "static" / "vendor").glob("*.js")):
            status, body = _get(f"http://127.0.0.1:{port}/static/vendor/{built.name}",
                                deadline)
            assert status == 200 and body == built.read_bytes()
    finally:
        server.terminate()
        server.wait(timeout=60)
        log.close()
