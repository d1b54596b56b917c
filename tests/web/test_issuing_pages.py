"""The issuer's pages: French messages for each refusal, scope, CSRF, no names in URLs."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.extensions import db
from tests.conftest import make_app
from tests.factories import PASSWORD, World, issue, make_beneficiary
from tests.factories import login as log_in


def login(client, user):
    response = log_in(client, user)
    assert response.status_code == 302, response.text
    return response


def create_person(client, **over):
    data = {"last_name": "Moreau", "first_name": "Hélène", "birth_date": "1947-11-30",
            "postal_code": "78500", "consent": "y"}
    data.update(over)
    return client.post("/beneficiaires/nouveau", data=data)


def test_login_page_and_wrong_password_is_audited(client, app):
    World()
    assert "Connexion" in client.get("/connexion").text
    response = client.post("/connexion", data={"email": "nobody@example.org", "password": "x"})
    assert response.status_code == 422
    assert "Adresse e-mail ou mot de passe incorrect." in response.text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "auth.login_failed"))
    assert event is not None and "nobody" not in event.details


def test_pages_need_login(client, app):
    response = client.get("/beneficiaires/")
    assert response.status_code == 302 and "/connexion" in response.location


def test_a_form_sent_after_the_session_ended_comes_back_to_its_page_after_login(client, app):
    """A POST whose session is gone leads, once logged in again, to the form's page to be
    refilled, not to the POST-only address (a 405 after login)."""
    world = World()
    response = client.post("/beneficiaires/nouveau", data={"last_name": "Martin"},
                           headers={"Referer": "http://localhost/beneficiaires/nouveau"})
    assert response.status_code == 302
    target = parse_qs(urlsplit(response.location).query)["next"][0]
    assert target == "/beneficiaires/nouveau?reprise=1"
    login(client, world.issuer78)
    assert client.get(target).status_code == 200


def test_issue_journey_and_refusals_in_french(client, app):
    world = World(allocation=2)
    login(client, world.issuer78)
    response = create_person(client)
    assert response.status_code == 302
    person_url = response.location
    response = client.post(person_url + "/chequier", follow_redirects=True)
    assert "émis : imprimez-le" in response.text
    number = re.search(r"Chéquier n° (78-[0-9A-Z-]+)", response.text).group(1)
    # a second booklet is refused with the first one's number
    response = client.post(person_url + "/chequier", follow_redirects=True)
    assert "un seul chéquier par personne" in response.text and number in response.text
    # the same person again in the structure
    response = create_person(client, last_name="MOREAU", first_name="helene")
    assert response.status_code == 409 and "déjà enregistrée" in response.text
    # allocation of 2: a second person gets one, a third is refused
    for i, name in enumerate(["Petit", "Roux"]):
        url = create_person(client, last_name=name).location
        response = client.post(url + "/chequier", follow_redirects=True)
        if i == 0:
            assert "émis : imprimez-le" in response.text
        else:
            assert "allocation de chéquiers de votre structure est épuisée" in response.text
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 2


def test_duplicate_message_names_structure_and_date(client, app):
    world = World()
    first = make_beneficiary(world.issuer92, last_name="Lefèvre", first_name="Anne",
                             birth_date="1950-05-05")
    issue(world.issuer92, first)
    login(client, world.issuer78)
    url = create_person(client, last_name="LEFEVRE", first_name="anne",
                        birth_date="1950-05-05").location
    response = client.post(url + "/chequier", follow_redirects=True)
    assert world.s92.name in response.text and "même nom" in response.text


def test_search_is_posted_so_names_stay_out_of_urls(client, app):
    world = World()
    make_beneficiary(world.issuer78, last_name="Vasseur")
    login(client, world.issuer78)
    response = client.post("/beneficiaires/", data={"last_name": "vass"})
    assert "VASSEUR" in response.text
    for link in re.findall(r'href="([^"]+)"', response.text):
        assert "vass" not in link.lower()


def test_scope_on_pages(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    login(client, world.issuer92)
    for url in (f"/beneficiaires/{person.id}", f"/chequiers/{booklet.id}"):
        assert client.get(url).status_code == 404
    assert client.post(f"/chequiers/{booklet.id}/pdf").status_code == 404
    assert client.post(f"/chequiers/{booklet.id}/revoquer",
                       data={"reason": "lost"}).status_code == 404
    assert client.post(f"/beneficiaires/{person.id}/chequier").status_code == 404


def test_venue_agent_cannot_reach_people(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    login(client, world.agent78)
    assert client.get("/beneficiaires/").status_code == 403
    assert client.get(f"/beneficiaires/{person.id}").status_code == 403
    assert create_person(client).status_code == 403


def test_revoke_from_the_booklet_page(client, app):
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    login(client, world.issuer78)
    response = client.post(f"/chequiers/{booklet.id}/revoquer",
                           data={"reason": "lost", "note": "perdu au marché", "confirm": "oui"},
                           follow_redirects=True)
    assert "Chéquier révoqué" in response.text and "Révoqué" in response.text
    response = client.post(f"/chequiers/{booklet.id}/remplacer", follow_redirects=True)
    assert "Chéquier de remplacement" in response.text


def test_check_page_for_a_venue_agent(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    login(client, world.agent78)
    code = booklet.vouchers[0].manual_code.lower()
    response = client.post("/verifier", data={"code": code})
    assert "Chèque valable" in response.text and booklet.vouchers[0].serial in response.text
    assert person.last_name.upper() not in response.text.upper()
    response = client.post("/verifier", data={"code": "AAAA-BBBB-CCCC"})
    assert "Code non reconnu" in response.text


@pytest.mark.parametrize("path", ["/connexion", "/beneficiaires/nouveau"])
def test_forms_refuse_posts_without_csrf(tmp_path, request, path):
    app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        world = World()
        client = app.test_client()
        if path != "/connexion":
            page = client.get("/connexion").text
            token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
            client.post("/connexion", data={"email": world.issuer78.email,
                                            "password": PASSWORD, "csrf_token": token})
        response = client.post(path, data={"email": "x", "last_name": "x"})
        # refused, and sent back to the form's page, which refills what was typed
        assert response.status_code == 302
        assert response.location == f"{path}?reprise=1"
        assert "formulaire avait expiré" in client.get(response.location).text
        assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == 0
        # the page the form was on, when the browser names it
        response = client.post(path, data={"last_name": "x"},
                               headers={"Referer": f"http://localhost{path}?structure=2"})
        assert response.location == f"{path}?structure=2&reprise=1"
        response = client.post(path, data={"last_name": "x"},
                               headers={"Referer": "http://elsewhere.example/x"})
        assert response.location == f"{path}?reprise=1"
        # the API still answers in JSON (tests/api/test_edge.py)
        db.session.remove()


def test_security_headers_on_html(client, app):
    response = client.get("/connexion")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_login_and_logout_are_audited(client, app):
    world = World()
    login(client, world.issuer78)
    assert client.post("/deconnexion").status_code == 302
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.actor_id == world.issuer78.id).order_by(AuditEvent.seq)).all()
    assert actions[-2:] == ["auth.login", "auth.logout"]
    assert client.get("/beneficiaires/").status_code == 302


def test_admin_records_a_person_in_a_chosen_structure(client, app):
    world = World()
    login(client, world.admin)
    page = client.get("/beneficiaires/nouveau").text
    assert world.s92.name in page and 'name="structure_id"' in page
    response = create_person(client, structure_id=str(world.s92.id))
    assert response.status_code == 302
    from passnum.beneficiaries.models import Beneficiary

    person = db.session.scalar(select(Beneficiary).where(Beneficiary.last_name == "Moreau"))
    assert person.structure_id == world.s92.id


def test_issuer_cannot_choose_another_structure(client, app):
    world = World()
    login(client, world.issuer78)
    assert 'name="structure_id"' not in client.get("/beneficiaires/nouveau").text
    assert create_person(client, structure_id=str(world.s92.id)).status_code == 302
    from passnum.beneficiaries.models import Beneficiary

    person = db.session.scalar(select(Beneficiary).where(Beneficiary.last_name == "Moreau"))
    assert person.structure_id == world.s78.id


def test_revoked_booklet_page_offers_no_pdf(client, app):
    """A revoked booklet's chèques are void: its page no longer offers the PDF, and a
    direct request for it is refused in French (nothing counted)."""
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    login(client, world.issuer78)
    assert "Télécharger le PDF" in client.get(f"/chequiers/{booklet.id}").text
    client.post(f"/chequiers/{booklet.id}/revoquer", data={"reason": "lost", "confirm": "oui"})
    page = client.get(f"/chequiers/{booklet.id}").text
    assert "Révoqué" in page
    assert "Télécharger le PDF" not in page and f"/chequiers/{booklet.id}/pdf" not in page
    response = client.post(f"/chequiers/{booklet.id}/pdf")
    assert response.status_code == 422
    assert "révoqué" in response.text and "imprimé" in response.text
    db.session.expire_all()
    assert db.session.get(Booklet, booklet.id).printed_count == 0
