"""Structured logs: one JSON access line per request, tied to it by the X-Request-ID."""

from __future__ import annotations

import json
import logging
import logging.config
import sys

import pytest

from passnum.core.logging import JsonFormatter, json_log_config
from tests.api.conftest import API, bearer
from tests.conftest import JsonLines
from tests.factories import beneficiary_data, issue, make_beneficiary


def access_entry(lines: JsonLines, path: str) -> dict:
    matching = [e for e in lines.entries() if e["logger"] == "passnum.access"
                and e["path"] == path]
    assert len(matching) == 1, lines.lines
    return matching[0]


def test_access_line_has_the_request_id_and_no_personal_data(client, world, json_lines):
    headers = bearer(client, world.issuer78)
    body = beneficiary_data(first_name="Philomène", last_name="Quintard-Ravel")
    created = client.post(f"{API}/beneficiaries", headers=headers, json=body)
    assert created.status_code == 201
    entry = access_entry(json_lines, f"{API}/beneficiaries")
    assert set(entry) >= {"time", "level", "logger", "message", "request_id", "method",
                          "path", "status", "duration_ms", "user_id"}
    assert entry["request_id"] == created.headers["X-Request-ID"]
    assert (entry["method"], entry["status"], entry["user_id"]) == ("POST", 201,
                                                                    world.issuer78.id)
    assert entry["level"] == "INFO" and entry["duration_ms"] >= 0
    for line in json_lines.lines:
        assert "Philom" not in line and "Quintard" not in line
        assert world.issuer78.email not in line and "@" not in line


def test_query_strings_are_not_logged(client, world, json_lines):
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    code = booklet.vouchers[0].manual_code
    response = client.get(f"{API}/vouchers/check", query_string={"code": code},
                          headers=bearer(client, world.agent78))
    assert response.status_code == 200
    entry = access_entry(json_lines, f"{API}/vouchers/check")
    assert entry["message"] == f"GET {API}/vouchers/check 200"
    assert all(code not in line and "?" not in line for line in json_lines.lines)


def test_a_valid_request_id_is_passed_through(client, world, json_lines):
    rid = "3f2b8c1e-9d4a-4c7b-a1e2-0c9d8b7a6f54"
    response = client.get("/connexion", headers={"X-Request-ID": rid})
    assert response.headers["X-Request-ID"] == rid
    assert access_entry(json_lines, "/connexion")["request_id"] == rid


@pytest.mark.parametrize("given", ["short", "jean.dupont@example.org", "a b c d e f g h",
                                   "x" * 200, "<script>alert(1)</script>"])
def test_an_invalid_request_id_is_replaced(client, world, json_lines, given):
    response = client.get("/connexion", headers={"X-Request-ID": given})
    rid = response.headers["X-Request-ID"]
    assert rid != given and len(rid) == 32 and rid.isalnum()
    assert access_entry(json_lines, "/connexion")["request_id"] == rid
    assert given not in "\n".join(json_lines.lines)


def test_each_request_gets_its_own_id(client, world):
    first = client.get("/connexion").headers["X-Request-ID"]
    second = client.get("/connexion").headers["X-Request-ID"]
    assert first != second


def test_records_logged_during_a_request_carry_its_id(app):
    formatter = JsonFormatter()
    with app.test_request_context("/", headers={"X-Request-ID": "req-0123456789"}):
        app.preprocess_request()
        record = logging.getLogger("passnum.test").makeRecord(
            "passnum.test", logging.WARNING, __file__, 1, "voucher %s refused", ("V-1",), None)
        entry = json.loads(formatter.format(record))
    assert entry == {"time": entry["time"], "level": "WARNING", "logger": "passnum.test",
                     "message": "voucher V-1 refused", "request_id": "req-0123456789"}


def test_tracebacks_stay_inside_one_json_line():
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.getLogger("x").makeRecord("x", logging.ERROR, __file__, 1, "failed",
                                                   (), sys.exc_info())
    line = JsonFormatter().format(record)
    assert "\n" not in line and "ValueError: boom" in json.loads(line)["exception"]


def test_the_production_log_config_is_valid():
    config = json_log_config("INFO")
    logging.config.dictConfigClass(config)  # parses without applying
    assert config["formatters"]["json"]["()"] is JsonFormatter
