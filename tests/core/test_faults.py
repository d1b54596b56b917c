"""The database fails: clear retryable errors, nothing half-written, and the same
request succeeds once the fault clears; ``/healthz`` tells."""

from __future__ import annotations

import socket
import threading
from contextlib import suppress

import psycopg
import pytest
from flask import has_request_context
from sqlalchemy import event, func, select

from passnum.booklets.models import Voucher
from passnum.extensions import db
from passnum.redemptions.models import RedemptionLine
from tests.api.conftest import API, api_client, bearer
from tests.conftest import PG_URL, IsolatedClient, make_app
from tests.factories import World, issue, make_beneficiary

CLOSED_PORT_URL = "postgresql+psycopg://postgres@127.0.0.1:9/nowhere?connect_timeout=1"


def test_healthz_reports_a_working_database(client, app):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json["status"] == "ok" and response.json["database"] == "ok"


@pytest.fixture
def unreachable(tmp_path, request):
    """An app whose database does not answer (nothing listens on its port)."""
    from passnum import create_app
    from tests.conftest import TEST_CONFIG

    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": CLOSED_PORT_URL})
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app


def test_an_unreachable_database_gets_503_with_retry_after(unreachable):
    client = unreachable.test_client()
    health = client.get("/healthz")
    assert health.status_code == 503 and health.json["database"] == "unreachable"
    assert health.headers["Retry-After"] == "5"
    page = client.post("/connexion", data={"email": "a@example.org", "password": "x" * 12})
    assert page.status_code == 503 and page.headers["Retry-After"] == "5"
    assert "momentanément indisponible" in page.text and page.mimetype == "text/html"
    api = client.post(f"{API}/tokens", json={"email": "a@example.org", "password": "x" * 12})
    assert api.status_code == 503 and api.headers["Retry-After"] == "5"
    assert api.json["error"]["code"] == "database_unavailable"


@pytest.mark.postgres
def test_a_backend_killed_before_the_commit_writes_nothing_and_the_retry_succeeds(
        tmp_path, request):
    app = make_app("postgres", tmp_path, request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        voucher = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers[0]
        client = api_client(app)
        headers = {**bearer(client, world.agent78), "Idempotency-Key": "scan-fault-1"}
        killed = []

        def kill_before_commit(conn):
            # everything is written, the request's commit is about to go: the server
            # process dies (the test's own commits, outside the request, go through)
            if has_request_context() and not killed:
                pid = conn.connection.driver_connection.info.backend_pid
                with psycopg.connect(PG_URL, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                killed.append(pid)

        event.listen(db.engine, "commit", kill_before_commit)
        try:
            failed = client.post(f"{API}/redemptions", json={"codes": [voucher.manual_code]},
                                 headers=headers)
        finally:
            event.remove(db.engine, "commit", kill_before_commit)
        assert killed and failed.status_code == 503
        assert failed.headers["Retry-After"] == "5"
        assert failed.json["error"]["code"] == "database_unavailable"
        db.session.expire_all()
        assert db.session.get(Voucher, voucher.id).status == "issued"
        assert db.session.scalar(select(func.count()).select_from(RedemptionLine)) == 0

        retried = client.post(f"{API}/redemptions", json={"codes": [voucher.manual_code]},
                              headers=headers)
        assert retried.status_code == 201, retried.json
        db.session.expire_all()
        assert db.session.get(Voucher, voucher.id).status == "redeemed"
        db.session.remove()
        db.engine.dispose()


def _kill_pooled_backends() -> int:
    """Terminate the server processes behind the pool's idle connections."""
    with psycopg.connect(PG_URL, autocommit=True) as admin:
        name = db.engine.url.database
        return admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()", (name,)).fetchone()[0]


@pytest.mark.postgres
def test_a_connection_back_from_idle_is_checked_before_it_serves(tmp_path, request,
                                                                  monkeypatch):
    """A database restarted while the pool slept costs no request: the connection that
    comes back from an idle spell is checked and replaced. A busy one is not checked,
    so its lost backend costs that request a 503, and the retry succeeds."""
    from passnum.core import db as core_db

    app = make_app("postgres", tmp_path, request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        client = app.test_client()
        assert client.get("/healthz").status_code == 200
        db.session.remove()
        monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 0.0)  # every checkout is "idle"
        assert _kill_pooled_backends() >= 1
        assert client.get("/healthz").status_code == 200  # checked, replaced, served
        monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 3600.0)  # none is idle
        db.session.remove()
        assert _kill_pooled_backends() >= 1
        lost = client.get("/healthz")
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "5"
        assert client.get("/healthz").status_code == 200  # the pool dropped the dead one
        db.session.remove()
        db.engine.dispose()


@pytest.mark.postgres
def test_a_connection_lost_under_the_redemption_statements_answers_503(tmp_path, request,
                                                                      monkeypatch):
    """The redemption's statements run straight on the driver: a lost connection there
    still answers 503 with Retry-After, writes nothing, and is dropped from the pool."""
    from passnum.core import db as core_db

    app = make_app("postgres", tmp_path, request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        voucher = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers[0]
        voucher_id, code = voucher.id, voucher.manual_code
        client = api_client(app)
        headers = {**bearer(client, world.agent78), "Idempotency-Key": "scan-lost-1"}
        db.session.remove()
        monkeypatch.setattr(core_db, "IDLE_PING_SECONDS", 3600.0)  # no check at checkout
        assert _kill_pooled_backends() >= 1
        lost = client.post(f"{API}/redemptions", json={"codes": [code]},
                           headers=headers)
        assert lost.status_code == 503 and lost.headers["Retry-After"] == "5"
        assert lost.json["error"]["code"] == "database_unavailable"
        assert db.session.get(Voucher, voucher_id).status == "issued"
        retried = client.post(f"{API}/redemptions", json={"codes": [code]},
                              headers=headers)
        assert retried.status_code == 201, retried.json
        db.session.remove()
        db.engine.dispose()


class Gate:
    """A TCP relay to PostgreSQL that can be closed and opened again: the database
    unreachable for a while, as when its host restarts."""

    def __init__(self, port: int) -> None:
        """Listen on a free loopback port, relaying to PostgreSQL at ``port``."""
        self.target, self.open = port, threading.Event()
        self.open.set()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.links: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.server.accept()
            except OSError:
                return
            if not self.open.is_set():
                client.close()
                continue
            upstream = socket.create_connection(("127.0.0.1", self.target))
            self.links += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for end in (source, sink):
            with suppress(OSError):
                end.close()

    def close(self) -> None:
        """Cut every connection and refuse new ones."""
        self.open.clear()
        for link in self.links:
            with suppress(OSError):
                link.shutdown(socket.SHUT_RDWR)
        self.links.clear()


@pytest.mark.postgres
def test_the_same_request_succeeds_once_the_database_is_back(tmp_path, request):
    url = request.getfixturevalue("_pg_schema")  # the session's PostgreSQL schema
    gate = Gate(int(url.split("@", 1)[1].split("/", 1)[0].rsplit(":", 1)[1]))
    gated = url.replace(url.split("@", 1)[1].split("/", 1)[0], f"127.0.0.1:{gate.port}")
    app = make_app("postgres", tmp_path, request, SQLALCHEMY_DATABASE_URI=gated)
    with app.app_context():
        world = World()
        voucher = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers[0]
        client = api_client(app)
        headers = {**bearer(client, world.agent78), "Idempotency-Key": "scan-outage"}
        body = {"codes": [voucher.manual_code]}
        db.session.remove()  # the test holds no connection through the outage
        gate.close()
        for _ in range(2):  # the database stays away for a while
            down = client.post(f"{API}/redemptions", json=body, headers=headers)
            assert down.status_code == 503 and down.headers["Retry-After"] == "5"
        assert client.get("/healthz").status_code == 503
        gate.open.set()
        back = client.post(f"{API}/redemptions", json=body, headers=headers)
        assert back.status_code == 201, back.json
        again = client.post(f"{API}/redemptions", json=body, headers=headers)
        assert again.status_code == 201 and again.json["id"] == back.json["id"]
        assert client.get("/healthz").status_code == 200
        db.session.remove()
        db.engine.dispose()
    gate.server.close()
