"""Limits that fit the field, and a lock that hits the attacker, not the owner.

Each client here has its own address (``REMOTE_ADDR``), as it has behind the proxy.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role, User
from passnum.core import codes
from passnum.extensions import db
from passnum.venues.models import Venue
from tests.api.conftest import API, api_client, bearer
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, World, fresh_code, make_user
from tests.venues.test_application_views import form

OFFICE = "198.51.100.50"  # one NAT address for a whole office
ATTACKER, OWNER = "203.0.113.66", "192.0.2.10"


@pytest.fixture
def limited(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Flask]:
    """An app with its production limits on, on SQLite and PostgreSQL."""
    app = make_app(backend, tmp_path, request, RATELIMIT_ENABLED=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def at(address: str) -> dict[str, dict[str, str]]:
    return {"environ_base": {"REMOTE_ADDR": address}}


def events(action: str) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.action == action))


# --- finding 2: limits that fit the field -------------------------------------------


def test_an_office_of_fifty_logs_in_at_nine_from_one_address(limited):
    """50 social workers behind one NAT address, one in five mistyping first."""
    world = World()
    people = [make_user(Role.ISSUER, structure_id=world.s78.id) for _ in range(50)]
    statuses = []
    for n, person in enumerate(people):
        client = limited.test_client()
        if n % 5 == 0:
            typo = client.post("/connexion", data={"email": person.email, "password": "oups"},
                               **at(OFFICE))
            assert typo.status_code == 422
        response = client.post("/connexion", data={"email": person.email,
                                                   "password": PASSWORD}, **at(OFFICE))
        statuses.append((response.status_code, response.location))
    assert statuses == [(302, "/")] * 50


def test_a_venue_scanning_a_busy_session_is_never_throttled(limited):
    """20 people in two minutes, with baskets of up to 10 chèques: a check and a
    redemption per chèque, 200 in a minute at worst; a guesser stops at the budget."""
    world = World()
    client = api_client(limited)
    agent = bearer(client, world.agent78, **at(OFFICE))

    def check() -> int:
        return client.get(f"{API}/vouchers/check", headers=agent, **at(OFFICE),
                          query_string={"code": codes.new_manual_code()}).status_code

    assert {check() for _ in range(200)} == {404}
    assert {check() for _ in range(100)} == {404}  # 300 a minute, the agent's budget
    assert check() == 429


def test_refused_applications_do_not_count_accepted_ones_do(limited):
    """Typos cost nothing; five accepted applications an hour from one address."""
    world = World()
    client = limited.test_client()
    for _ in range(8):
        refused = client.post("/lieux/candidature", data=form(world.d78.id, siret="1234"),
                              **at(OFFICE))
        assert refused.status_code == 422
    sirets = ["73282932001007", "73282932001015", "73282932001023", "73282932001031",
              "73282932001049"]
    for n, siret in enumerate(sirets):
        accepted = client.post("/lieux/candidature", **at(OFFICE), data=form(
            world.d78.id, siret=siret, email=f"lieu{n}@example.org"))
        assert accepted.status_code == 302, accepted.text
    assert client.post("/lieux/candidature", data=form(world.d78.id, siret="1234"),
                       **at(OFFICE)).status_code == 429


# --- finding 3: lockout is not a weapon ----------------------------------------------


def test_the_owner_logs_in_from_elsewhere_while_the_attacker_waits(limited):
    world = World()
    client = api_client(limited)
    admin = world.admin
    wrong = {"email": admin.email, "password": "devine-devine"}
    statuses = [client.post(f"{API}/tokens", json=wrong, **at(ATTACKER)).status_code
                for _ in range(8)]
    assert statuses == [401] * 5 + [429] * 3
    right = {"email": admin.email, "password": PASSWORD, "totp": fresh_code(admin.id)}
    # the attacker's address waits, even with the right password
    assert client.post(f"{API}/tokens", json=right, **at(ATTACKER)).status_code == 429
    # the owner, from their own address, with password and second factor, gets in
    owner = client.post(f"{API}/tokens", json={**right, "totp": fresh_code(admin.id)},
                        **at(OWNER))
    assert owner.status_code == 201, owner.json
    assert events("auth.login_failed") == 5 and events("auth.locked") == 1


def test_the_web_login_of_the_owner_works_while_an_address_is_locked_out(limited):
    world = World()
    issuer = world.issuer78
    attacker = limited.test_client()
    for _ in range(6):
        attacker.post("/connexion", data={"email": issuer.email, "password": "non"},
                      **at(ATTACKER))
    refused = attacker.post("/connexion", data={"email": issuer.email, "password": PASSWORD},
                            **at(ATTACKER))
    assert refused.status_code == 429 and "depuis cette connexion" in refused.text
    owner = limited.test_client().post(
        "/connexion", data={"email": issuer.email, "password": PASSWORD}, **at(OWNER))
    assert (owner.status_code, owner.location) == (302, "/")


def test_answers_never_tell_whether_an_account_exists(limited):
    """The same statuses, codes and messages for a known and an unknown e-mail, the
    throttled ones included."""
    world = World()
    client = api_client(limited)

    def answers(email: str, address: str) -> list[tuple[int, str, str]]:
        out = []
        for _ in range(7):
            response = client.post(f"{API}/tokens", json={"email": email, "password": "x"},
                                   **at(address))
            error = response.json["error"]
            out.append((response.status_code, error["code"], error["message"]))
        return out

    known = answers(world.issuer78.email, "192.0.2.31")
    unknown = answers("personne@example.org", "192.0.2.32")
    assert known == unknown
    assert [status for status, _, _ in known] == [401] * 5 + [429] * 2


def test_the_application_form_does_not_tell_which_addresses_have_an_account(limited):
    world = World()
    client = limited.test_client()
    taken = client.post("/lieux/candidature", **at(OFFICE),
                        data=form(world.d78.id, email=world.manager78.email.upper()))
    fresh = client.post("/lieux/candidature", **at(OFFICE),
                        data=form(world.d78.id, siret="21785260781597",
                                  email="nouveau@example.org"))
    assert (taken.status_code, taken.location) == (fresh.status_code, fresh.location) == (
        302, "/lieux/candidature/envoyee")
    assert "existe déjà" not in client.get(taken.location).text
    # no account was made or changed for the address in use; the manager is told
    venue = db.session.scalar(select(Venue).where(Venue.siret == "73282932000074"))
    assert venue is not None
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.venue_id == venue.id)) == 0
    assert db.session.get(User, world.manager78.id).role == Role.MANAGER
    details = db.session.scalars(select(AuditEvent.details).where(
        AuditEvent.action == "venue.applied").order_by(AuditEvent.seq)).all()
    assert [json.loads(d)["lead_account"] for d in details] == ["email_in_use", "created"]
