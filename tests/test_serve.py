"""``make serve``: the gunicorn configuration loads and serves the app (on SQLite here)."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import runpy
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from passnum import ROOT

CONFIG = ROOT / "gunicorn.conf.py"


def settings(**env: str) -> dict:
    """The module's values under this environment."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        return runpy.run_path(str(CONFIG))
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_workers_bind_and_timeouts_follow_the_environment():
    values = settings(PORT="8123", WEB_CONCURRENCY="3", GUNICORN_THREADS="1")
    assert values["bind"] == "127.0.0.1:8123"
    assert (values["workers"], values["threads"], values["worker_class"]) == (3, 1, "sync")
    assert values["graceful_timeout"] > 0 and values["timeout"] > 0
    assert settings(PORT="0.0.0.0:9000")["bind"] == "0.0.0.0:9000"


def test_gunicorn_trusts_the_apps_proxies_one_setting():
    """X-Forwarded-Proto is believed from the same proxies as X-Forwarded-For."""
    os.environ.pop("PASSNUM_TRUSTED_PROXIES", None)
    assert settings()["forwarded_allow_ips"] == "127.0.0.1/32,::1/128"
    values = settings(PASSNUM_TRUSTED_PROXIES="10.0.0.7, 192.168.1.0/24")
    assert values["forwarded_allow_ips"] == "10.0.0.7/32,192.168.1.0/24"
    assert values["proxy_allow_ips"] == values["forwarded_allow_ips"]


def test_defaults_scale_with_the_cpus():
    for name in ("PORT", "WEB_CONCURRENCY", "GUNICORN_THREADS"):
        os.environ.pop(name, None)
    values = settings()
    assert values["bind"] == "127.0.0.1:8000"
    assert values["workers"] == len(os.sched_getaffinity(0)) + 1
    assert (values["threads"], values["worker_class"]) == (1, "sync")
    assert values["logconfig_dict"]["root"]["handlers"] == ["stderr"]


def test_a_ready_worker_has_the_app_out_of_the_collectors_reach():
    logged = []

    class Worker:
        pid = 4321
        log = type("Log", (), {"info": staticmethod(lambda *args: logged.append(args))})

    gc.unfreeze()
    try:
        settings()["post_worker_init"](Worker())
        assert gc.get_freeze_count() > 10_000  # the app's modules and objects
    finally:
        gc.unfreeze()
    assert logged == [("worker %s ready", 4321)]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, deadline: float) -> tuple[int, dict[str, str]]:
    """GET ``url``, retrying until the server listens or ``deadline`` passes."""
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (loopback)
                return response.status, dict(response.headers)
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_gunicorn_serves_the_app_with_json_logs(tmp_path: Path):
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
           "PASSNUM_BASE_URL": f"http://127.0.0.1:{port}",
           # this database's own anchor: the instance's belongs to the instance's database
           "PASSNUM_AUDIT_ANCHOR_PATH": str(tmp_path / "audit-anchor.log")}
    subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG),
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            status, headers = _get(f"http://127.0.0.1:{port}/connexion?email=someone",
                                   time.monotonic() + 60)
        finally:
            server.terminate()
            server.wait(timeout=60)
    assert status == 200 and len(headers["X-Request-ID"]) == 32
    entries = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    access = [e for e in entries if e["logger"] == "passnum.access"]
    assert access and access[0]["request_id"] == headers["X-Request-ID"]
    assert access[0]["path"] == "/connexion" and access[0]["status"] == 200
    assert any(e["logger"] == "gunicorn.error" for e in entries)
    # one access record per request, the app's: gunicorn's own (with the query string,
    # which may name a person) is not written
    assert not [e for e in entries if e["logger"] == "gunicorn.access"]
    assert "someone" not in log.read_text()


def test_gunicorn_logs_no_voucher_token_nor_code(tmp_path: Path):
    """Behind ``make serve`` a token in ``/v/<token>`` and a code in a query string are
    never written: the app's record shows ``/v/…``, gunicorn's own access log is off."""
    port = _free_port()
    env = {**os.environ, "PORT": str(port), "WEB_CONCURRENCY": "1",
           "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.sqlite3'}",
           "PASSNUM_BASE_URL": f"http://127.0.0.1:{port}"}
    subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", "db", "upgrade"],
                   cwd=ROOT, env=env, check=True, capture_output=True)
    token = "78-K7M2-9QX4-07.Zt3nq0dS2QbW1yX8rVh5aLkP4mJc6uEo9iGf7sTzQwY"
    manual = "K7M29QXP4TJ6"
    log = tmp_path / "gunicorn.log"
    with log.open("w") as out:
        server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", str(CONFIG),
                                   "wsgi:app"], cwd=ROOT, env=env, stdout=out, stderr=out)
        try:
            deadline = time.monotonic() + 60
            _get(f"http://127.0.0.1:{port}/connexion", deadline)
            for path in (f"/v/{token}", f"/v/{token}?code={manual}",
                         f"/api/v1/vouchers/check?code={manual}"):
                # refused (a forged token, no API token): logged all the same
                with contextlib.suppress(urllib.error.HTTPError), urllib.request.urlopen(
                        f"http://127.0.0.1:{port}{path}", timeout=30):
                    pass
        finally:
            server.terminate()
            server.wait(timeout=60)
    text = log.read_text()
    entries = [json.loads(line) for line in text.splitlines() if line.strip()]
    paths = [e["path"] for e in entries if e["logger"] == "passnum.access"]
    assert paths == ["/connexion", "/v/…", "/v/…", "/api/v1/vouchers/check"]
    assert token.split(".")[1] not in text and manual not in text
