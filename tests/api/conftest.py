"""API test helpers: an isolated test client that checks every answer against OpenAPI.

Flask reuses the test's application context for requests made inside it, which would
share ``g`` (hence Flask-Login's cached user) and the database session between
requests. ``ApiClient`` gives each request its own application context, as a real
server does, after ending the test's own transaction so that SQLite's write lock is free.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.exceptions import HTTPException
from werkzeug.test import TestResponse

from passnum.api.openapi import document
from passnum.auth.models import User
from tests.api.schemacheck import validate
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, World, fresh_code

API = "/api/v1"
_CONVERTER = re.compile(r"<(?:[^<>]*:)?([^<>:]+)>")


def openapi_path(rule: str) -> str:
    """``/x/<int(max=9):booklet_id>`` → ``/x/{booklet_id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


def check_documented(app: Flask, response: TestResponse) -> None:
    """Assert that an API response is documented: status, content type and body schema."""
    request = response.request
    if not request.path.startswith(API + "/") or request.method in ("HEAD", "OPTIONS"):
        return
    doc = document()
    adapter = app.url_map.bind("passnum.test")
    try:
        rule, _ = adapter.match(request.path, method=request.method, return_rule=True)
    except HTTPException:
        validate(response.get_json(), {"$ref": "#/components/schemas/Error"}, doc)
        return
    operation = doc["paths"][openapi_path(rule.rule)][request.method.lower()]
    spec = operation["responses"].get(str(response.status_code))
    spec = spec or operation["responses"].get("default")
    assert spec is not None, f"undocumented status {response.status_code} for {rule.rule}"
    assert response.mimetype in spec["content"], f"undocumented type {response.mimetype}"
    if response.mimetype == "application/json":
        validate(response.get_json(), spec["content"]["application/json"]["schema"], doc)


class ApiClient(IsolatedClient):
    """An isolated test client that checks every API answer against OpenAPI."""

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        """Send a request like another process would, then check it against OpenAPI."""
        response = super().open(*args, **kwargs)
        check_documented(self.application, response)
        return response


def api_client(app: Flask) -> ApiClient:
    """An ``ApiClient`` for ``app``."""
    app.test_client_class = ApiClient
    return app.test_client()


@pytest.fixture
def client(app: Flask) -> ApiClient:
    """The API test client (overrides the plain one)."""
    return api_client(app)


@pytest.fixture
def world(app: Flask) -> World:
    """Two départements with their structures, issuers, managers and a venue agent."""
    return World()


def bearer(client: FlaskClient, user: User, **request: Any) -> dict[str, str]:
    """Authorization headers for ``user``, with a token obtained from the API."""
    credentials = {"email": user.email, "password": PASSWORD}
    if user.totp_secret:  # administrators and managers add their app's code
        credentials["totp"] = fresh_code(user.id)
    response = client.post(f"{API}/tokens", json=credentials, **request)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


@pytest.fixture
def world_allocation_1(app: Flask) -> World:
    """A world whose structures may issue one booklet each."""
    return World(allocation=1)
