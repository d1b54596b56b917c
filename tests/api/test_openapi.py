"""GET /api/v1/openapi.json documents exactly the API's routes, with sound schemas."""

from __future__ import annotations

import json
import re
from typing import Any

from passnum.api.openapi import document
from tests.api.conftest import API, api_client, openapi_path
from tests.api.schemacheck import resolve, validate

METHODS = {"get", "post", "put", "patch", "delete"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for v in node.values() for r in _refs(v)]
    if isinstance(node, list):
        return [r for v in node for r in _refs(v)]
    return []


def test_document_is_public_json(sqlite_app):
    response = api_client(sqlite_app).get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = json.loads(response.get_data(as_text=True))
    assert doc["openapi"].startswith("3.1")
    assert set(doc["components"]["securitySchemes"]) == {"bearerAuth", "cookieAuth"}
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_every_api_route_is_documented_and_nothing_else(sqlite_app):
    routes = {
        (openapi_path(rule.rule), method.lower())
        for rule in sqlite_app.url_map.iter_rules() if rule.rule.startswith(API + "/")
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }
    documented = {(path, method) for path, item in document()["paths"].items()
                  for method in item if method in METHODS}
    assert routes == documented


def test_operations_are_complete(sqlite_app):
    doc = document()
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
    for ref in _refs(doc):
        assert resolve(doc, {"$ref": ref})


def test_request_schemas_accept_the_documented_examples():
    doc = document()
    schemas = doc["components"]["schemas"]
    person = {"first_name": "Camille", "last_name": "Durand", "birth_date": "12/04/1958",
              "postal_code": "78500", "consent": True, "phone": None}
    validate(person, schemas["BeneficiaryCreate"], doc)
    validate({"beneficiary_id": 3, "override_reason": None}, schemas["BookletCreate"], doc)
    validate({"reason": "lost"}, schemas["BookletRevoke"], doc)
    for bad, schema in (({**person, "postal_code": "785"}, "BeneficiaryCreate"),
                        ({**person, "extra": 1}, "BeneficiaryCreate"),
                        ({"reason": "misplaced"}, "BookletRevoke"),
                        ({"beneficiary_id": 0}, "BookletCreate")):
        try:
            validate(bad, schemas[schema], doc)
        except AssertionError:
            continue
        raise AssertionError(f"{schema} accepted {bad}")
