"""The API edge: idempotent retries, CSRF for cookie sessions, errors always in JSON."""

from __future__ import annotations

import json
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.core.db import unit_of_work
from passnum.core.models import IdempotentResponse
from passnum.extensions import db
from tests.api.conftest import API, api_client, bearer
from tests.api.test_booklets import PERSON, new_person
from tests.conftest import make_app
from tests.factories import PASSWORD, World


def _count(model) -> int:
    return db.session.scalar(select(func.count(model.id)))


def test_retried_post_returns_the_first_answer_and_changes_nothing(client, world):
    headers = bearer(client, world.issuer78)
    person = new_person(client, headers)
    retry = {**headers, "Idempotency-Key": "issue-7f3a"}
    first = client.post(f"{API}/booklets", headers=retry, json={"beneficiary_id": person})
    again = client.post(f"{API}/booklets", headers=retry, json={"beneficiary_id": person})
    assert first.status_code == again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert _count(Booklet) == 1
    assert _count(IdempotentResponse) == 1
    # without the key, the same request is a new attempt: refused as a second booklet
    plain = client.post(f"{API}/booklets", headers=headers, json={"beneficiary_id": person})
    assert plain.status_code == 409


def test_a_key_reused_for_another_request_is_refused(client, world):
    headers = {**bearer(client, world.issuer78), "Idempotency-Key": "k-1"}
    assert client.post(f"{API}/beneficiaries", headers=headers, json=PERSON).status_code == 201
    other = client.post(f"{API}/beneficiaries", headers=headers,
                        json={**PERSON, "last_name": "Autre"})
    assert other.status_code == 422
    assert other.json["error"]["code"] == "idempotency_key_reused"
    # keys belong to their user: another issuer may use the same one
    mine = {**bearer(client, world.issuer92), "Idempotency-Key": "k-1"}
    assert client.post(f"{API}/beneficiaries", headers=mine, json=PERSON).status_code == 201


def test_refusals_are_not_stored_so_a_corrected_retry_goes_through(client, world):
    headers = {**bearer(client, world.issuer78), "Idempotency-Key": "k-2"}
    body = {k: v for k, v in PERSON.items() if k != "consent"}
    refused = client.post(f"{API}/beneficiaries", headers=headers, json=body)
    assert refused.status_code == 422
    assert _count(IdempotentResponse) == 0
    retried = client.post(f"{API}/beneficiaries", headers=headers,
                          json={**body, "consent": True})
    assert retried.status_code == 201


def _age_answers(hours: float) -> None:
    """Make every stored answer ``hours`` older."""
    with unit_of_work():
        for row in db.session.scalars(select(IdempotentResponse)):
            row.created_at = row.created_at - timedelta(hours=hours)


def test_an_expired_answer_is_not_replayed_the_retry_is_a_new_request(app, client, world):
    headers = {**bearer(client, world.issuer78), "Idempotency-Key": "k-old"}
    first = client.post(f"{API}/beneficiaries", headers=headers, json=PERSON)
    assert first.status_code == 201
    _age_answers(app.config.get("IDEMPOTENCY_TTL_HOURS", 48) - 1)
    # within the lifetime: the same request is replayed, another one refused
    again = client.post(f"{API}/beneficiaries", headers=headers, json=PERSON)
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    other = {**PERSON, "last_name": "Autre"}
    assert client.post(f"{API}/beneficiaries", headers=headers,
                       json=other).json["error"]["code"] == "idempotency_key_reused"
    _age_answers(2)
    # past it: the key is free again, the request decided anew (and its answer kept)
    fresh = client.post(f"{API}/beneficiaries", headers=headers, json=other)
    assert fresh.status_code == 201 and "Idempotent-Replayed" not in fresh.headers
    assert fresh.json["last_name"] == "Autre" and fresh.json["id"] != first.json["id"]
    [row] = db.session.scalars(select(IdempotentResponse)).all()
    assert json.loads(row.body)["last_name"] == "Autre"
    replay = client.post(f"{API}/beneficiaries", headers=headers, json=other)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json == fresh.json


@pytest.mark.parametrize("key", ["", "a" * 101, "clé-é", "with space"])
def test_malformed_idempotency_keys_are_refused(client, world, key):
    headers = {**bearer(client, world.issuer78), "Idempotency-Key": key}
    response = client.post(f"{API}/beneficiaries", headers=headers, json=PERSON)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_idempotency_key"


def _race(app: Flask, headers: dict, body: dict) -> list[tuple[int, dict]]:
    """POST ``body`` to /booklets from two threads at once; their statuses and answers."""
    db.session.commit()  # free SQLite's write lock before the threads start
    start, results = threading.Barrier(2), []

    def post() -> None:
        start.wait()
        response = api_client(app).post(f"{API}/booklets", headers=headers, json=body)
        results.append((response.status_code, response.json))

    threads = [threading.Thread(target=post) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_retries_issue_one_booklet(app, client, world):
    headers = bearer(client, world.issuer78)
    person = new_person(client, headers)
    results = _race(app, {**headers, "Idempotency-Key": "race-1"}, {"beneficiary_id": person})
    assert [status for status, _ in results] == [201, 201]
    assert results[0][1] == results[1][1]
    assert _count(Booklet) == 1


def test_concurrent_retries_of_an_expired_key_issue_one_booklet(app, client, world):
    headers = bearer(client, world.issuer78)
    retry = {**headers, "Idempotency-Key": "race-2"}
    first = new_person(client, headers)
    assert client.post(f"{API}/booklets", headers=retry,
                       json={"beneficiary_id": first}).status_code == 201
    _age_answers(app.config["IDEMPOTENCY_TTL_HOURS"] + 1)
    second = new_person(client, headers, last_name="Secondaire")
    results = _race(app, retry, {"beneficiary_id": second})
    assert [status for status, _ in results] == [201, 201]
    assert results[0][1] == results[1][1] and results[0][1]["beneficiary_id"] == second
    assert _count(Booklet) == 2
    assert _count(IdempotentResponse) == 1


@pytest.fixture
def csrf_app(tmp_path: Path, request: pytest.FixtureRequest):
    """An app with CSRF protection on, as in production."""
    app: Flask = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def test_cookie_sessions_need_the_csrf_header_bearer_calls_do_not(csrf_app):
    world = World()
    client = api_client(csrf_app)
    page = client.get("/connexion").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    login = client.post("/connexion", data={"email": world.issuer78.email,
                                            "password": PASSWORD, "csrf_token": csrf})
    assert login.status_code == 302
    # the session cookie authenticates reads...
    assert client.get(f"{API}/beneficiaries/999").status_code == 404
    # ...but a POST riding on it without the page's token is refused
    for headers in ({}, {"X-CSRFToken": "forged"}):
        refused = client.post(f"{API}/beneficiaries", json=PERSON, headers=headers)
        assert refused.status_code == 400
        assert refused.json["error"]["code"] == "csrf_failed"
    assert _count(Beneficiary) == 0
    accepted = client.post(f"{API}/beneficiaries", json=PERSON, headers={"X-CSRFToken": csrf})
    assert accepted.status_code == 201
    other = api_client(csrf_app)
    token = bearer(other, world.issuer92)
    assert other.post(f"{API}/beneficiaries", json=PERSON, headers=token).status_code == 201


def test_http_errors_are_json(client, world):
    headers = bearer(client, world.issuer78)
    missing = client.get(f"{API}/nothing-here", headers=headers)
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong_method = client.delete(f"{API}/booklets/1", headers=headers)
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"
    assert set(wrong_method.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    huge = client.post(f"{API}/beneficiaries", headers=headers,
                       data=b"{" + b" " * (3 * 1024 * 1024) + b"}",
                       content_type="application/json")
    assert huge.status_code == 413
    assert huge.json["error"]["code"] == "payload_too_large"
