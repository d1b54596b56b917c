"""POST /api/v1/tokens: credentials for a bearer token; bearer authentication."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import ApiToken
from passnum.core.clock import frozen
from passnum.extensions import db
from tests.api.conftest import API, bearer
from tests.factories import PASSWORD


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_token_is_created_with_its_expiry(client, world):
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    with frozen(at):
        response = client.post(f"{API}/tokens",
                               json={"email": world.issuer78.email, "password": PASSWORD})
    assert response.status_code == 201
    assert set(response.json) == {"token", "expires_at"}
    assert response.json["expires_at"] == "2025-03-01T21:30:00Z"  # 12 hours later, UTC
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1
    stored = db.session.scalar(select(ApiToken.token_hash))
    assert stored == hashlib.sha256(response.json["token"].encode()).hexdigest()


def test_wrong_password_is_refused_and_audited(client, world):
    response = client.post(f"{API}/tokens",
                           json={"email": world.issuer78.email, "password": "not-the-one"})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    failed = _events("auth.login_failed")
    assert len(failed) == 1
    assert failed[0].object_id == str(world.issuer78.id)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_unknown_email_gets_the_same_answer(client, world):
    response = client.post(f"{API}/tokens",
                           json={"email": "nobody@example.org", "password": PASSWORD})
    assert response.status_code == 401
    assert response.json["error"]["code"] == "invalid_credentials"
    assert len(_events("auth.login_failed")) == 1


def test_token_request_must_be_well_formed(client, world):
    for body in ({"email": world.issuer78.email}, {"email": 1, "password": PASSWORD},
                 {"email": "a@b.fr", "password": PASSWORD, "role": "admin"}):
        response = client.post(f"{API}/tokens", json=body)
        assert response.status_code == 400, body
    response = client.post(f"{API}/tokens", data="email=a&password=b",
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_bearer_token_authenticates(client, world):
    person = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78), json={
        "first_name": "Camille", "last_name": "Durand", "birth_date": "1958-04-12",
        "postal_code": "78500", "consent": True})
    assert person.status_code == 201
    other = client.get(f"{API}/beneficiaries/{person.json['id']}",
                       headers=bearer(client, world.issuer92))
    assert other.status_code == 404  # the token names its user: scope follows


def test_missing_or_garbage_bearer_is_refused(client, world):
    for headers in ({}, {"Authorization": "Bearer not-a-token"},
                    {"Authorization": "Bearer " + "x" * 500}, {"Authorization": "Basic abc"}):
        response = client.get(f"{API}/booklets/1", headers=headers)
        assert response.status_code == 401, headers
        assert response.json["error"]["code"] == "unauthenticated"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_refused(client, world):
    at = datetime(2025, 3, 1, 9, 30, tzinfo=UTC)
    with frozen(at):
        headers = bearer(client, world.issuer78)
        assert client.get(f"{API}/booklets/1", headers=headers).status_code == 404
    with frozen(at + timedelta(hours=12, seconds=1)):
        assert client.get(f"{API}/booklets/1", headers=headers).status_code == 401
