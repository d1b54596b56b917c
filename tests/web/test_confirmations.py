"""Destructive acts ask first, without JavaScript: the first POST answers with a
confirmation page repeating the request (CSRF token included), only the confirmed POST
acts."""

from __future__ import annotations

import re
from html import unescape

import pytest
from flask import Flask

from passnum.auth.models import Role, User
from passnum.booklets.models import Booklet, BookletStatus
from passnum.extensions import db
from passnum.redemptions.models import Redemption
from passnum.venues.models import LabelStatus, Venue, Workshop
from tests.conftest import make_app
from tests.factories import PASSWORD, World, issue, make_beneficiary, make_user, make_workshop
from tests.factories import login as log_in
from tests.redemptions.test_history import take


def login(client, user) -> None:
    assert log_in(client, user).status_code == 302


def confirmation_form(page: str, url: str) -> dict[str, str]:
    """The confirmation page's form posting to ``url``: its hidden fields and button."""
    form = re.search(rf'<form method="post" action="{re.escape(url)}"[^>]*>(.*?)</form>',
                     page, re.S)
    assert form is not None, page
    fields = {name: unescape(value) for name, value in re.findall(
        r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1))}
    button = re.search(r'<button[^>]*name="confirm" value="oui">', form.group(1))
    assert button is not None
    return {**fields, "confirm": "oui"}


def ask_then_confirm(client, url: str, data: dict[str, str], *, question: str) -> str:
    """POST ``data``: a confirmation page comes back (nothing done); POST what it holds."""
    asked = client.post(url, data=data)
    assert asked.status_code == 200 and question in unescape(asked.text)
    assert "Ne rien faire" in asked.text
    confirmed = confirmation_form(asked.text, url)
    assert {k: v for k, v in confirmed.items() if k != "confirm"} == data
    return confirmed


def test_revoking_a_booklet_asks_first(client, app):
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    login(client, world.issuer78)
    url = f"/chequiers/{booklet.id}/revoquer"
    confirmed = ask_then_confirm(client, url, {"reason": "lost", "note": "perdu au marché"},
                                 question=f"Révoquer le chéquier n° {booklet.number}")
    db.session.expire_all()
    assert db.session.get(Booklet, booklet.id).status != BookletStatus.REVOKED
    done = client.post(url, data=confirmed, follow_redirects=True)
    assert "Chéquier révoqué" in done.text
    assert db.session.get(Booklet, booklet.id).status == BookletStatus.REVOKED


def test_undoing_a_redemption_asks_first(client, app):
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    redemption = take(world, booklet.vouchers[:1])
    login(client, world.agent78)
    url = f"/encaissements/{redemption.id}/annuler"
    confirmed = ask_then_confirm(client, url, {}, question="Annuler cet encaissement")
    db.session.expire_all()
    assert db.session.get(Redemption, redemption.id).undone_at is None
    done = client.post(url, data=confirmed, follow_redirects=True)
    assert "Encaissement annulé" in done.text
    assert db.session.get(Redemption, redemption.id).undone_at is not None


def test_cancelling_a_workshop_asks_first(client, app):
    world = World()
    workshop = make_workshop(world.venue78)
    login(client, world.agent78)
    url = f"/ateliers/{workshop.id}/annuler"
    assert client.post(url, data={"reason": ""}).status_code == 422  # checked before asking
    confirmed = ask_then_confirm(client, url, {"reason": "Formateur absent"},
                                 question="Annuler l'atelier")
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).cancelled_at is None
    assert "Atelier annulé." in client.post(url, data=confirmed, follow_redirects=True).text
    assert db.session.get(Workshop, workshop.id).cancelled_at is not None


@pytest.mark.parametrize(("action", "question", "status"), [
    ("suspend", "Suspendre le label", LabelStatus.SUSPENDED),
    ("withdraw", "Retirer le label", LabelStatus.WITHDRAWN),
])
def test_suspending_or_withdrawing_a_label_asks_first(client, app, action, question, status):
    world = World()
    login(client, world.manager78)
    url = f"/lieux/gestion/{world.venue78.id}/{action}"
    confirmed = ask_then_confirm(client, url, {f"{action}-reason": "Ateliers non tenus"},
                                 question=question)
    db.session.expire_all()
    assert db.session.get(Venue, world.venue78.id).label_status == LabelStatus.ACTIVE
    assert client.post(url, data=confirmed).status_code == 302
    db.session.expire_all()
    assert db.session.get(Venue, world.venue78.id).label_status == status


def test_deactivating_an_agent_asks_first_reactivating_does_not(client, app):
    world = World()
    lead = make_user(Role.VENUE_AGENT, venue_id=world.venue78.id)
    lead.is_venue_lead = True
    db.session.commit()
    login(client, lead)
    url = f"/mon-lieu/agents/{world.agent78.id}/desactiver"
    confirmed = ask_then_confirm(client, url, {}, question="Désactiver le compte")
    db.session.expire_all()
    assert db.session.get(User, world.agent78.id).is_active_account
    assert client.post(url, data=confirmed).status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, world.agent78.id).is_active_account
    again = f"/mon-lieu/agents/{world.agent78.id}/reactiver"
    assert client.post(again).status_code == 302


def test_the_confirmation_keeps_the_csrf_token(tmp_path, request) -> None:
    """With CSRF on, as in production: the confirmation page carries the token, and a
    confirmed POST without it is refused."""
    app: Flask = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World()
        booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
        client = app.test_client()
        page = client.get("/connexion").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        client.post("/connexion", data={"email": world.issuer78.email,
                                        "password": PASSWORD,
                                        "csrf_token": token})
        detail = client.get(f"/chequiers/{booklet.id}").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', detail)
        assert token is not None
        url = f"/chequiers/{booklet.id}/revoquer"
        asked = client.post(url, data={"reason": "lost", "csrf_token": token.group(1)})
        confirmed = confirmation_form(asked.text, url)
        assert confirmed["csrf_token"] == token.group(1)
        assert client.post(url, data={"reason": "lost", "confirm": "oui"}).status_code in (
            302, 400)
        db.session.expire_all()
        assert db.session.get(Booklet, booklet.id).status != BookletStatus.REVOKED
        client.post(url, data=confirmed)
        db.session.expire_all()
        assert db.session.get(Booklet, booklet.id).status == BookletStatus.REVOKED
        db.session.remove()
