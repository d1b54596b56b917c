"""GET /api/v1/vouchers/check: status without change; forged codes refused and audited."""

from __future__ import annotations

import json
import secrets
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.config import ConfigError
from passnum.core import codes
from passnum.core.signing import sign_serial
from passnum.extensions import db
from tests.api.conftest import API, api_client, bearer
from tests.api.test_booklets import new_booklet
from tests.conftest import make_app
from tests.factories import World

AUDIT_TABLES = {"audit_events", "audit_head"}


def _snapshot() -> dict[str, list]:
    """Every row of every table but the audit log."""
    tables = [t for t in db.metadata.sorted_tables if t.name not in AUDIT_TABLES]
    return {t.name: sorted(map(repr, db.session.execute(select(t)).all())) for t in tables}


def _refusals() -> list[dict]:
    rows = db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "voucher.check_refused")
        .order_by(AuditEvent.seq))
    return [json.loads(d) for d in rows]


def _alter(token: str) -> str:
    """Change one signature character that carries only signature bits.

    (The last base64 character also holds padding bits: some changes to it decode to
    the same bytes, so it is not the one to flip.)
    """
    char = token[-5]
    return token[:-5] + ("A" if char != "A" else "B") + token[-4:]


def _forged(token: str, manual: str) -> list[str]:
    """Codes that must all be refused as invalid."""
    bad_check = manual[:-1] + next(c for c in codes.ALPHABET if c != manual[-1])
    serial = token.rsplit(".", 1)[0]
    return [
        _alter(token),                                                  # signature altered
        token[:-3],                                                     # truncated
        f"http://passnum.test/v/{_alter(token)}",                       # altered link
        sign_serial(serial, keys=["an-other-key-0123456789abcdef"]),    # another key
        sign_serial(serial)[: len(serial)] + ".",                       # empty signature
        secrets.token_urlsafe(24),                                      # random text
        "K7M2-9QXP",                                                    # too short
        "K7M2-9QXP-4TJU",                                               # U is no symbol
        bad_check,                                                      # wrong check char
        "x" * 400,                                                      # too long
        "",                                                             # empty
    ]


def test_forged_codes_are_refused_audited_and_change_nothing(client, world):
    headers = bearer(client, world.agent78)
    booklet = new_booklet(client, bearer(client, world.issuer78))
    voucher = booklet["vouchers"][0]
    token = voucher["url"].rsplit("/v/", 1)[1]
    forged = _forged(token, voucher["manual_code"].replace("-", ""))
    before = _snapshot()
    for code in forged:
        response = client.get(f"{API}/vouchers/check", headers=headers,
                              query_string={"code": code})
        assert response.status_code == 400, code
        assert response.json["error"]["code"] == "invalid_code"
    assert _snapshot() == before
    refusals = _refusals()
    assert len(refusals) == len(forged)
    assert all(r == {"reason": "invalid_code", "channel": "api"} for r in refusals)


def test_unknown_manual_code_is_not_found(client, world):
    headers = bearer(client, world.agent78)
    new_booklet(client, bearer(client, world.issuer78))
    before = _snapshot()
    response = client.get(f"{API}/vouchers/check", headers=headers,
                          query_string={"code": codes.group(codes.new_manual_code())})
    assert response.status_code == 404
    assert response.json["error"]["code"] == "unknown_code"
    assert _snapshot() == before
    assert _refusals() == [{"reason": "unknown_code", "channel": "api"}]


def test_check_needs_a_code_and_a_user(client, world):
    assert client.get(f"{API}/vouchers/check", query_string={"code": "x"}).status_code == 401
    missing = client.get(f"{API}/vouchers/check", headers=bearer(client, world.agent78))
    assert missing.status_code == 400
    assert missing.json["error"]["field"] == "code"


def test_any_role_may_check_and_sees_no_personal_data(client, world):
    booklet = new_booklet(client, bearer(client, world.issuer78), last_name="Zelinski")
    code = booklet["vouchers"][4]["manual_code"]
    for user in (world.agent78, world.issuer92, world.manager92, world.admin):
        response = client.get(f"{API}/vouchers/check", headers=bearer(client, user),
                              query_string={"code": code})
        assert response.status_code == 200
        assert response.json["valid"] is True
        assert response.json["message"] == "Chèque valable."
        assert "Zelinski" not in response.get_data(as_text=True)


@pytest.fixture
def limited_app(tmp_path: Path, request: pytest.FixtureRequest):
    """An app whose code checks are limited to two an hour (moving window)."""
    app: Flask = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True,
                          RATELIMIT_STRATEGY="moving-window",
                          RATELIMIT_CODE_CHECKS="2 per hour",
                          RATELIMIT_CODE_CHECKS_ADDRESS="2 per hour", RATELIMIT_LOGIN="3 per hour")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_code_checks_are_limited_per_user_and_per_ip(limited_app):
    world = World()
    client = api_client(limited_app)
    users = (world.agent78, world.issuer78, world.issuer92, world.manager78)
    agent, issuer78, issuer92, manager = (
        bearer(client, user, environ_base={"REMOTE_ADDR": f"10.9.9.{n}"})
        for n, user in enumerate(users)
    )

    def check(headers: dict[str, str], ip: str) -> int:
        response = client.get(f"{API}/vouchers/check", headers=headers,
                              query_string={"code": codes.new_manual_code()},
                              environ_base={"REMOTE_ADDR": ip})
        if response.status_code == 429:
            assert response.json["error"]["code"] == "rate_limited"
        return response.status_code

    # one user from three addresses: the per-user limit
    assert [check(agent, "10.0.0.1"), check(agent, "10.0.0.2")] == [404, 404]
    assert check(agent, "10.0.0.3") == 429
    # three users from one address: the per-address limit
    assert [check(issuer78, "10.0.0.9"), check(issuer92, "10.0.0.9")] == [404, 404]
    assert check(manager, "10.0.0.9") == 429
    assert check(manager, "10.0.0.4") == 404


def test_token_requests_are_limited_per_ip(limited_app):
    world = World()
    client = api_client(limited_app)
    body = {"email": world.issuer78.email, "password": "wrong-password"}
    statuses = [client.post(f"{API}/tokens", json=body).status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    other_ip = client.post(f"{API}/tokens", json=body, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    assert other_ip.status_code == 401
    assert db.session.scalar(select(func.count(AuditEvent.id))
                             .where(AuditEvent.action == "auth.login_failed")) == 4


def test_an_app_wide_limit_is_refused_at_start(tmp_path: Path, request: pytest.FixtureRequest):
    # limits belong to views (checked by their decorators): an app-wide one would never
    # be checked, so the app does not start with one
    with pytest.raises(ConfigError, match="RATELIMIT_DEFAULT"):
        make_app("sqlite", tmp_path, request, RATELIMIT_DEFAULT="100 per minute")
