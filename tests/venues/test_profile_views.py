"""The public profile's pages: the venue proposes, the manager compares and decides, the
public directory keeps the published values; bad input, scope and CSRF. Both
databases (CSRF on SQLite, with the token on as in production)."""

from __future__ import annotations

import html
import re
from typing import Any

from sqlalchemy import func, select

from passnum.auth.models import Role
from passnum.extensions import db
from passnum.venues.models import ProfileChangeStatus, Venue, VenueProfileChange
from passnum.venues.queries import pending_change
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, World, make_user, make_venue, second_step
from tests.factories import login as log_in


def login(client, user) -> None:
    response = log_in(client, user)
    assert response.status_code == 302, response.text


def error_of(page: str, field_id: str) -> str | None:
    """The error text shown for a form field (a field or a group of checkboxes)."""
    found = re.search(rf'<p class="error" id="{field_id}-err">([^<]*)</p>', page)
    return html.unescape(found.group(1)).strip() if found else None


def profile_form(**over: Any) -> dict[str, Any]:
    """A valid posted profile (lists as several values of one name)."""
    data: dict[str, Any] = {
        "address": "2 rue de la Paroisse", "postal_code": "78000", "commune_insee": "78646",
        "latitude": "", "longitude": "", "phone": "01 39 12 34 56",
        "email": "contact@mediatheque.example.fr", "website": "https://mediatheque.example.fr",
        "summary": "Ateliers numériques pour débutants.",
        "opening_hours": "Mo-Fr 09:00-18:00", "typologies": ["BIB"],
        "mediation_services": ["demarches", "outils_quotidien"],
        "access_modes": ["se_presenter"],
    }
    data.update(over)
    return data


def venue_row(venue_id: int) -> Venue:
    db.session.expire_all()
    venue = db.session.get(Venue, venue_id)
    assert venue is not None
    return venue


def test_the_form_has_a_label_for_every_field_and_checkbox_groups(client, app):
    world = World()
    login(client, world.agent78)
    assert 'href="/mon-lieu/fiche"' in client.get("/mon-lieu").text
    page = client.get("/mon-lieu/fiche").text
    for field_id in ("address", "postal_code", "commune_insee", "latitude", "longitude",
                     "phone", "email", "website", "booking_url", "acceslibre_url",
                     "summary", "description", "opening_hours", "other_labels"):
        assert f'<label for="{field_id}">' in page, field_id
    assert page.count("<fieldset") >= 10 and "<legend>Services proposés</legend>" in page
    assert 'data-map-pick="latitude"' in page and 'data-map-pick="longitude"' in page
    assert "Mo-Fr 09:00-12:00,14:00-18:00" in page  # the opening hours' example
    assert "Aide aux démarches administratives" in page


def test_a_proposal_waits_for_the_manager_then_is_published(client, app):
    world = World()
    login(client, world.agent78)
    response = client.post("/mon-lieu/fiche", data=profile_form())
    assert response.status_code == 302
    assert "vérifie" in client.get("/mon-lieu").text
    venue = venue_row(world.venue78.id)
    assert venue.summary == "" and venue.profile_updated_at is None
    assert "Ateliers numériques pour débutants." not in client.get("/lieux").text
    # the agent's page shows what the proposal changes
    page = client.get("/mon-lieu/fiche").text
    assert "Modifications en attente de vérification" in page
    assert "Ateliers numériques pour débutants." in page
    client.post("/deconnexion")
    login(client, world.manager78)
    assert "Fiches publiques à vérifier (1)" in client.get("/lieux/gestion").text
    page = client.get(f"/lieux/gestion/{world.venue78.id}").text
    assert "Modifications proposées, à côté des valeurs publiées" in page
    assert "+33139123456" in page and "Aide aux démarches administratives" in page
    change = pending_change(world.venue78.id)
    approved = client.post(f"/lieux/gestion/{world.venue78.id}/fiche/{change.id}/approuver")
    assert approved.status_code == 302
    venue = venue_row(world.venue78.id)
    assert venue.summary == "Ateliers numériques pour débutants."
    assert venue.phone == "+33139123456" and venue.profile_updated_at is not None
    assert "Fiches publiques à vérifier" not in client.get("/lieux/gestion").text


def test_a_refusal_keeps_the_published_values_and_shows_the_reason(client, app):
    world = World()
    login(client, world.agent78)
    client.post("/mon-lieu/fiche", data=profile_form())
    change = pending_change(world.venue78.id)
    client.post("/deconnexion")
    login(client, world.manager78)
    url = f"/lieux/gestion/{world.venue78.id}/fiche/{change.id}/refuser"
    empty = client.post(url, data={"reason": " "})
    assert empty.status_code == 422
    assert "Indiquez le motif du refus" in html.unescape(empty.text)
    assert client.post(url, data={"reason": "Le site internet est celui de la mairie."}
                       ).status_code == 302
    assert venue_row(world.venue78.id).summary == ""
    client.post("/deconnexion")
    login(client, world.agent78)
    for page in (client.get("/mon-lieu").text, client.get("/mon-lieu/fiche").text):
        assert "Le site internet est celui de la mairie." in html.unescape(page)


def test_bad_input_shows_every_french_message_and_writes_nothing(client, app):
    world = World()
    login(client, world.agent78)
    response = client.post("/mon-lieu/fiche", data=profile_form(
        phone="12", email="contact@", website="javascript:alert(1)",
        acceslibre_url="https://example.fr/fiche", summary="x" * 281,
        opening_hours="lundi 9h-18h", typologies=["CHATEAU"]))
    assert response.status_code == 400
    page = response.text
    assert "10 chiffres" in error_of(page, "phone")
    assert "n'est pas valide" in error_of(page, "email")
    assert "https://" in error_of(page, "website")
    assert "acceslibre.beta.gouv.fr" in error_of(page, "acceslibre_url")
    assert "280 caractères" in error_of(page, "summary")
    assert "OpenStreetMap" in error_of(page, "opening_hours")
    assert "cochez seulement" in error_of(page, "typologies")
    assert "7 erreurs" in page  # the summary on top names each one
    assert 'value="lundi 9h-18h"' in page  # what was typed comes back
    assert db.session.scalar(select(func.count()).select_from(VenueProfileChange)) == 0
    located = client.post("/mon-lieu/fiche", data=profile_form(postal_code="92000",
                                                               commune_insee=""))
    assert located.status_code == 400
    assert "n'est pas dans le département" in html.unescape(located.text)


def test_a_manager_edits_directly_and_it_is_published_at_once(client, app):
    world = World()
    login(client, world.manager78)
    url = f"/lieux/gestion/{world.venue78.id}/fiche"
    assert client.get(url).status_code == 200
    assert client.post(url, data=profile_form(summary="Publié tout de suite.")
                       ).status_code == 302
    assert venue_row(world.venue78.id).summary == "Publié tout de suite."
    assert "Publié tout de suite." in client.get("/lieux").text
    refused = client.post(url, data=profile_form(website="mediatheque"))
    assert refused.status_code == 400 and error_of(refused.text, "website")


def test_other_venues_and_departements_get_404_other_roles_403(client, app):
    world = World()
    venue92 = make_venue(world.d92)
    agent92 = make_user(Role.VENUE_AGENT, venue_id=venue92.id)
    login(client, agent92)
    client.post("/mon-lieu/fiche", data=profile_form(postal_code="92000",
                                                     commune_insee="92050"))
    change92 = pending_change(venue92.id)
    assert change92 is not None  # an agent only ever proposes for their own venue
    assert client.get(f"/lieux/gestion/{world.venue78.id}/fiche").status_code == 403
    client.post("/deconnexion")
    login(client, world.manager78)
    for url in (f"/lieux/gestion/{venue92.id}/fiche",):
        assert client.get(url).status_code == 404
        assert client.post(url, data=profile_form()).status_code == 404
    assert client.post(f"/lieux/gestion/{venue92.id}/fiche/{change92.id}/approuver"
                       ).status_code == 404
    assert client.post(f"/lieux/gestion/{venue92.id}/fiche/{change92.id}/refuser",
                       data={"reason": "Non."}).status_code == 404
    assert "Fiches publiques à vérifier" not in client.get("/lieux/gestion").text
    # the proposal of another venue, through this venue's address: refused, untouched
    client.post(f"/lieux/gestion/{world.venue78.id}/fiche/{change92.id}/approuver")
    db.session.expire_all()
    assert db.session.get(VenueProfileChange, change92.id).status == ProfileChangeStatus.PENDING
    client.post("/deconnexion")
    login(client, world.issuer78)
    assert client.get("/mon-lieu/fiche").status_code == 403
    assert client.get(f"/lieux/gestion/{world.venue78.id}/fiche").status_code == 403


def csrf_login(app, user) -> IsolatedClient:
    """A client of ``app`` logged in as ``user`` with the CSRF tokens a browser sends."""
    client = app.test_client()
    page = client.get("/connexion").text
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/connexion", data={"email": user.email, "password": PASSWORD,
                                               "csrf_token": token})
    assert second_step(client, user.id, response).status_code == 302
    return client


def csrf_refused(response) -> bool:
    """The app's answer to a POST without its token: back to the form, to refill it from
    the browser (``core.resume``), nothing done."""
    return response.status_code == 302 and "reprise=1" in (response.location or "")


def test_csrf_holds_on_every_profile_form(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        agent = csrf_login(app, world.agent78)
        assert csrf_refused(agent.post("/mon-lieu/fiche", data=profile_form()))
        assert db.session.scalar(select(func.count()).select_from(VenueProfileChange)) == 0
        form_page = agent.get("/mon-lieu/fiche").text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', form_page)
        assert token is not None
        assert agent.post("/mon-lieu/fiche", data={**profile_form(),
                                                  "csrf_token": token.group(1)}
                          ).status_code == 302
        change = pending_change(world.venue78.id)
        assert change is not None
        manager = csrf_login(app, world.manager78)
        base = f"/lieux/gestion/{world.venue78.id}/fiche"
        assert csrf_refused(manager.post(f"{base}/{change.id}/approuver"))
        assert csrf_refused(manager.post(f"{base}/{change.id}/refuser",
                                         data={"reason": "Non."}))
        assert csrf_refused(manager.post(base, data=profile_form()))
        db.session.expire_all()
        assert db.session.get(VenueProfileChange, change.id).status == "pending"
        assert db.session.get(Venue, world.venue78.id).summary == ""
        db.session.remove()
