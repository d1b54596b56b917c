"""50 phones redeem the same voucher at once through the real HTTP stack: one wins.

Each client is a thread with its own TCP connection; the server is Werkzeug's threaded
server, each request with its own database connection, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import http.client
import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.extensions import db
from passnum.redemptions.models import RedemptionLine
from tests.conftest import make_app
from tests.factories import PASSWORD, World, issue, make_beneficiary, make_workshop
from tests.liveserver import serve

CLIENTS = 50


def call(url: str, method: str, path: str, body: dict | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict]:
    """One request on its own connection; returns (status, JSON body)."""
    host = url.removeprefix("http://")
    connection = http.client.HTTPConnection(host, timeout=60)
    try:
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json", **(headers or {})})
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"{}")
    finally:
        connection.close()


def concurrently(count: int, action) -> list[tuple[int, dict]]:
    """Run ``action`` in ``count`` threads released together; return their results."""
    barrier = threading.Barrier(count, timeout=60)
    results: list[tuple[int, dict]] = [(0, {})] * count

    def run(i: int) -> None:
        barrier.wait()
        results[i] = action()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert not any(t.is_alive() for t in threads), "a client never got its answer"
    return results


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_fifty_concurrent_redemptions_of_one_voucher(backend: str, tmp_path: Path,
                                                     request: pytest.FixtureRequest) -> None:
    with serve(lambda url: make_app(backend, tmp_path, request, BASE_URL=url)) as (url, app):
        with app.app_context():
            world = World()
            booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
            workshop_id = make_workshop(world.venue78, price=3, capacity=50).id
            code = booklet.vouchers[0].manual_code
            basket = [v.manual_code for v in booklet.vouchers[1:4]]
            email = world.agent78.email
            db.session.commit()
        status, token = call(url, "POST", "/api/v1/tokens",
                             {"email": email, "password": PASSWORD})
        assert status == 201
        auth = {"Authorization": f"Bearer {token['token']}"}

        results = concurrently(CLIENTS, lambda: call(
            url, "POST", "/api/v1/redemptions", {"codes": [code]}, auth))

        statuses = sorted(status for status, _ in results)
        assert statuses == [201] + [409] * (CLIENTS - 1), statuses
        codes = {body["error"]["code"] for status, body in results if status == 409}
        assert codes == {"already_redeemed"}

        # a basket with one already-redeemed voucher takes none of the others
        status, body = call(url, "POST", "/api/v1/redemptions",
                            {"codes": [*basket[:2], code], "workshop_id": workshop_id}, auth)
        assert status == 409 and body["error"]["code"] == "already_redeemed"

        with app.app_context():
            lines = db.session.scalar(select(func.count()).select_from(RedemptionLine))
            redeemed = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "voucher.redeemed"))
            refused = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.action == "voucher.redeem_refused"))
            assert (lines, redeemed, refused) == (1, 1, CLIENTS)
            assert verify().ok
