"""Every route of the URL map, called with every role and with no one.

A route missing from ``passnum.auth.policy.POLICIES`` fails the first test. Then each
route and method is called as an anonymous visitor, an administrator, a manager, an
issuer and a venue agent: the roles the policy leaves out are refused (login or 401
for the anonymous, 403 for the others), the roles it lets in are never refused for
their role, nobody ever gets a 500, and every HTML page carries the security headers.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask, Response
from sqlalchemy import select

from passnum.auth.models import Role
from passnum.auth.policy import policy_for, undeclared
from passnum.core.signing import sign_serial
from passnum.extensions import db
from tests.api.conftest import bearer
from tests.conftest import IsolatedClient, make_app
from tests.factories import World, issue, login, make_beneficiary, make_workshop

HEADERS = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def test_every_route_declares_a_policy(app):
    assert undeclared(app) == []


def test_a_route_added_without_a_policy_is_reported_and_refused(tmp_path, request):
    app = make_app("sqlite", tmp_path, request)
    app.add_url_rule("/nouvelle-page", "new_page", lambda: "secret")
    assert undeclared(app) == ["new_page GET /nouvelle-page"]
    app.test_client_class = IsolatedClient
    with app.app_context():
        assert app.test_client().get("/nouvelle-page").status_code == 403


@pytest.fixture
def matrix_app(tmp_path, request) -> Any:
    """A world whose objects all have id 1, so that every URL names a real object."""
    app = make_app("sqlite", tmp_path, request)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
        make_workshop(world.venue78)
        users = {"anonymous": None, "admin": world.admin, "manager": world.manager78,
                 "issuer": world.issuer78, "venue_agent": world.agent78}
        yield app, users, sign_serial(booklet.vouchers[0].serial)


def _url(rule: str, token: str) -> str:
    url = re.sub(r"<any\(([^,)]*)[^)]*\):\w+>", r"\1", rule)
    url = re.sub(r"<path:\w+>", "css/app.css", url)
    url = url.replace("<token>", token)
    return re.sub(r"<[^>]+>", "1", url)


def _client(app: Flask, user: Any, api: bool) -> tuple[Any, dict[str, str]]:
    client = app.test_client()
    if user is None:
        return client, {}
    if api:
        return client, bearer(client, user)
    login(client, user)
    return client, {}


def _call(client: Any, url: str, method: str, headers: dict[str, str]) -> Response:
    body = {"json": {}} if url.startswith("/api/") and method != "GET" else {}
    response = client.open(url, method=method, headers=headers, **body)
    response.get_data()
    response.close()  # a streamed download must not keep its transaction open
    return response


def test_every_route_with_every_role(matrix_app):
    app, users, token = matrix_app
    problems: list[str] = []
    calls = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        url = _url(rule.rule, token)
        api = url.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            policy = policy_for(rule.endpoint, method)
            for name, user in users.items():
                client, headers = _client(app, user, api)
                response = _call(client, url, method, headers)
                calls += 1
                problem = _judge(policy.allows(user.role if user else None), user, api,
                                 response, hidden=policy.hidden)
                if problem:
                    problems.append(f"{method} {url} as {name}: {problem}")
    assert calls > 400
    assert problems == []


def _judge(allowed: bool, user: Any, api: bool, response: Response, *,
           hidden: bool) -> str | None:
    status = response.status_code
    if status >= 500:
        return f"server error {status}"
    if response.mimetype == "text/html":
        for header, part in HEADERS.items():
            if part not in response.headers.get(header, ""):
                return f"missing {header}"
    if allowed:
        if status == 401 or (status == 403 and _role_refusal(response)):
            return f"refused ({status}) though the policy allows it"
        return None
    if user is None:
        expected = status == 401 if api else (
            status == 302 and "/connexion" in response.location)
    else:
        expected = status == (404 if hidden else 403)
    return None if expected else f"not refused ({status})"


def _role_refusal(response: Response) -> bool:
    """A 403 for the role (the policy's), rather than a scope decision of a service."""
    return "Votre rôle ne donne pas accès" in response.get_data(as_text=True)


def test_roles_are_compared_not_guessed():
    """Spot checks of the table against the roles docs/product.md gives."""
    assert policy_for("dashboard.index", "GET").allows(Role.MANAGER)
    assert not policy_for("dashboard.index", "GET").allows(Role.ISSUER)
    assert not policy_for("api.create_beneficiary_endpoint", "POST").allows(Role.MANAGER)
    assert policy_for("redemptions.voucher_page", "GET").allows(None)
    assert not policy_for("redemptions.voucher_page", "POST").allows(Role.ISSUER)
    assert policy_for("redemptions.voucher_page", "HEAD").allows(None)
    assert not policy_for("programme_admin.index", "GET").allows(Role.MANAGER)


# No personal data in a shared or intermediate cache: a logged-in person's answers and
# the answers of every protected route are ``no-store``; static files and the public
# pages seen by anyone keep their own caching (the API is never cached, public or not).
NEVER_PERSONAL = {"static", "redemptions.service_worker"}


def test_every_personal_response_is_no_store(matrix_app):
    app, users, token = matrix_app
    problems: list[str] = []
    checked = 0
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        url = _url(rule.rule, token)
        public = policy_for(rule.endpoint, "GET").roles is None
        for name, user in users.items():
            client, headers = _client(app, user, url.startswith("/api/"))
            response = _call(client, url, "GET", headers)
            cache = response.headers.get("Cache-Control", "")
            if rule.endpoint in NEVER_PERSONAL:
                if "no-store" in cache:
                    problems.append(f"GET {url} as {name}: static, yet {cache}")
                continue
            personal = user is not None or not public
            if personal and "no-store" not in cache:
                problems.append(f"GET {url} as {name} ({response.status_code}): "
                                f"Cache-Control {cache!r}")
            if not personal and response.mimetype == "text/html" and "no-store" in cache:
                problems.append(f"GET {url} as {name}: a public page, yet no-store")
            checked += personal
    assert checked > 250
    assert problems == []


def _snapshot() -> dict[str, list[str]]:
    """Every row of every table, as text, in a stable order."""
    db.session.rollback()  # a fresh read of what the requests committed
    return {table.name: sorted(repr(tuple(row)) for row in db.session.execute(select(table)))
            for table in db.metadata.sorted_tables}


def test_no_get_changes_anything(matrix_app):
    """A GET is a read (a link, a prefetch, a crawler, a reload may send it): every GET
    route, as every role, leaves every row of every table as it was, audit log included."""
    app, users, token = matrix_app
    changed: list[str] = []
    calls = 0
    before = _snapshot()
    assert before["audit_events"] and before["booklets"]
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods:
            continue
        url = _url(rule.rule, token)
        for name, user in users.items():
            client, headers = _client(app, user, url.startswith("/api/"))
            start = _snapshot()  # logging in (a POST) may write: compare from here
            response = _call(client, url, "GET", headers)
            calls += 1
            after = _snapshot()
            tables = sorted(t for t in after if after[t] != start[t])
            if tables:
                changed.append(f"GET {url} as {name} ({response.status_code}): {tables}")
    assert calls > 250
    assert changed == [], "\n".join(changed)
