"""Generated requests against ``/api/v1/openapi.json`` (schemathesis): every operation,
valid and invalid input alike, as an anonymous caller and as each role.

Whatever the input, the API must never answer 5xx, and every answer must match the
document: a documented status code, the declared content type, the declared schema.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode

from passnum.extensions import db
from tests.api.conftest import bearer
from tests.conftest import IsolatedClient, make_app
from tests.factories import World, issue, make_beneficiary, make_workshop

EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


@pytest.fixture(scope="module")
def api_app(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Any:
    """One app for the module: a world with objects, and a bearer token per role."""
    app = make_app("sqlite", tmp_path_factory.mktemp("schemathesis"), request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        issue(world.issuer78, make_beneficiary(world.issuer78))
        make_workshop(world.venue78)
        client = app.test_client()
        app.config["ROLE_HEADERS"] = {
            "anonymous": {},
            **{name: bearer(client, user) for name, user in (
                ("admin", world.admin), ("manager", world.manager78),
                ("issuer", world.issuer78), ("venue_agent", world.agent78))},
        }
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


def _operations(app: Any) -> list[Any]:
    """Every operation of the app's own OpenAPI document."""
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    return [result.ok() for result in schema.get_all_operations()]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_server_error_and_every_answer_documented(api_app: Any, mode: Any) -> None:
    """Valid (positive) and invalid (negative) requests for each operation, each sent as
    every role; failures are collected per operation and reported together."""
    failures: dict[str, str] = {}
    operations = _operations(api_app)
    assert len(operations) >= 15

    for operation in operations:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def call(case: Any) -> None:
            for headers in api_app.config["ROLE_HEADERS"].values():
                with api_app.app_context():
                    case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            call()
        except Exception as err:
            failures[operation.label] = str(err)[:800]
    assert failures == {}
