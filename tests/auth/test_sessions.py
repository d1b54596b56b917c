"""Sessions are revocable on the server: logout, a password change, a suspension or a
TOTP reset ends every session and API token of the account (docs/product.md,
"Roles"); the session cookie, only signed, carries no personal data."""

from __future__ import annotations

import json
import zlib
from typing import Any

from itsdangerous import base64_decode
from sqlalchemy import select
from werkzeug.security import check_password_hash

from passnum.auth.models import ApiToken, Role, User
from passnum.auth.services import issue_api_token, reset_second_factor
from passnum.core.db import unit_of_work
from passnum.extensions import db
from tests.factories import (
    PASSWORD,
    World,
    login,
    make_beneficiary,
    make_user,
)

NEW_PASSWORD = "cheval-agrafe-batterie-nouvelle"


def session_cookie(client: Any) -> str:
    """The value of ``client``'s session cookie."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app: Any, cookie: str, path: str, **environ: Any) -> Any:
    """GET ``path`` from a new client (another address) carrying a copied cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other.get(path, environ_base={"REMOTE_ADDR": "192.0.2.99", **environ})


def token_of(user: User) -> str:
    """A fresh API token of ``user``, committed."""
    with unit_of_work():
        token, _ = issue_api_token(db.session.get(User, user.id), hours=12)
    return token


def api_status(app: Any, token: str) -> int:
    """Status of an API call that any logged-in role may make, with no cookie."""
    return app.test_client().get("/api/v1/vouchers/check?code=ABCD",
                      headers={"Authorization": f"Bearer {token}"}).status_code


def assert_logged_out(app: Any, cookie: str) -> None:
    """The copied cookie opens neither a page nor the API."""
    page = replay(app, cookie, "/")
    assert page.status_code == 302 and "/connexion" in page.location
    assert replay(app, cookie, "/api/v1/vouchers/check?code=ABCD").status_code == 401


def test_a_copied_cookie_stops_working_after_logout(client, app):
    world = World()
    login(client, world.issuer78)
    copy = session_cookie(client)
    assert replay(app, copy, "/beneficiaires/").status_code == 200  # works before
    assert client.post("/deconnexion").status_code == 302
    assert_logged_out(app, copy)
    # logging in again opens a new session; the copy stays dead
    login(client, world.issuer78)
    assert client.get("/beneficiaires/").status_code == 200
    assert_logged_out(app, copy)


def test_logout_revokes_the_accounts_api_tokens(client, app):
    world = World()
    token = token_of(world.issuer78)
    assert api_status(app, token) != 401
    login(client, world.issuer78)
    client.post("/deconnexion")
    assert api_status(app, token) == 401
    revoked = db.session.scalars(select(ApiToken.revoked_at)).all()
    assert revoked and all(at is not None for at in revoked)


def test_password_change_ends_other_sessions_and_tokens(client, app):
    world = World()
    login(client, world.issuer78)
    other = app.test_client()
    login(other, world.issuer78)
    copy = session_cookie(other)
    token = token_of(world.issuer78)

    page = client.get("/compte/mot-de-passe")
    assert page.status_code == 200 and "Nouveau mot de passe" in page.text
    wrong = client.post("/compte/mot-de-passe", data={
        "current_password": "pas-le-bon-mot-de-passe", "new_password": NEW_PASSWORD,
        "confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "Mot de passe actuel incorrect" in wrong.text
    assert replay(app, copy, "/beneficiaires/").status_code == 200
    done = client.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    # this browser goes on with a fresh session; every other one is dead
    assert client.get("/beneficiaires/").status_code == 200
    assert_logged_out(app, copy)
    assert api_status(app, token) == 401
    client.post("/deconnexion")
    assert login(client, world.issuer78).status_code == 422  # the old password
    assert login(client, world.issuer78, NEW_PASSWORD).status_code == 302


def test_password_change_refuses_a_weak_or_mismatched_password(client, app):
    world = World()
    login(client, world.issuer78)
    response = client.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": "autre"})
    assert response.status_code == 422 and "ne correspondent pas" in response.text
    response = client.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": "court", "confirm": "court"})
    assert response.status_code == 422
    assert client.get("/beneficiaires/").status_code == 200  # nothing ended


def test_suspending_an_agent_ends_their_sessions_and_tokens(client, app):
    world = World()
    lead = db.session.get(User, world.agent78.id)
    lead.is_venue_lead = True
    agent = make_user(Role.VENUE_AGENT, venue_id=world.venue78.id)
    agent_client = app.test_client()
    login(agent_client, agent)
    copy = session_cookie(agent_client)
    token = token_of(agent)
    assert replay(app, copy, "/encaissements/").status_code == 200

    login(client, lead)
    assert client.post(f"/mon-lieu/agents/{agent.id}/desactiver",
                       data={"confirm": "oui"}).status_code == 302
    assert_logged_out(app, copy)
    assert api_status(app, token) == 401
    # reactivation does not bring the old session or token back
    assert client.post(f"/mon-lieu/agents/{agent.id}/reactiver").status_code == 302
    assert_logged_out(app, copy)
    assert api_status(app, token) == 401


def test_a_totp_reset_ends_sessions_and_tokens(client, app):
    world = World()
    login(client, world.manager78)
    copy = session_cookie(client)
    token = token_of(world.manager78)
    assert replay(app, copy, "/tableau-de-bord/").status_code == 200
    with unit_of_work():
        reset_second_factor(db.session.get(User, world.admin.id),
                            db.session.get(User, world.manager78.id))
    assert_logged_out(app, copy)
    assert api_status(app, token) == 401


def decoded_session(client: Any) -> str:
    """The session cookie's payload as anyone holding the cookie reads it (no key)."""
    value = session_cookie(client)
    compressed = value.startswith(".")
    payload = base64_decode(value.lstrip(".").split(".")[0])
    text = (zlib.decompress(payload) if compressed else payload).decode()
    return json.dumps(json.loads(text), ensure_ascii=False)


def test_the_session_cookie_holds_no_personal_data(client, app):
    world = World()
    person = make_beneficiary(world.issuer78, first_name="Zéphyrine",
                              last_name="Quasimodeau")
    login(client, world.issuer78)
    client.post("/stock", data={"count": "1"})
    booklet_id = db.session.scalar(select(db.metadata.tables["booklets"].c.id))
    response = client.post(f"/stock/remettre/{booklet_id}/{person.id}")
    assert response.status_code == 302
    text = decoded_session(client)
    assert "_flashes" in text  # the hand-out's message is there, without the name
    for word in ("Zéphyrine", "Zephyrine", "Quasimodeau", "QUASIMODEAU",
                 world.issuer78.email):
        assert word.lower() not in text.lower()
    # issuing from the person's page
    other = make_beneficiary(world.issuer78, first_name="Anatolie", last_name="Brumaire")
    client.post(f"/beneficiaires/{other.id}/chequier")
    text = decoded_session(client)
    assert "anatolie" not in text.lower() and "brumaire" not in text.lower()


def test_a_stolen_session_cannot_guess_the_password_faster_than_the_login_form(client, app):
    """Wrong current passwords count as failed logins: past the budget, even the right
    one waits, from that address."""
    world = World()
    login(client, world.issuer78)
    budget = int(app.config["RATELIMIT_LOGIN_ACCOUNT"].split()[0])
    for n in range(budget):
        response = client.post("/compte/mot-de-passe", data={
            "current_password": f"guess-{n}", "new_password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD})
        assert response.status_code == 422 and "incorrect" in response.text
    response = client.post("/compte/mot-de-passe", data={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 422 and "Trop de tentatives" in response.text
    assert check_password_hash(db.session.get(User, world.issuer78.id).password_hash,
                               PASSWORD)
