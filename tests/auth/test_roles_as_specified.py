"""Roles as docs/product.md gives them: a manager revokes a leaked booklet and overrides a likely
duplicate, but never issues, replaces, prints stock or hands out (the services refuse,
not only the routes); a venue's account works only once its label is approved."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from passnum.auth.models import ApiToken, Role, User
from passnum.auth.policy import policy_for
from passnum.beneficiaries.services import override_duplicate
from passnum.booklets.models import Booklet, BookletStatus
from passnum.booklets.services import (
    hand_out,
    issue_booklet,
    issue_replacement,
    issue_stock,
    revoke_booklet,
)
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.errors import Conflict, DomainError
from passnum.extensions import db
from passnum.venues.labels import change_label
from passnum.venues.models import LabelStatus, Venue
from tests.api.conftest import API, api_client, bearer
from tests.factories import PASSWORD, World, issue, login, make_beneficiary, make_user, make_venue

# --- managers -------------------------------------------------------------------------


def refused_code(call, *args, **kwargs) -> str:
    """Run a service in a unit of work; return the refusal's code."""
    with pytest.raises(DomainError) as err, unit_of_work():
        call(*args, **kwargs)
    return err.value.code


def test_the_booklet_services_refuse_a_manager(app):
    world = World()
    manager = world.manager78
    person = make_beneficiary(world.issuer78)
    assert refused_code(issue_booklet, manager, person) == "forbidden"
    assert refused_code(issue_stock, manager, world.s78, count=1) == "forbidden"
    with unit_of_work():
        stock = issue_stock(world.issuer78, world.s78, count=1).booklets[0]
    assert refused_code(hand_out, manager, stock, person) == "forbidden"
    booklet = issue(world.issuer78, person)
    # a leaked booklet: the manager stops it, but a replacement is the issuer's
    with unit_of_work():
        revoke_booklet(manager, booklet, reason="stolen")
    assert db.session.get(Booklet, booklet.id).status == BookletStatus.REVOKED
    assert refused_code(issue_replacement, manager, booklet) == "forbidden"


def test_a_manager_overrides_a_duplicate_then_the_issuer_issues(app):
    world = World()
    first = make_beneficiary(world.issuer92, last_name="Durand", first_name="Léa",
                             birth_date="1960-01-01")
    issue(world.issuer92, first)
    twin = make_beneficiary(world.issuer78, last_name="DURAND", first_name="lea",
                            birth_date="1960-01-01")
    with pytest.raises(Conflict) as err:
        issue(world.issuer78, twin)
    assert err.value.code == "duplicate_beneficiary"
    assert "gestionnaire" in err.value.message
    assert refused_code(override_duplicate, world.issuer78, twin,
                        reason="autre personne") == "forbidden"
    assert refused_code(override_duplicate, world.manager92, twin,
                        reason="autre personne") == "not_found"  # another département
    assert refused_code(override_duplicate, world.manager78, twin, reason="  ") == "invalid_input"
    with unit_of_work():
        override_duplicate(world.manager78, twin, reason="Homonyme vérifié sur pièce")
    booklet = issue(world.issuer78, twin)
    assert booklet.duplicate_override_reason == "Homonyme vérifié sur pièce"


def test_the_pages_refuse_a_manager_what_the_services_refuse(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    leaked = issue(world.issuer78, make_beneficiary(world.issuer78))
    login(client, world.manager78)
    assert client.post(f"/beneficiaires/{person.id}/chequier").status_code == 403
    assert client.post(f"/stock?structure={world.s78.id}", data={"count": "1"}).status_code == 403
    assert client.get(f"/stock?structure={world.s78.id}").status_code == 200  # reading
    assert client.get("/stock/remettre").status_code == 403
    revoked = client.post(f"/chequiers/{leaked.id}/revoquer",
                          data={"reason": "stolen", "confirm": "oui"})
    assert revoked.status_code == 302
    assert client.post(f"/chequiers/{leaked.id}/remplacer").status_code == 403
    page = client.get(f"/beneficiaires/{person.id}").text
    assert "Émettre un chéquier" not in page
    assert db.session.scalar(select(Booklet.id).where(Booklet.beneficiary_id == person.id)) is None


def test_the_api_refuses_a_manager_issuing_but_lets_them_revoke(app):
    world = World()
    client = api_client(app)
    person = make_beneficiary(world.issuer78)
    leaked = issue(world.issuer78, make_beneficiary(world.issuer78))
    manager = bearer(client, world.manager78)
    refused = client.post(f"{API}/booklets", headers=manager,
                          json={"beneficiary_id": person.id, "override_reason": "x"})
    assert refused.status_code == 403
    revoked = client.post(f"{API}/booklets/{leaked.id}/revoke", headers=manager,
                          json={"reason": "stolen"})
    assert revoked.status_code == 200 and revoked.json["status"] == "revoked"


def test_the_policy_table_follows_spec_for_managers():
    for endpoint, method in [("beneficiaries.issue", "POST"), ("booklets.replace", "POST"),
                             ("booklets.stock", "POST"), ("booklets.stock_batch_pdf", "GET"),
                             ("booklets.handout_start", "GET"),
                             ("booklets.handout_booklet", "POST"),
                             ("booklets.handout_confirm", "POST"),
                             ("api.issue_booklet_endpoint", "POST")]:
        assert not policy_for(endpoint, method).allows(Role.MANAGER), endpoint
        assert policy_for(endpoint, method).allows(Role.ISSUER), endpoint
    for endpoint, method in [("booklets.revoke", "POST"), ("api.revoke_booklet_endpoint", "POST"),
                             ("beneficiaries.override_duplicate", "POST")]:
        assert policy_for(endpoint, method).allows(Role.MANAGER), endpoint


# --- venues whose application is pending -------------------------------------------


def pending_agent() -> tuple[World, Venue, User]:
    world = World()
    venue = make_venue(world.d78, status=LabelStatus.PENDING)
    agent = make_user(Role.VENUE_AGENT, venue_id=venue.id)
    return world, venue, agent


def test_a_pending_venues_agent_cannot_log_in_until_approval(client, app):
    world, venue, agent = pending_agent()
    response = client.post("/connexion", data={"email": agent.email, "password": PASSWORD})
    assert response.status_code == 422
    assert "candidature est en cours d&#39;examen" in response.text
    home = client.get("/")
    assert home.status_code == 302 and "/connexion" in home.location
    assert client.get("/ateliers").status_code == 302
    with unit_of_work():
        change_label(db.session.get(User, world.manager78.id), db.session.get(Venue, venue.id),
                     "approve", "Dossier complet")
    assert login(client, agent).status_code == 302
    assert client.get("/ateliers").status_code == 200


def test_a_pending_venue_gets_no_api_token_and_old_ones_do_not_work(app):
    _world, _venue, agent = pending_agent()
    client = api_client(app)
    refused = client.post(f"{API}/tokens", json={"email": agent.email, "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "venue_not_approved"
    assert db.session.scalar(select(ApiToken.id)) is None
    token = secrets.token_urlsafe(32)  # a token from before this rule
    with unit_of_work():
        db.session.add(ApiToken(user_id=agent.id,
                                token_hash=hashlib.sha256(token.encode()).hexdigest(),
                                expires_at=clock.now() + timedelta(hours=1)))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get(f"{API}/vouchers/check?code=ABCD", headers=headers).status_code == 401
    assert client.post(f"{API}/redemptions", headers=headers,
                       json={"codes": ["ABCD"]}).status_code == 401


def test_a_session_opened_before_a_venue_went_back_to_pending_stops(client, app):
    world = World()
    login(client, world.agent78)
    assert client.get("/encaissements/").status_code == 200
    with unit_of_work():
        db.session.execute(update(Venue).where(Venue.id == world.venue78.id)
                           .values(label_status=LabelStatus.PENDING))
    response = client.get("/encaissements/")
    assert response.status_code == 302 and "/connexion" in response.location
    assert client.get(f"{API}/vouchers/check?code=ABCD").status_code == 401


def test_a_suspended_venues_agent_still_sees_history_but_cannot_redeem(client, app):
    world = World()
    with unit_of_work():
        change_label(db.session.get(User, world.manager78.id),
                     db.session.get(Venue, world.venue78.id), "suspend", "Contrôle en cours")
    assert login(client, world.agent78).status_code == 302
    assert client.get("/encaissements/").status_code == 200
    assert client.get("/releves/").status_code == 200


def test_a_manager_sets_a_duplicate_aside_on_the_persons_page(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    login(client, world.issuer78)
    assert "Écarter le doublon" not in client.get(f"/beneficiaires/{person.id}").text
    assert client.post(f"/beneficiaires/{person.id}/doublon",
                       data={"reason": "Autre personne"}).status_code == 403
    client.post("/deconnexion")
    login(client, world.manager78)
    page = client.get(f"/beneficiaires/{person.id}").text
    assert "Écarter le doublon" in page
    empty = client.post(f"/beneficiaires/{person.id}/doublon", data={"reason": ""},
                        follow_redirects=True)
    assert "Indiquez le motif" in empty.text
    done = client.post(f"/beneficiaires/{person.id}/doublon",
                       data={"reason": "Homonyme vérifié"}, follow_redirects=True)
    assert "Doublon écarté" in done.text
    db.session.expire_all()
    assert db.session.get(type(person), person.id).duplicate_override_reason == (
        "Homonyme vérifié")
