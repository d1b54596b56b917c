"""``GET /communes?code_postal=…``: the forms' commune choice, public, no personal data."""

from __future__ import annotations

import logging

import pytest
from flask import Flask


def test_the_communes_of_a_postal_code_for_anyone(sqlite_app: Flask):
    client = sqlite_app.test_client()
    response = client.get("/communes?code_postal=78120")
    assert response.status_code == 200 and response.is_json
    assert response.get_json() == [
        {"insee": "78164", "name": "Clairefontaine-en-Yvelines", "departement": "78"},
        {"insee": "78517", "name": "Rambouillet", "departement": "78"},
        {"insee": "78601", "name": "Sonchamp", "departement": "78"}]
    assert client.get("/communes?code_postal=78%20000").get_json() == [
        {"insee": "78646", "name": "Versailles", "departement": "78"}]


def test_an_unknown_code_gives_an_empty_list_and_a_malformed_one_a_json_error(
        sqlite_app: Flask):
    client = sqlite_app.test_client()
    assert client.get("/communes?code_postal=00000").get_json() == []
    for query in ("?code_postal=780", "?code_postal=abcde", "?code_postal=", ""):
        response = client.get(f"/communes{query}")
        assert response.status_code == 400 and response.is_json
        assert response.get_json()["error"]["code"] == "invalid_postal_code"
        assert "cinq chiffres" in response.get_json()["error"]["message"]



def test_the_typed_postal_code_stays_out_of_the_logs(sqlite_app: Flask,
                                                     caplog: pytest.LogCaptureFixture):
    # a beneficiary's postal code is personal data: the access log drops query strings
    caplog.set_level(logging.INFO)
    assert sqlite_app.test_client().get("/communes?code_postal=78120").status_code == 200
    assert "GET /communes 200" in caplog.text
    assert "78120" not in caplog.text
