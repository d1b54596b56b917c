"""API test helpers: an isolated test client that checks every answer against OpenAPI.

Flask reuses the test's application context for requests made inside it, which would
share ``g`` (hence Flask-Login's cached user) and the database session between
requests. ``ApiClient`` gives each request its own application context, as a real
server does, after ending the test's own transaction so that SQLite's write lock is free.

Each answer is validated by openapi-core against the document the application serves
(status, content type, body schema); the validator is built once per session.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from werkzeug.test import TestResponse

from passnum.api.openapi import document
from passnum.auth.models import User
from tests.conftest import IsolatedClient
from tests.factories import PASSWORD, World, fresh_code

API = "/api/v1"
_CONVERTER = re.compile(r"<(?:[^<>]*:)?([^<>:]+)>")


def openapi_path(rule: str) -> str:
    """``/x/<int(max=9):booklet_id>`` → ``/x/{booklet_id}``."""
    return _CONVERTER.sub(r"{\1}", rule)


class _AnsweredRequest(WerkzeugOpenAPIRequest):
    """The request of an answer to check: its body, already read, is not needed."""

    @property
    def body(self) -> bytes | None:
        """Not read again."""
        return None


_VALIDATORS: list[tuple[OpenAPI, Draft202012Validator]] = []


def api_validators(app: Flask) -> tuple[OpenAPI, Draft202012Validator]:
    """The document's response validator, and one for the error body alone; every test
    application serves the same document, so they are built once per session."""
    if not _VALIDATORS:
        doc = document(app)
        error = Draft202012Validator({"$ref": "#/components/schemas/Error", **doc},
                                     format_checker=Draft202012Validator.FORMAT_CHECKER)
        _VALIDATORS.append((OpenAPI.from_dict(doc), error))
    return _VALIDATORS[0]


def check_documented(app: Flask, response: TestResponse) -> None:
    """Assert that an API response is documented: status, content type and body schema."""
    request = response.request
    if not request.path.startswith(API + "/") or request.method in ("HEAD", "OPTIONS"):
        return
    openapi, error = api_validators(app)
    try:
        openapi.validate_response(_AnsweredRequest(request),
                                  WerkzeugOpenAPIResponse(response))
    except (PathNotFound, OperationNotFound):
        # no such route or method: Flask's 404 or 405, in the API's error shape
        assert response.status_code in (404, 405), response.status_code
        error.validate(response.get_json())


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
