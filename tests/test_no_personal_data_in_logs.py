"""No beneficiary's name or birth date ever reaches a log (docs/product.md, RGPD).

``conftest`` keeps every log record of the run (root handler at DEBUG, SQL echo off as
in production) and notes every beneficiary inserted; this module runs last and checks
that none of their names or birth dates was logged. Run alone, it first drives a real
HTTP server (which logs each request) through the pages and the API that handle
personal data, so the check is never empty. Names match as whole words, so a test that
names a person after a word of the application's URLs (``Nouveau``) would be flagged:
tests give their people distinctive names.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from http.cookiejar import CookieJar
from typing import Any

from flask import Flask
from werkzeug.serving import make_server

from passnum.core.codes import group
from passnum.core.signing import sign_serial
from passnum.extensions import db
from tests import logcapture
from tests.factories import PASSWORD, World, issue, make_beneficiary

PERSON = {"first_name": "Philomène", "last_name": "Quintard-Ybarra",
          "birth_date": "1947-09-23", "postal_code": "78500", "consent": True}
FORM_PERSON = {"first_name": "Aurélien", "last_name": "Vasseur-Kerhoas",
               "birth_date": "1952-11-08", "postal_code": "78000", "consent": "y"}
# refused, so never inserted: checked all the same
REFUSED_PERSON = {"first_name": "Gwendoline", "last_name": "Zabrowski",
                  "birth_date": "31/02/1961", "postal_code": "78000", "consent": True}


@contextmanager
def logging_server(app: Flask) -> Iterator[str]:
    """Serve ``app`` with Werkzeug's own request handler, which logs every request.

    The test's session is closed first: SQLite's write lock must be free for the server.
    """
    db.session.commit()
    db.session.close()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


class Browser:
    """A tiny HTTP client with cookies that returns (status, body) for every answer."""

    def __init__(self, base: str) -> None:
        """Talk to ``base``."""
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def send(self, path: str, *, form: dict[str, Any] | None = None,
             body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, bytes]:
        """GET, or POST a form or a JSON body."""
        headers, data = {}, None
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
        if body is not None:
            data, headers["Content-Type"] = json.dumps(body).encode(), "application/json"
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # always the loopback http:// server started above
        request = urllib.request.Request(self.base + path, data=data, headers=headers)  # noqa: S310
        try:
            with self.opener.open(request, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as err:
            return err.code, err.read()


def _through_the_api(http: Browser, email: str) -> None:
    """Create, read, issue and export a person through the JSON API; make it refuse one."""
    status, raw = http.send("/api/v1/tokens", body={"email": email, "password": PASSWORD})
    token = json.loads(raw)["token"]
    status, raw = http.send("/api/v1/beneficiaries", body=PERSON, token=token)
    assert status == 201, raw
    person_id = json.loads(raw)["id"]
    assert http.send("/api/v1/beneficiaries", body=REFUSED_PERSON, token=token)[0] == 400
    assert http.send("/api/v1/beneficiaries", body=PERSON, token=token)[0] == 409
    assert http.send(f"/api/v1/beneficiaries/{person_id}", token=token)[0] == 200
    assert http.send("/api/v1/booklets", body={"beneficiary_id": person_id},
                     token=token)[0] == 201
    assert http.send(f"/api/v1/beneficiaries/{person_id}/export", body={},
                     token=token)[0] == 200
    assert http.send(f"/api/v1/beneficiaries/{person_id + 999}/export", body={},
                     token=token)[0] == 404


def _through_the_pages(http: Browser, email: str) -> None:
    """Log in, create a person with the form, search for them, open and export the record."""
    status, _ = http.send("/connexion", form={"email": email, "password": PASSWORD})
    assert status == 200
    status, page = http.send("/beneficiaires/nouveau", form=FORM_PERSON)
    assert status == 200 and "Bénéficiaire enregistré" in page.decode()
    status, page = http.send("/beneficiaires/", form={"last_name": "vasseur"})
    assert status == 200 and "VASSEUR-KERHOAS" in page.decode()
    status, page = http.send("/beneficiaires/nouveau", form=FORM_PERSON)
    assert status == 409
    # the duplicate refusal links to the existing record: follow it
    target = re.search(r'href="/beneficiaires/(\d+)"', page.decode()).group(1)
    assert http.send(f"/beneficiaires/{target}")[0] == 200
    for suffix in ("/export.pdf", "/export.json"):
        assert http.send(f"/beneficiaires/{target}{suffix}", form={})[0] == 200


def test_leak_finder_finds_names_and_dates_however_written():
    records = ["werkzeug INFO POST /x 201", "passnum WARNING issue for MENARD LEFEVRE Zoe",
               "passnum ERROR born 03/02/1949", "x DEBUG key menardlefevre|zoe|1949-02-03"]
    assert logcapture.leaked(records, ["Ménard-Lefèvre", "Zoé", "03/02/1949"]) == [
        "03/02/1949", "Ménard-Lefèvre", "Zoé"]
    assert logcapture.leaked(records[2:], ["1949-02-03", "Ménard-Lefèvre"]) == [
        "1949-02-03", "Ménard-Lefèvre"]
    # whole words only: a short first name inside another word is not a leak
    assert logcapture.leaked(["Léandre DEBUG Forlé"], ["Léa", "Lore"]) == []


def test_no_name_or_birth_date_in_any_log_record(sqlite_app):
    email = World().issuer78.email
    with logging_server(sqlite_app) as base:
        _through_the_api(Browser(base), email)
        _through_the_pages(Browser(base), email)
    records = list(logcapture.RECORDS.lines)
    values = set(logcapture.PERSONAL_VALUES)
    # not vacuous: requests were logged and the people above were noted
    assert any("/api/v1/beneficiaries" in line for line in records)
    assert any("/beneficiaires/nouveau" in line for line in records)
    assert {"Philomène", "Quintard-Ybarra", "1947-09-23", "Aurélien"} <= values
    values |= {REFUSED_PERSON["first_name"], REFUSED_PERSON["last_name"],
               REFUSED_PERSON["birth_date"]}
    leaks = logcapture.leaked(records, values)
    assert leaks == [], [line for line in records if any(
        logcapture.leaked([line], [value]) for value in leaks)][:5]


def test_no_voucher_token_or_manual_code_in_any_access_log(sqlite_app):
    """A voucher's token (its QR code) and manual code are as good as the voucher: the
    app's access record and Werkzeug's request lines (the development server's) name the
    route, never the token in the path nor any query string."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    first, second = booklet.vouchers[:2]
    token = sign_serial(first.serial)
    manual, agent = second.manual_code, world.agent78.email
    secrets = [token, token.split(".")[1], manual, group(manual)]
    before = len(logcapture.RECORDS.lines)
    with logging_server(sqlite_app) as base:
        http = Browser(base)
        assert http.send(f"/v/{token}")[0] == 200
        assert http.send(f"/v/{token}?source=qr")[0] == 200
        assert http.send(f"/v/{token}/")[0] in (308, 404)  # an unrouted path, still redacted
        _, raw = http.send("/api/v1/tokens",
                           body={"email": agent, "password": PASSWORD})
        api = json.loads(raw)["token"]
        for code in (manual, group(manual), f"{base}/v/{token}"):
            query = urllib.parse.urlencode({"code": code})
            assert http.send(f"/api/v1/vouchers/check?{query}", token=api)[0] == 200
    records = logcapture.RECORDS.lines[before:]
    # not vacuous: both loggers wrote a line for each request
    assert sum("passnum.access" in line and "/v/…" in line for line in records) >= 2
    assert sum(line.startswith("werkzeug") and "/v/…" in line for line in records) >= 2
    assert sum("/api/v1/vouchers/check" in line for line in records) >= 6
    leaks = [line for line in records if any(secret in line for secret in secrets)]
    assert leaks == []
    assert not [line for line in records if "code=" in line or "?source" in line]
