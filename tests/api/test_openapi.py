"""GET /api/v1/openapi.json documents exactly the API's routes, with sound schemas."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_spec

from passnum.api.openapi import document
from tests.api.conftest import API, api_client, openapi_path

METHODS = {"get", "post", "put", "patch", "delete"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def _validator(doc: dict[str, Any], name: str) -> Draft202012Validator:
    """A JSON Schema 2020-12 validator of component ``name``."""
    return Draft202012Validator({"$ref": f"#/components/schemas/{name}", **doc},
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def test_document_is_public_json(sqlite_app):
    response = api_client(sqlite_app).get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_document_is_valid_openapi_3_1(sqlite_app):
    validate_spec(document(sqlite_app))


def test_every_api_route_is_documented_and_nothing_else(sqlite_app):
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in sqlite_app.url_map.iter_rules() if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document(sqlite_app)["paths"].items()
                  for method in item if method in METHODS}
    assert routes == documented


def test_operations_are_complete(sqlite_app):
    doc = document(sqlite_app)
    operation_ids = []
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            operation_ids.append(operation["operationId"])
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == set(re.findall(r"{(\w+)}", path)), (path, method)
            assert "default" in operation["responses"] or path.endswith("openapi.json")
            assert any(code.startswith("2") for code in operation["responses"])
            if method == "post":
                assert "requestBody" in operation, path
            public = operation.get("security") == []
            assert public == (path in (f"{API}/tokens", f"{API}/openapi.json")), path
    assert len(operation_ids) == len(set(operation_ids))
    names = set(doc["components"]["schemas"])
    for ref in _refs(doc):
        assert ref.removeprefix("#/components/schemas/") in names, ref


def test_request_schemas_accept_the_documented_examples(sqlite_app):
    doc = document(sqlite_app)
    person = {"first_name": "Camille", "last_name": "Durand", "birth_date": "12/04/1958",
              "postal_code": "78500", "consent": True, "phone": None}
    _validator(doc, "BeneficiaryCreate").validate(person)
    _validator(doc, "BookletCreate").validate({"beneficiary_id": 3, "override_reason": None})
    _validator(doc, "BookletRevoke").validate({"reason": "lost"})
    for bad, schema in (({**person, "postal_code": "785"}, "BeneficiaryCreate"),
                        ({**person, "extra": 1}, "BeneficiaryCreate"),
                        ({"reason": "misplaced"}, "BookletRevoke"),
                        ({"beneficiary_id": 0}, "BookletCreate")):
        assert not _validator(doc, schema).is_valid(bad), (schema, bad)


@pytest.mark.parametrize("undeclared", ["body", "status"])
def test_an_answer_the_contract_does_not_declare_is_refused(sqlite_app, undeclared):
    """A handler answering another model, or with an undeclared status, is a bug."""
    from passnum.api.contract import Operation, Reply, _answer
    from passnum.api.schema import Error, ErrorDetail

    operation = Operation("x", "x", "x", ok={201: Reply("x", Error)})
    answer = Error(error=ErrorDetail(code="c", message="m", field="f", details={}))
    with pytest.raises(TypeError):
        _answer(operation, (answer.error, 201) if undeclared == "body" else (answer, 200))
    assert _answer(operation, (answer, 201))[0]["error"]["code"] == "c"


@pytest.mark.parametrize(("body", "mimetype"), [
    ('{"token": 1, "expires_at": "2030-01-01T00:00:00Z"}', "application/json"),
    ('{"token": "t", "expires_at": "demain"}', "application/json"),
    ('{"token": "t", "expires_at": "2030-01-01T00:00:00Z", "role": "admin"}',
     "application/json"),
    ("<p>jeton</p>", "text/html"),
])
def test_an_undocumented_answer_is_caught(sqlite_app, body, mimetype):
    """The test client's check is real: a body, a format or a type off the document fails."""
    from flask import Response
    from werkzeug.test import EnvironBuilder

    from tests.api.conftest import check_documented

    response = Response(body, 201, mimetype=mimetype)
    response.request = EnvironBuilder(path=f"{API}/tokens", method="POST").get_request()
    with pytest.raises(Exception):  # noqa: B017 (openapi-core's several validation errors)
        check_documented(sqlite_app, response)
    good = Response('{"token": "t", "expires_at": "2030-01-01T00:00:00Z"}', 201,
                    mimetype="application/json")
    good.request = response.request
    check_documented(sqlite_app, good)
