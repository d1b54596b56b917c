"""The client's address behind the reverse proxy (``PASSNUM_TRUSTED_PROXIES``).

Requests arrive as nginx sends them: from 127.0.0.1 with ``X-Forwarded-For``; direct
clients arrive from their own address, whatever header they forge.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.config import ConfigError
from passnum.core import codes
from passnum.core.proxy import client_address, parse_networks
from passnum.extensions import db
from tests.api.conftest import API, api_client, bearer
from tests.conftest import make_app
from tests.factories import World

PROXY = "127.0.0.1"


def via_proxy(client_ip: str, forged: str = "", **headers: str) -> dict[str, object]:
    """What the test client sends for a request relayed by the local nginx."""
    chain = f"{forged}, {client_ip}" if forged else client_ip
    return {"environ_base": {"REMOTE_ADDR": PROXY},
            "headers": {**headers, "X-Forwarded-For": chain, "X-Forwarded-Proto": "https"}}


def direct(client_ip: str, forged: str = "") -> dict[str, object]:
    """A client talking to the app server itself, forging the header if it likes."""
    return {"environ_base": {"REMOTE_ADDR": client_ip},
            "headers": {"X-Forwarded-For": forged} if forged else {}}


@pytest.fixture
def limited(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app with its production limits on, on SQLite and PostgreSQL."""
    app = make_app(backend, tmp_path, request, RATELIMIT_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def failed_login_ip(client, **how) -> str:
    """The address the audit log records for a failed login sent ``how``."""
    response = client.post(f"{API}/tokens", json={"email": "x@example.org", "password": "no"},
                           **how)
    assert response.status_code == 401
    return db.session.scalars(select(AuditEvent.ip).where(
        AuditEvent.action == "auth.login_failed").order_by(AuditEvent.seq.desc())).first()


def test_the_audit_records_the_client_behind_the_proxy_never_a_forged_one(limited):
    client = api_client(limited)
    assert failed_login_ip(client, **via_proxy("198.51.100.7")) == "198.51.100.7"
    # what a client wrote itself, left of what nginx appended, is not believed
    assert failed_login_ip(client, **via_proxy("198.51.100.8", forged="192.0.2.1")) == (
        "198.51.100.8")
    # a client reaching the app server directly cannot choose its address
    assert failed_login_ip(client, **direct("203.0.113.5", forged="192.0.2.1")) == (
        "203.0.113.5")


def test_forged_voucher_links_never_spend_the_venues_scanning_budget(limited):
    """240 anonymous forged /v/ requests, then venue agents of every address still scan."""
    world = World()
    client = api_client(limited)
    agent = bearer(client, world.agent78, **via_proxy("198.51.100.20"))
    statuses = {client.get("/v/forged.signature", **via_proxy("198.51.100.66")).status_code
                for _ in range(240)}
    assert statuses == {400, 429}  # the forger meets its own budget
    for address in ("198.51.100.20", "198.51.100.66", "198.51.100.21"):
        response = client.get(f"{API}/vouchers/check",
                              query_string={"code": codes.new_manual_code()},
                              **via_proxy(address, **agent))
        assert response.status_code == 404, response.json  # checked: unknown, not limited


def test_a_direct_client_forging_the_header_stays_in_its_own_budget(limited):
    client = limited.test_client()
    limit = 60  # RATELIMIT_VOUCHER_LINKS
    statuses = [client.get("/v/forged.signature",
                           **direct("203.0.113.9", forged=f"192.0.2.{n % 250}")).status_code
                for n in range(limit + 1)]
    assert statuses[:limit] == [400] * limit and statuses[limit] == 429
    # through the proxy, the address it forged is another client, not yet limited
    assert client.get("/v/forged.signature", **via_proxy("192.0.2.3")).status_code == 400
    # and through the proxy, the same client keeps its own (spent) budget
    assert client.get("/v/forged.signature",
                      **via_proxy("203.0.113.9", forged="192.0.2.4")).status_code == 429


@pytest.mark.parametrize(("peer", "header", "expected"), [
    ("127.0.0.1", "198.51.100.1", "198.51.100.1"),
    ("127.0.0.1", "192.0.2.9, 198.51.100.1", "198.51.100.1"),
    ("127.0.0.1", "198.51.100.1, 127.0.0.1", "198.51.100.1"),  # two proxies in a row
    ("127.0.0.1", "not-an-address", "127.0.0.1"),
    ("127.0.0.1", "", "127.0.0.1"),
    ("::1", "2001:db8::5", "2001:db8::5"),
    ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not a proxy: header ignored
])
def test_the_client_is_the_right_most_address_not_a_proxy(peer, header, expected):
    assert client_address(peer, header, parse_networks("127.0.0.1,::1")) == expected


def test_an_unreadable_proxy_setting_stops_the_start(tmp_path, request):
    with pytest.raises(ConfigError, match="TRUSTED_PROXIES"):
        make_app("sqlite", tmp_path, request, TRUSTED_PROXIES="127.0.0.1, nginx")
