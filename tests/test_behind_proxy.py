"""The production set-up with its real parts: nginx (``deploy/nginx.conf``) in front of
``make serve``'s gunicorn (``gunicorn.conf.py``, several workers), PostgreSQL, and Redis
for the limits, driven from many client addresses (all of 127.0.0.0/8 is loopback: each
client binds its socket to 127.0.0.N).

Needs nginx (``PASSNUM_TEST_NGINX``, default ``/usr/sbin/nginx``), ``openssl`` for a
throw-away certificate, ``PASSNUM_TEST_POSTGRES_URL`` and ``PASSNUM_TEST_REDIS_URL``:
without one of them the tests skip, and fail under ``CI=true``.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import ssl
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from passnum import ROOT, create_app
from tests.conftest import TEST_CONFIG, fresh_postgres_database, unavailable
from tests.factories import PASSWORD

NGINX = os.environ.get("PASSNUM_TEST_NGINX", "/usr/sbin/nginx")
REDIS_URL = os.environ.get("PASSNUM_TEST_REDIS_URL", "")
SITE = ROOT / "deploy" / "nginx.conf"
WORKERS = 3
KEYS = {"PASSNUM_SECRET_KEY": "proxy-test-secret-0123456789",
        "PASSNUM_VOUCHER_KEYS": "proxy-test-voucher-key-0123456789",
        "PASSNUM_AUDIT_KEYS": "proxy-test-audit-key-0123456789"}
VOUCHER_LINKS = 60  # RATELIMIT_VOUCHER_LINKS: anonymous /v/ pages per address a minute


@dataclass
class Stack:
    """The running set-up and the accounts and vouchers made for it."""

    https_port: int
    app_port: int
    database_url: str
    issuers: list[str] = field(default_factory=list)
    agents: list[tuple[str, list[str]]] = field(default_factory=list)  # e-mail, tokens
    clients: list[Client] = field(default_factory=list)  # closed after each test

    def close_clients(self) -> None:
        """Close every client's connection."""
        while self.clients:
            self.clients.pop().connection.close()


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _require() -> None:
    """Skip (fail under CI) without nginx, openssl or Redis."""
    if not (Path(NGINX).is_file() and os.access(NGINX, os.X_OK)):
        unavailable(f"nginx not found at {NGINX} (PASSNUM_TEST_NGINX)")
    if shutil.which("openssl") is None:
        unavailable("openssl not found (for the test's certificate)")
    if not REDIS_URL:
        unavailable("the proxy tests need PASSNUM_TEST_REDIS_URL")
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as err:
        unavailable(f"Redis unreachable at PASSNUM_TEST_REDIS_URL: {err}")


def _populate(database_url: str, stack: Stack) -> None:
    """50 social workers, 40 active venues each with an agent and a 30-chèque booklet
    to scan, made through the services on the migrated database."""
    from passnum.auth.models import Role
    from passnum.core.signing import sign_serial
    from passnum.extensions import db
    from tests.factories import (
        issue,
        make_beneficiary,
        make_departement,
        make_programme,
        make_structure,
        make_user,
        make_venue,
    )

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url,
                      "SECRET_KEY": KEYS["PASSNUM_SECRET_KEY"],
                      "VOUCHER_KEYS": [KEYS["PASSNUM_VOUCHER_KEYS"]]})
    with app.app_context():
        dep = make_departement("78", "Yvelines")
        programme = make_programme([dep], quota=100, vouchers_per_booklet=30)
        office = make_structure(dep, programme, allocation=100)
        issuers = [make_user(Role.ISSUER, structure_id=office.id) for _ in range(50)]
        stack.issuers = [user.email for user in issuers]
        for _ in range(40):
            venue = make_venue(dep)
            agent = make_user(Role.VENUE_AGENT, venue_id=venue.id)
            booklet = issue(issuers[0], make_beneficiary(issuers[0]))
            stack.agents.append((agent.email, [sign_serial(v.serial) for v in booklet.vouchers]))
        db.session.remove()
        db.engine.dispose()


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                    "-keyout", str(key), "-out", str(cert)], check=True, capture_output=True)
    return cert, key


def site_config(https_port: int, http_port: int, app_port: int, cert: Path,
                key: Path) -> str:
    """``deploy/nginx.conf`` with only its ports and certificate paths changed."""
    text = SITE.read_text(encoding="utf-8")
    for pattern, value in (
        (r"listen 80;", f"listen 127.0.0.1:{http_port};"),
        (r"listen 443 ssl", f"listen 127.0.0.1:{https_port} ssl"),
        (r"ssl_certificate     \S+;", f"ssl_certificate     {cert};"),
        (r"ssl_certificate_key \S+;", f"ssl_certificate_key {key};"),
        (r"server 127\.0\.0\.1:8000;", f"server 127.0.0.1:{app_port};"),
    ):
        text, count = re.subn(pattern, value, text)
        assert count == 1, f"deploy/nginx.conf no longer has {pattern!r}"
    return text


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """nginx → gunicorn (gunicorn.conf.py) → PostgreSQL, limits in Redis."""
    _require()
    folder = tmp_path_factory.mktemp("proxy")
    with fresh_postgres_database("passnum_proxy") as database_url:
        env = {**os.environ, **KEYS, "DATABASE_URL": database_url, "REDIS_URL": REDIS_URL,
               # this database's own anchor: the instance's belongs to the instance's database
               "PASSNUM_AUDIT_ANCHOR_PATH": str(folder / "audit-anchor.log"),
               "PASSNUM_RATELIMIT_KEY_PREFIX": f"proxy-test-{uuid.uuid4().hex[:8]}/",
               "WEB_CONCURRENCY": str(WORKERS)}
        env.pop("PASSNUM_TRUSTED_PROXIES", None)  # the default: the local nginx
        subprocess.run([sys.executable, "-m", "flask", "--app", "passnum", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        https_port, app_port = _free_port(), _free_port()
        stack = Stack(https_port, app_port, database_url)
        _populate(database_url, stack)
        env.update(PORT=str(app_port), PASSNUM_BASE_URL=f"https://127.0.0.1:{https_port}")
        cert, key = _certificate(folder)
        (folder / "site.conf").write_text(
            site_config(https_port, _free_port(), app_port, cert, key), encoding="utf-8")
        user = "user root;\n" if os.geteuid() == 0 else ""
        (folder / "nginx.conf").write_text(
            f"{user}worker_processes 1;\nevents {{ worker_connections 1024; }}\n"
            f"http {{ include {folder / 'site.conf'}; }}\n", encoding="utf-8")
        with (folder / "servers.log").open("w+") as log:
            gunicorn = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c",
                                         "gunicorn.conf.py", "wsgi:app"],
                                        cwd=ROOT, env=env, stdout=log, stderr=log)
            nginx = subprocess.Popen(
                [NGINX, "-p", str(folder), "-c", str(folder / "nginx.conf"),
                 "-e", str(folder / "error.log"),
                 "-g", f"daemon off; pid {folder / 'nginx.pid'};"],
                stdout=log, stderr=log)
            try:
                _wait_until_ready(log, gunicorn, nginx, stack)
                yield stack
            finally:
                nginx.terminate()
                gunicorn.terminate()
                nginx.wait(timeout=30)
                gunicorn.wait(timeout=60)


def _wait_until_ready(log: Any, gunicorn: subprocess.Popen, nginx: subprocess.Popen,
                      stack: Stack) -> None:
    """Every gunicorn worker has said it is ready, and nginx answers over TLS."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        for name, process in (("gunicorn", gunicorn), ("nginx", nginx)):
            if process.poll() is not None:
                log.seek(0)
                raise RuntimeError(f"{name} stopped at start:\n{log.read()[-3000:]}")
        log.seek(0)
        if log.read().count(" ready") >= WORKERS:
            try:
                if Client(stack, "127.0.0.1").get("/connexion")[0] == 200:
                    return
            except OSError:
                pass
            finally:
                stack.close_clients()
        time.sleep(0.3)
    raise RuntimeError("the stack did not start")


class Client:
    """A keep-alive HTTPS client to nginx (or HTTP straight to gunicorn) whose socket
    is bound to one loopback address."""

    def __init__(self, stack: Stack, address: str, *, direct: bool = False) -> None:
        """Connect from ``address`` to nginx, or to gunicorn when ``direct``."""
        if direct:
            self.connection: http.client.HTTPConnection = http.client.HTTPConnection(
                "127.0.0.1", stack.app_port, timeout=30, source_address=(address, 0))
        else:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE  # the test's own throw-away certificate
            self.connection = http.client.HTTPSConnection(
                "127.0.0.1", stack.https_port, timeout=30, context=context,
                source_address=(address, 0))
        self.headers: dict[str, str] = {}
        stack.clients.append(self)

    def request(self, method: str, path: str, body: Any = None,
                headers: dict[str, str] | None = None) -> tuple[int, Any]:
        """Send one request; return (status, JSON body or text)."""
        sent = {**self.headers, **(headers or {})}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            sent["Content-Type"] = "application/json"
        self.connection.request(method, path, body=payload, headers=sent)
        response = self.connection.getresponse()
        raw = response.read()
        if response.getheader("Content-Type", "").startswith("application/json"):
            return response.status, json.loads(raw)
        return response.status, raw.decode(errors="replace")

    def get(self, path: str, **headers: str) -> tuple[int, Any]:
        """GET ``path``."""
        return self.request("GET", path, headers=headers)

    def log_in(self, email: str, password: str = PASSWORD) -> int:
        """Ask the API for a token; keep it for the next requests; return the status."""
        status, body = self.request("POST", "/api/v1/tokens",
                                    {"email": email, "password": password})
        if status == 201:
            self.headers["Authorization"] = f"Bearer {body['token']}"
        return status


@pytest.fixture(autouse=True)
def _closed_clients(stack: Stack) -> Iterator[None]:
    yield
    stack.close_clients()


def test_fifty_people_from_fifty_addresses_log_in_within_a_minute(stack):
    def one(n: int) -> int:
        return Client(stack, f"127.0.1.{n + 1}").log_in(stack.issuers[n])

    with ThreadPoolExecutor(max_workers=10) as pool:
        statuses = list(pool.map(one, range(50)))
    assert statuses == [201] * 50


def test_forty_venue_agents_scan_thirty_cheques_each_in_a_minute(stack):
    """Check then redeem each chèque, as the scanner does; nobody is throttled.

    All forty agents share one address (venues behind one network's NAT), so both the
    per-agent and the per-address budgets are spent as fast as the machine can send:
    2,400 requests in about half a minute here.
    """
    def agent(n: int) -> list[int]:
        email, tokens = stack.agents[n]
        client = Client(stack, "127.0.2.1")
        assert client.log_in(email) == 201
        statuses = []
        for token in tokens:
            statuses.append(client.get(f"/api/v1/vouchers/check?code={token}")[0])
            statuses.append(client.request("POST", "/api/v1/redemptions", {"codes": [token]},
                                           {"Idempotency-Key": uuid.uuid4().hex})[0])
        return statuses

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(agent, range(40)))
    assert all(statuses == [200, 201] * 30 for statuses in results), {
        status for statuses in results for status in statuses}


def test_one_address_brute_forcing_is_throttled_the_owner_still_logs_in(stack):
    victim = stack.issuers[-1]
    attacker = Client(stack, "127.0.3.1")
    statuses = [attacker.log_in(victim, f"guess-{n}") for n in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    assert attacker.log_in(victim) == 429  # this address waits, right password or not
    assert Client(stack, "127.0.3.2").log_in(victim) == 201  # the owner, from elsewhere


def test_a_direct_client_forging_the_header_stays_in_its_own_budget(stack):
    """Straight to gunicorn from 127.0.4.1, claiming a new address each time."""
    forger = Client(stack, "127.0.4.1", direct=True)
    statuses = [forger.get("/v/forged.signature", **{"X-Forwarded-For": f"10.0.0.{n}"})[0]
                for n in range(VOUCHER_LINKS + 1)]
    assert statuses == [400] * VOUCHER_LINKS + [429]
    # the address it claimed was never charged: relayed for 10.0.0.1 by a trusted proxy
    # (a request from 127.0.0.1 through nginx), it is fresh
    assert Client(stack, "127.0.0.1").get("/v/forged.signature",
                                          **{"X-Forwarded-For": "10.0.0.1"})[0] == 400
    # nor any other client's
    assert Client(stack, "127.0.4.2").get("/v/forged.signature")[0] == 400


def test_a_header_forged_through_nginx_is_counted_under_the_real_address(stack):
    client = Client(stack, "127.0.5.1")
    statuses = [client.get("/v/forged.signature", **{"X-Forwarded-For": f"10.0.1.{n}"})[0]
                for n in range(VOUCHER_LINKS + 1)]
    assert statuses == [400] * VOUCHER_LINKS + [429]
    # and the audit log names the real address of a failed login, not the forged one
    client.request("POST", "/api/v1/tokens", {"email": "x@example.org", "password": "x"},
                   {"X-Forwarded-For": "10.9.9.9"})
    import psycopg

    url = stack.database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url) as connection:
        last_ip = connection.execute(
            "SELECT ip FROM audit_events WHERE action = 'auth.login_failed' "
            "ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert last_ip == "127.0.5.1"


def test_a_file_of_venues_passes_the_proxy_where_other_large_bodies_do_not(stack):
    """nginx lets a 3 MB file reach the venue import (the app's own 5 MB limit
    applies there) and refuses the same body anywhere else (2 MB)."""
    body = b"x" * (3 * 1024 * 1024)
    client = Client(stack, "127.0.6.1")
    statuses = {}
    for path in ("/lieux/gestion/import", "/connexion"):
        client.connection.request("POST", path, body=body, headers={
            "Content-Type": "application/octet-stream"})
        response = client.connection.getresponse()
        page = response.read().decode(errors="replace")
        statuses[path] = (response.status, "nginx" in page)
        client.connection.close()
    assert statuses["/connexion"] == (413, True)  # nginx's own refusal
    # passed on: the app sends the anonymous request to the login page, having read the
    # body to its end (web.drain_unread_body), so nginx relays the 302 and not a 502
    status, _from_nginx = statuses["/lieux/gestion/import"]
    assert status in (302, 502)
    assert status == 302
