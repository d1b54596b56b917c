"""The venue import page: a dry run, then the import, through HTTP with CSRF tokens."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from passnum.auth.models import Role
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue, VenueImportFile
from tests.conftest import IsolatedClient, make_app
from tests.factories import PASSWORD, World, make_user, make_venue, second_step
from tests.factories import login as log_in
from tests.venues.import_files import GOOD, TAKEN_SIRET, as_csv, rows_200, venue_row

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
TOKEN = re.compile(r'name="token" type="hidden" value="([^"]+)"')


def venue_count() -> int:
    return db.session.scalar(select(func.count(Venue.id)))


def upload(client, data: bytes, filename="lieux.csv", **fields):
    return client.post("/lieux/gestion/import", content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), filename), **fields})


@pytest.fixture
def csrf_client(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        app.test_client_class = IsolatedClient
        yield app.test_client()
        db.session.remove()
        db.engine.dispose()


def csrf_login(client, user):
    token = CSRF.search(client.get("/connexion").text)[1]
    second_step(client, user.id, client.post("/connexion", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token}))


def test_a_dry_run_then_the_import_through_the_page(csrf_client):
    client = csrf_client
    world = World()
    make_venue(world.d78).siret = TAKEN_SIRET
    db.session.commit()
    csrf_login(client, world.manager78)
    page = client.get("/lieux/gestion/import")
    assert page.status_code == 200 and "Vérifier (essai à blanc)" in page.text
    assert 'accept=".csv,.json,text/csv,application/json"' in page.text
    assert 'id="departement_id"' not in page.text  # a manager's own département
    csrf = CSRF.search(page.text)[1]
    before = venue_count()
    assert upload(client, as_csv(rows_200())).status_code == 400  # no CSRF token
    checked = upload(client, as_csv(rows_200()), csrf_token=csrf)
    text = html.unescape(checked.text)
    assert checked.status_code == 200, text
    assert "190 lieux seraient créés, 10 lignes refusées." in text
    assert "valeur inconnue « Cours de cuisine »" in text and text.count("refusée") >= 10
    assert venue_count() == before
    token = TOKEN.search(checked.text)[1]
    assert token not in checked.headers.get("Set-Cookie", "")
    # no CSRF token: the application's CSRF check sends back to the page
    assert client.post("/lieux/gestion/import/executer",
                       data={"token": token}).status_code == 302
    assert venue_count() == before
    done = client.post("/lieux/gestion/import/executer", data={"token": token,
                                                               "csrf_token": csrf})
    assert done.status_code == 200 and "190 lieux créés, 10 lignes refusées." in done.text
    assert venue_count() == before + GOOD
    assert db.session.scalar(select(func.count(VenueImportFile.id))) == 0
    again = client.post("/lieux/gestion/import/executer", data={"token": token,
                                                                "csrf_token": csrf})
    assert again.status_code == 400 and "plus disponible" in html.unescape(again.text)
    assert venue_count() == before + GOOD


def test_a_file_of_three_megabytes_is_read(csrf_client):
    """Above the application's 2 MB limit on requests, within the import's 5 MB."""
    client = csrf_client
    world = World()
    csrf_login(client, world.manager78)
    csrf = CSRF.search(client.get("/lieux/gestion/import").text)[1]
    rows = [venue_row(n) | {"presentation_detail": "x" * 9000} for n in range(1, 351)]
    data = as_csv(rows)
    assert len(data) > 3 * 1024 * 1024
    # the body built here: the test client would spool it to a file it never closes
    boundary, body = encode_multipart({"csrf_token": csrf,
                                       "file": FileStorage(io.BytesIO(data), "lieux.csv")})
    checked = client.post("/lieux/gestion/import", data=body,
                          content_type=f"multipart/form-data; boundary={boundary}")
    assert checked.status_code == 200
    assert "350 lieux seraient créés, 0 ligne refusée." in html.unescape(checked.text)


@pytest.fixture
def world(app):
    return World()


def login(client, user):
    assert log_in(client, user).status_code == 302


@pytest.mark.parametrize(("data", "filename", "words"), [
    ("nom,adresse\nÉcole,1 rue\n".encode("latin-1"), "lieux.csv", "« CSV UTF-8 »"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "carte.png", "n'est pas un fichier texte"),
    (b"nom,adresse,commune\nA,B,C\n", "lieux.csv", "« code_postal »"),
    (b"", "lieux.csv", "Le fichier est vide"),
])
def test_a_file_that_cannot_be_read_shows_its_message_on_the_field(client, world, data,
                                                                    filename, words):
    login(client, world.manager78)
    response = upload(client, data, filename)
    assert response.status_code == 400
    assert words in html.unescape(response.text)
    assert 'id="file-err"' in response.text


def test_no_file_chosen(client, world):
    login(client, world.manager78)
    response = client.post("/lieux/gestion/import", data={})
    assert response.status_code == 422
    assert "Choisissez le fichier des lieux" in response.text


def test_departements_managers_and_admins(client, world):
    login(client, world.manager92)
    refused = upload(client, as_csv([venue_row(1)]), departement_id=str(world.d78.id))
    assert refused.status_code == 403 and venue_count() == 1
    client.post("/deconnexion")
    login(client, world.admin)
    page = client.get("/lieux/gestion/import").text
    assert 'id="departement_id"' in page and "Yvelines (78)" in page
    unchosen = upload(client, as_csv([venue_row(1)]))
    assert unchosen.status_code == 422 and "Choisissez le département" in unchosen.text
    chosen = upload(client, as_csv([venue_row(1)]), departement_id=str(world.d78.id))
    assert "1 lieu serait créé, 0 ligne refusée." in html.unescape(chosen.text)


def test_the_kept_file_is_its_users_only(client, world):
    other = make_user(Role.MANAGER, departement_id=world.d78.id)
    login(client, world.manager78)
    token = TOKEN.search(upload(client, as_csv([venue_row(1)])).text)[1]
    client.post("/deconnexion")
    login(client, other)
    response = client.post("/lieux/gestion/import/executer", data={"token": token})
    assert response.status_code == 400 and venue_count() == 1


@pytest.mark.parametrize("who", ["issuer78", "agent78"])
def test_other_roles_have_no_import_page(client, world, who):
    login(client, getattr(world, who))
    assert client.get("/lieux/gestion/import").status_code == 403
    assert upload(client, as_csv([venue_row(1)])).status_code == 403


def test_an_imported_venue_shows_what_its_application_lacks(client, world):
    login(client, world.manager78)
    token = TOKEN.search(upload(client, as_csv([venue_row(1)])).text)[1]
    client.post("/lieux/gestion/import/executer", data={"token": token})
    venue = db.session.scalar(select(Venue).where(Venue.import_ref == "mednum-0001"))
    page = html.unescape(client.get(f"/lieux/gestion/{venue.id}").text)
    assert "Dossier incomplet" in page
    assert "il manque l'IBAN, le représentant légal, l'acceptation de la charte" in page
    assert "identifiant mednum-0001" in page
    response = client.post(f"/lieux/gestion/{venue.id}/approve",
                           data={"approve-reason": "Bienvenue"}, follow_redirects=True)
    assert "son dossier est incomplet" in html.unescape(response.text)
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).label_status == LabelStatus.PENDING
    assert "Importer des lieux depuis un fichier" in client.get("/lieux/gestion").text


def test_the_manager_completes_the_application_on_the_venues_page(client, world):
    login(client, world.manager78)
    token = TOKEN.search(upload(client, as_csv([venue_row(1)])).text)[1]
    client.post("/lieux/gestion/import/executer", data={"token": token})
    venue = db.session.scalar(select(Venue).where(Venue.import_ref == "mednum-0001"))
    assert "Compléter le dossier" in client.get(f"/lieux/gestion/{venue.id}").text
    data = {"siret": "732 829 320 00074", "iban": "FR76 3000 6000 0112 3456 7890 188",
            "legal_representative": "Jeanne Martin"}
    wrong = client.post(f"/lieux/gestion/{venue.id}/dossier", data=data)
    assert wrong.status_code == 422
    assert "clé de contrôle ne correspond pas" in html.unescape(wrong.text)
    unsigned = client.post(f"/lieux/gestion/{venue.id}/dossier",
                           data=data | {"iban": "FR76 3000 6000 0112 3456 7890 189"})
    assert unsigned.status_code == 400
    assert "Cochez la case une fois la charte signée" in html.unescape(unsigned.text)
    done = client.post(f"/lieux/gestion/{venue.id}/dossier", data=data | {
        "iban": "FR76 3000 6000 0112 3456 7890 189", "charter": "y"})
    assert done.status_code == 302
    page = html.unescape(client.get(f"/lieux/gestion/{venue.id}").text)
    assert "Dossier complété." in page and "Dossier incomplet" not in page
    assert "Compléter le dossier" not in page
    approved = client.post(f"/lieux/gestion/{venue.id}/approve",
                           data={"approve-reason": "Bienvenue"})
    assert approved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Venue, venue.id).label_status == LabelStatus.ACTIVE
