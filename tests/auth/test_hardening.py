"""Login hardening: failed-login throttling, password policy, session expiry."""

import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.auth.passwords import check_password
from passnum.auth.services import authenticate, create_user
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, World, login, make_user


def events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


def attempt(email: str, password: str, ip: str = "192.0.2.7") -> DomainError | None:
    try:
        with unit_of_work():
            authenticate(email, password, ip=ip)
    except DomainError as err:
        return err
    return None


def test_thirty_wrong_passwords_are_throttled_and_audited(tmp_path, request):
    """Through the real login form: 429s from the 6th attempt, audit events."""
    app = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True)
    app.test_client_class = IsolatedClient
    client = app.test_client()
    with app.app_context():
        user = make_user(Role.ADMIN)
        email = user.email
        responses = [client.post("/connexion", data={"email": email, "password": f"wrong-{i}"})
                     for i in range(30)]
        statuses = [r.status_code for r in responses]
        assert "depuis cette connexion" in responses[5].text
        assert statuses[:5] == [422] * 5  # wrong password, the form again
        assert statuses[5:] == [429] * 25  # this address waits for this account
        assert events("auth.login_failed") == 5
        assert events("auth.locked") == 1


def test_the_wait_ends_with_its_window(app):
    user = World().issuer78
    for _ in range(5):
        assert attempt(user.email, "nope").code == "invalid_credentials"
    err = attempt(user.email, PASSWORD)  # this address waits, even with the right password
    assert err.code == "too_many_attempts" and err.http_status == 429
    assert 0 < err.retry_after <= 15 * 60 and "minute" in err.message
    assert attempt(user.email, PASSWORD, ip="192.0.2.8") is None  # another address: in
    assert events("auth.locked") == 1


def test_api_tokens_share_the_count(api_app_client):
    client, user = api_app_client
    for _ in range(5):
        client.post("/api/v1/tokens", json={"email": user.email, "password": "nope"})
    response = client.post("/api/v1/tokens", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.get_json()["error"]["code"] == "too_many_attempts"
    assert 0 < int(response.headers["Retry-After"]) <= 15 * 60


@pytest.fixture
def api_app_client(app, client):
    return client, make_user(Role.ADMIN)


@pytest.mark.parametrize("password, message", [
    ("court", "au moins 12 caractères"),
    ("motdepasse123", "trop facile à deviner"),
    ("azertyuiop12", "trop facile à deviner"),
    ("qwerty123456", "plus courants"),
    ("jeandupont2024", "ni votre nom"),
    ("x" * 129, "dépasser 128"),
])
def test_weak_passwords_are_refused(app, password, message):
    with pytest.raises(DomainError) as err:
        check_password(password, email="jean.dupont@example.org", full_name="Jean Dupont")
    assert err.value.code == "weak_password" and err.value.field == "password"
    assert message in err.value.message
    with pytest.raises(DomainError), unit_of_work():
        create_user(email="jean.dupont@example.org", password=password, role="admin")


def test_a_passphrase_is_accepted(app):
    check_password("cheval-agrafe-batterie-correcte", email="a@example.org")
    with unit_of_work():
        user = create_user(email="a@example.org", password="cheval agrafe batterie",
                           role="admin")
    assert user.id


def test_session_ends_when_idle(tmp_path, request):
    app = make_app("sqlite", tmp_path, request,
                   PERMANENT_SESSION_LIFETIME=timedelta(seconds=1))
    app.test_client_class = IsolatedClient
    client = app.test_client()
    with app.app_context():
        user = make_user(Role.ADMIN)
        assert login(client, user).status_code == 302
        assert client.get("/programmes/").status_code == 200
        time.sleep(2.1)
        response = client.get("/programmes/")
        assert response.status_code == 302 and "/connexion" in response.location


def test_session_ends_after_the_maximum_age(client, app):
    login(client, make_user(Role.ADMIN))
    assert client.get("/programmes/").status_code == 200
    with client.session_transaction() as session:  # logged in 12 h 01 min ago
        session["login_at"] -= 12 * 3600 + 60
    response = client.get("/programmes/")
    assert response.status_code == 302 and "/connexion" in response.location


def test_session_cookie_flags(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, BASE_URL="https://passnum.example")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    with app.app_context():
        response = login(client, make_user(Role.ADMIN))
    cookie = next(c for c in response.headers.getlist("Set-Cookie")
                  if c.startswith("session="))
    for flag in ("Secure", "HttpOnly", "SameSite=Lax", "Expires="):
        assert flag in cookie
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_no_hsts_over_plain_http(client, app):
    response = client.get("/connexion")
    assert "Strict-Transport-Security" not in response.headers
    assert "Secure" not in response.headers.get("Set-Cookie", "")


def test_static_files_cost_no_query_for_a_logged_in_session(client, app):
    """The session-age check reads the session only: a stylesheet loads no user."""
    login(client, World().issuer78)
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        response = client.get("/static/css/app.css")
        response.close()  # a file response: let go of the file
        assert response.status_code == 200
    finally:
        event.remove(db.engine, "before_cursor_execute", count)
    assert statements == []
