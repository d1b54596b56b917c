"""Qualification pages: the public application form, label management, the venue's page."""

import html
import re

import pytest
from sqlalchemy import func, select

from passnum.auth.models import Role, User
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, World, make_user, make_venue
from tests.factories import login as log_in


def login(client, email, password=PASSWORD):
    response = log_in(client, email, password)
    assert response.status_code == 302, response.text


def error_of(page, field_id):
    """The error text shown under a form field."""
    found = re.search(rf'<p class="error" id="{field_id}-err">([^<]*)</p>', page)
    return html.unescape(found.group(1)).strip() if found else None


def form(dep_id, **over):
    data = {
        "name": "Espace public numérique de Poissy", "address": "3 rue du Port",
        "postal_code": "78300", "commune_insee": "78498", "departement_id": str(dep_id),
        "siret": "732 829 320 00074", "legal_representative": "Jean Martin, président",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "mediation_services": "outils_quotidien",
        "phone": "", "applicant_name": "Jean Martin", "email": "jean@example.org",
        "password": "phrase-de-passe-longue", "charter": "y",
    }
    data.update(over)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_shows_the_charter_and_the_departements(client, app):
    world = World()
    page = client.get("/lieux/candidature")
    assert page.status_code == 200
    assert "Charte des lieux labellisés Pass numérique" in page.text
    assert f'<option value="{world.d78.id}">Yvelines (78)</option>' in page.text
    assert "Devenir lieu labellisé" in client.get("/lieux").text


def test_an_application_end_to_end_then_the_applicant_logs_in_once_approved(client, app):
    world = World()
    response = client.post("/lieux/candidature", data=form(world.d78.id))
    assert response.status_code == 302 and response.location.endswith("/lieux/candidature/envoyee")
    confirmation = client.get(response.location).text
    assert "Candidature envoyée" in confirmation and "en attente" in confirmation
    venue = db.session.scalars(select(Venue).where(Venue.siret == "73282932000074")).one()
    assert venue.label_status == LabelStatus.PENDING
    # docs/product.md: a venue's account works only once its label is approved
    refused = client.post("/connexion", data={"email": "jean@example.org",
                                              "password": "phrase-de-passe-longue"})
    assert refused.status_code == 422 and "en cours d&#39;examen" in refused.text
    login(client, world.manager78.email)
    client.post(f"/lieux/gestion/{venue.id}/approve", data={"approve-reason": "Bienvenue"})
    client.post("/deconnexion")
    login(client, "jean@example.org", "phrase-de-passe-longue")
    page = client.get("/mon-lieu").text
    assert "Espace public numérique de Poissy" in page and "Actif" in page
    assert "FR•• •••• •••• •••• •••• •••0 189" in page  # the IBAN is masked for agents
    assert "Ajouter un agent" in page


@pytest.mark.parametrize(("over", "field", "message"), [
    ({"siret": "732 829 320 00075"}, "siret", "clé de contrôle est fausse"),
    ({"siret": "12345"}, "siret", "14 chiffres"),
    ({"iban": "FR76 3000 6000 0112 3456 7890 188"}, "iban", "clé de contrôle ne correspond pas"),
    ({"iban": "FR76 3000 6000 0112 3456 7890"}, "iban", "Un IBAN FR compte 27 caractères"),
    ({"iban": "FR76 3000 6000 0112 3456 7890 1$9"}, "iban", "lettres et des chiffres"),
    ({"postal_code": "78 3"}, "postal_code", "5 chiffres"),
    ({"phone": "0123"}, "phone", "10 chiffres"),
    ({"password": "court"}, "password", "12"),
    ({"charter": None}, "charter", "accepter la charte"),
    ({"name": ""}, "name", "obligatoire"),
    ({"departement_id": "0"}, "departement_id", "Choisissez le département"),
    ({"departement_id": "abc"}, "departement_id", ""),
])
def test_bad_values_are_shown_in_french_next_to_their_field(client, app, over, field, message):
    world = World()
    response = client.post("/lieux/candidature", data=form(world.d78.id, **over))
    assert response.status_code in (400, 422)
    shown = error_of(response.text, field)
    assert shown is not None and message in shown, shown
    assert db.session.scalar(select(Venue).where(Venue.siret == "73282932000074")) is None


def test_a_used_siret_is_explained_a_used_email_is_not_revealed(client, app):
    world = World()
    assert client.post("/lieux/candidature", data=form(world.d78.id)).status_code == 302
    again = client.post("/lieux/candidature", data=form(world.d78.id, email="autre@example.org"))
    assert again.status_code == 409
    assert "déjà celui d'un lieu inscrit" in error_of(again.text, "siret")
    taken = client.post("/lieux/candidature",
                        data=form(world.d78.id, siret="21785260781597",
                                  email=world.manager78.email))
    assert taken.status_code == 302  # answered like any application


@pytest.mark.parametrize("data", [
    {}, {"siret": "x" * 5000, "iban": "\x00\x01", "departement_id": "9" * 40},
    {"departement_id": "-1", "charter": "nimporte", "email": "@@", "postal_code": "🙂"},
])
def test_garbage_never_gives_a_500(client, app, data):
    World()
    response = client.post("/lieux/candidature", data=data)
    assert response.status_code in (400, 422)
    assert "Ce champ est obligatoire." in response.text or "error" in response.text


def test_managers_see_their_departement_pending_first_and_decide(client, app):
    world = World()
    pending = make_venue(world.d78, status=LabelStatus.PENDING)
    pending.iban = "FR7630006000011234567890189"
    other = make_venue(world.d92, status=LabelStatus.PENDING)
    db.session.commit()
    login(client, world.manager78.email)
    listing = client.get("/lieux/gestion").text
    assert pending.name in listing and world.venue78.name in listing
    assert other.name not in listing
    assert listing.index(pending.name) < listing.index(world.venue78.name)
    assert client.get(f"/lieux/gestion/{other.id}").status_code == 404
    detail = client.get(f"/lieux/gestion/{pending.id}").text
    assert "FR76 3000 6000 0112 3456 7890 189" in detail  # managers pay: full IBAN
    empty = client.post(f"/lieux/gestion/{pending.id}/approve", data={"approve-reason": " "})
    assert empty.status_code == 422 and "Indiquez le motif" in error_of(empty.text,
                                                                        "approve-reason")
    done = client.post(f"/lieux/gestion/{pending.id}/approve",
                       data={"approve-reason": "Dossier complet"})
    assert done.status_code == 302
    page = client.get(done.location).text
    assert "Décision enregistrée" in page and "Dossier complet" in page
    illegal = client.post(f"/lieux/gestion/{pending.id}/approve",
                          data={"approve-reason": "Encore"}, follow_redirects=True)
    assert "ne s&#39;applique pas" in illegal.text
    assert client.post(f"/lieux/gestion/{pending.id}/promote",
                       data={"promote-reason": "x"}).status_code == 404
    assert client.post(f"/lieux/gestion/{other.id}/approve",
                       data={"approve-reason": "x"}).status_code == 404


def test_an_admin_filters_by_departement_and_status(client, app):
    world = World()
    pending92 = make_venue(world.d92, status=LabelStatus.PENDING)
    login(client, world.admin.email)
    page = client.get(f"/lieux/gestion?departement={world.d92.id}&statut=pending").text
    assert pending92.name in page and world.venue78.name not in page
    assert client.get("/lieux/gestion?departement=99999999999&statut=x").status_code == 200


@pytest.mark.parametrize("role", ["issuer", "agent"])
def test_other_roles_cannot_manage_labels(client, app, role):
    world = World()
    login(client, (world.issuer78 if role == "issuer" else world.agent78).email)
    assert client.get("/lieux/gestion").status_code == 403
    assert client.get(f"/lieux/gestion/{world.venue78.id}").status_code == 403


def test_the_venue_page_shows_the_latest_decision_and_the_lead_manages_agents(client, app):
    world = World()
    venue = make_venue(world.d78, status=LabelStatus.PENDING)
    lead = make_user(Role.VENUE_AGENT, venue_id=venue.id)
    lead.is_venue_lead = True
    db.session.commit()
    login(client, world.manager78.email)
    client.post(f"/lieux/gestion/{venue.id}/approve", data={"approve-reason": "Bienvenue"})
    client.post(f"/lieux/gestion/{venue.id}/suspend",
                data={"suspend-reason": "Ateliers non tenus", "confirm": "oui"})
    client.post("/deconnexion")
    login(client, lead.email)
    page = client.get("/mon-lieu").text
    assert "Label : Suspendu" in page and "Ateliers non tenus" in page
    assert page.index("Ateliers non tenus") < page.index("Bienvenue")
    bad = client.post("/mon-lieu/agents", data={"full_name": "Léa", "email": "lea@example.org",
                                                "password": "court"})
    assert bad.status_code == 422 and error_of(bad.text, "password")
    added = client.post("/mon-lieu/agents", data={"full_name": "Léa Dubois",
                                                  "email": "lea@example.org",
                                                  "password": "mot-de-passe-long"})
    assert added.status_code == 302
    agent = db.session.scalars(select(User).where(User.email == "lea@example.org")).one()
    assert agent.venue_id == venue.id
    assert client.post(f"/mon-lieu/agents/{agent.id}/desactiver",
                       data={"confirm": "oui"}).status_code == 302
    db.session.expire_all()
    assert not agent.is_active_account
    assert client.post(f"/mon-lieu/agents/{world.agent78.id}/desactiver").status_code == 404
    own = client.post(f"/mon-lieu/agents/{lead.id}/desactiver", data={"confirm": "oui"},
                      follow_redirects=True)
    assert "votre propre compte" in own.text


def test_a_plain_agent_sees_the_agents_but_cannot_add_one(client, app):
    world = World()
    login(client, world.agent78.email)
    page = client.get("/mon-lieu").text
    assert "Le responsable du lieu gère les comptes" in page and "Mon lieu" in page
    refused = client.post("/mon-lieu/agents", data={"full_name": "X", "email": "x@example.org",
                                                    "password": "mot-de-passe-long"})
    assert refused.status_code == 403


def test_the_application_form_is_rate_limited_and_the_page_stays_readable(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, RATELIMIT_ENABLED=True,
                   RATELIMIT_APPLICATIONS="2 per hour")
    app.test_client_class = IsolatedClient
    client = app.test_client()
    with app.app_context():
        dep_id = World().d78.id
    statuses = [client.post("/lieux/candidature", data=data).status_code for data in (
        {}, form(dep_id), {}, form(dep_id, siret="21785260781597", email="b@example.org"), {})]
    assert statuses == [422, 302, 422, 302, 429]  # accepted applications count
    assert client.get("/lieux/candidature").status_code == 200  # reading is not limited
    spent = client.post("/lieux/candidature", data=form(dep_id, siret="73282932001007",
                                                        email="c@example.org"))
    assert spent.status_code == 429 and "Trop de tentatives" in spent.text
    assert 0 < int(spent.headers["Retry-After"]) <= 3600
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Venue)
                                 .where(Venue.siret == "73282932001007")) == 0


def test_a_suspended_venues_agent_lands_on_their_venue_page_after_login(client, app):
    """A suspended venue cannot scan: home sends its agent to the page that says why."""
    world = World()
    suspended = make_venue(world.d78, status=LabelStatus.SUSPENDED)
    agent = make_user(Role.VENUE_AGENT, venue_id=suspended.id)
    response = client.post("/connexion", data={"email": agent.email, "password": PASSWORD})
    assert client.get(response.location).location.endswith("/mon-lieu")
    assert client.get("/", follow_redirects=True).status_code == 200


def test_a_postal_code_outside_the_chosen_departement_is_refused(client, app):
    """The issue's case: a 92000 address with département 78."""
    world = World()
    response = client.post("/lieux/candidature",
                           data=form(world.d78.id, postal_code="92000", commune_insee="92050"))
    assert response.status_code == 400
    assert error_of(response.text, "postal_code") == (
        "Le code postal 92000 n'est pas dans le département choisi, Yvelines (78) : "
        "corrigez le code postal ou le département.")
    assert db.session.scalar(select(Venue).where(Venue.siret == "73282932000074")) is None
    response = client.post("/lieux/candidature",
                           data=form(world.d92.id, postal_code="92000", commune_insee="92050"))
    assert response.status_code == 302


def test_an_invalid_application_shows_a_summary_on_top_and_keeps_the_input(client, app):
    """On a phone the error was two-thirds down the page: a summary now opens the page,
    names each faulty field with a link to it and takes the focus; every typed value
    comes back except the password (asked again, and said so)."""
    world = World()
    typed = form(world.d78.id, siret="732 829 320 00075", iban="FR00 1234",
                 phone="01 39 12 34 56", summary="Ateliers tablette et smartphone")
    response = client.post("/lieux/candidature", data=typed)
    assert response.status_code == 422
    page = response.text
    summary = re.search(r'<div class="error-summary"[^>]*>(.*?)</div>', page, re.S)
    assert summary is not None
    opening = re.search(r'<div class="error-summary"[^>]*>', page).group(0)
    assert 'role="alert"' in opening and 'tabindex="-1"' in opening and "autofocus" in opening
    # the summary comes before the form, right below the page title
    assert page.index('class="error-summary"') < page.index("<form")
    assert page.index('class="error-summary"') < page.index("Charte des lieux")
    assert "2 erreurs" in summary.group(1)
    links = re.findall(r'<a href="#([a-z_]+)">([^<]*)</a>', summary.group(1))
    assert [field_id for field_id, _ in links] == ["siret", "iban"]
    assert all(f'id="{field_id}"' in page for field_id, _ in links)
    assert "SIRET" in html.unescape(links[0][1])
    # every typed value is kept, the password is not (and the page says so)
    for name in ("name", "address", "postal_code", "legal_representative",
                 "applicant_name", "email", "phone"):
        assert f'value="{html.escape(typed[name])}"' in page, name
    assert "Ateliers tablette et smartphone</textarea>" in page
    assert f'<option selected value="{world.d78.id}">' in page
    assert '<option selected value="78498">Poissy</option>' in page
    assert "phrase-de-passe-longue" not in page
    assert "retapez votre mot de passe" in page


def test_a_valid_page_has_no_error_summary(client, app):
    World()
    assert "error-summary" not in client.get("/lieux/candidature").text
