"""The database fails: clear retryable errors, nothing half-written, and the same
request succeeds once the fault clears; ``/healthz`` tells."""

from __future__ import annotations

import psycopg
import pytest
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
def test_a_backend_killed_mid_redemption_writes_nothing_and_the_retry_succeeds(
        tmp_path, request):
    app = make_app("postgres", tmp_path, request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        voucher = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers[0]
        client = api_client(app)
        headers = {**bearer(client, world.agent78), "Idempotency-Key": "scan-fault-1"}
        killed = []

        def kill_on_update(conn, cursor, statement, *_args):
            # the moment the voucher is taken, its server process dies
            if statement.lstrip().upper().startswith("UPDATE VOUCHERS") and not killed:
                pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
                with psycopg.connect(PG_URL, autocommit=True) as admin:
                    admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
                killed.append(pid)

        event.listen(db.engine, "before_cursor_execute", kill_on_update)
        try:
            failed = client.post(f"{API}/redemptions", json={"codes": [voucher.manual_code]},
                                 headers=headers)
        finally:
            event.remove(db.engine, "before_cursor_execute", kill_on_update)
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
