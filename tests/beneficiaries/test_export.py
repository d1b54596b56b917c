"""Subject-access export (droit d'accès): content, PDF, scope, audit, pseudonymised people."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.consent import CONSENT_TEXTS, CURRENT_CONSENT_VERSION
from passnum.beneficiaries.retention import pseudonymise
from passnum.beneficiaries.services import export_beneficiary
from passnum.booklets.services import revoke_booklet
from passnum.core.db import unit_of_work
from passnum.errors import NotFound, RuleRefused
from passnum.extensions import db
from passnum.redemptions.services import redeem
from tests.api.conftest import API, api_client, bearer
from tests.factories import World, issue, make_beneficiary
from tests.pdfutil import pdf_text
from tests.web.test_issuing_pages import login


@pytest.fixture
def scene(app):
    """A person with contact details and a need, a booklet with one voucher redeemed at
    a venue, then the booklet declared lost; and someone else in the same structure."""
    world = World()
    person = make_beneficiary(world.issuer78, last_name="Ménard-Lefèvre", first_name="Zoé",
                              birth_date="03/02/1949", phone="01 23 45 67 89",
                              email="zoe@example.org", need="Faire ses démarches en ligne")
    other = make_beneficiary(world.issuer78, last_name="Autrepersonne", first_name="Basile")
    booklet = issue(world.issuer78, person)
    issue(world.issuer78, other)
    with unit_of_work():
        redeem([booklet.vouchers[0].manual_code], venue=world.venue78, workshop=None,
               actor=world.agent78, channel="test")
    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="lost")
    return world, person.id, booklet.id, other.id


def _export(actor, person_id):
    with unit_of_work():
        return export_beneficiary(actor, person_id, fmt="json")


def test_export_holds_everything_about_the_person_and_nothing_else(scene):
    world, person_id, booklet_id, _other = scene
    data = _export(world.issuer78, person_id)
    person = data["beneficiary"]
    assert (person["last_name"], person["first_name"], person["birth_date"].isoformat()) == (
        "Ménard-Lefèvre", "Zoé", "1949-02-03")
    assert (person["phone"], person["email"], person["need"], person["postal_code"]) == (
        "01 23 45 67 89", "zoe@example.org", "Faire ses démarches en ligne", "78500")
    assert data["consent"]["text_version"] == CURRENT_CONSENT_VERSION
    assert data["consent"]["text"] == CONSENT_TEXTS[CURRENT_CONSENT_VERSION]
    assert data["consent"]["given_at"] is not None
    assert data["structure"] == {"id": world.s78.id, "name": world.s78.name,
                                 "departement": "78"}
    [booklet] = data["booklets"]
    assert (booklet["status"], booklet["revoke_reason"]) == ("revoked", "lost")
    assert booklet["revoked_at"] is not None and len(booklet["vouchers"]) == 10
    first, *rest = booklet["vouchers"]
    assert (first["status"], first["venue"], first["value_cents"]) == (
        "redeemed", world.venue78.name, 1000)
    assert first["redeemed_at"] is not None
    assert {v["status"] for v in rest} == {"revoked"} and not any(v["venue"] for v in rest)
    actions = [e["action"] for e in data["events"]]
    assert actions == ["beneficiary.created", "booklet.issued", "voucher.redeemed",
                       "booklet.revoked"]
    assert {e["object_id"] for e in data["events"][:2]} == {str(person_id), str(booklet_id)}
    assert "Autrepersonne" not in json.dumps(data, default=str)


def test_export_is_audited_without_names(scene):
    world, person_id, _booklet, _other = scene
    _export(world.manager78, person_id)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action ==
                                                       "beneficiary.exported"))
    assert (event.actor_id, event.object_id) == (world.manager78.id, str(person_id))
    assert "Ménard" not in event.details and "1949" not in event.details
    # the next export lists the previous one
    assert _export(world.admin, person_id)["events"][-1]["action"] == "beneficiary.exported"


def test_export_scope(scene):
    world, person_id, _booklet, _other = scene
    for allowed in (world.issuer78, world.manager78, world.admin):
        assert _export(allowed, person_id)["beneficiary"]["id"] == person_id
    for outsider in (world.issuer78b, world.issuer92, world.manager92, world.agent78):
        with pytest.raises(NotFound):
            _export(outsider, person_id)
    assert db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "beneficiary.exported", AuditEvent.actor_id.in_(
            [world.issuer78b.id, world.issuer92.id, world.manager92.id, world.agent78.id]))
    ) is None


def test_pseudonymised_person_is_refused_with_a_clear_message(scene):
    world, person_id, _booklet, _other = scene
    with unit_of_work():
        pseudonymise([person_id], actor_id=None, retention_months=12)
    with pytest.raises(RuleRefused) as err:
        _export(world.issuer78, person_id)
    assert err.value.code == "beneficiary_pseudonymised"
    assert "aucune donnée personnelle" in err.value.message


def test_pages_offer_and_serve_the_downloads(scene, client):
    world, person_id, _booklet, _other = scene
    login(client, world.issuer78)
    page = client.get(f"/beneficiaires/{person_id}").text
    assert f"/beneficiaires/{person_id}/export.pdf" in page
    assert CONSENT_TEXTS[CURRENT_CONSENT_VERSION] in page
    assert f"texte version {CURRENT_CONSENT_VERSION}" in page
    response = client.post(f"/beneficiaires/{person_id}/export.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="beneficiaire-{person_id}-donnees.json"')
    assert response.json["beneficiary"]["birth_date"] == "1949-02-03"
    response = client.post(f"/beneficiaires/{person_id}/export.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "Ménard" not in response.headers["Content-Disposition"]
    assert f"beneficiaire-{person_id}-donnees.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for expected in ("Ménard-Lefèvre", "Zoé", "03/02/1949", "zoe@example.org",
                     "Faire ses démarches en ligne", CURRENT_CONSENT_VERSION, world.s78.name,
                     world.venue78.name, "Perdu", "Encaissé", "Chéquier émis"):
        assert expected in text, expected
    assert "Autrepersonne" not in text


def test_pages_hide_the_person_from_outsiders(scene, client):
    world, person_id, _booklet, _other = scene
    for outsider in (world.issuer92, world.agent78):
        login(client, outsider)
        for suffix in ("json", "pdf"):
            assert client.post(f"/beneficiaires/{person_id}/export.{suffix}").status_code == 404
        client.post("/deconnexion")


def test_creation_form_shows_the_consent_text_and_its_version(app, client):
    world = World()
    login(client, world.issuer78)
    page = client.get("/beneficiaires/nouveau").text
    assert CONSENT_TEXTS[CURRENT_CONSENT_VERSION].split(",")[0] in page
    assert f"version {CURRENT_CONSENT_VERSION}" in page


def test_api_export(app, scene):
    world, person_id, _booklet, _other = scene
    api = api_client(app)
    response = api.post(f"{API}/beneficiaries/{person_id}/export", headers=bearer(
        api, world.manager78))
    assert response.status_code == 200
    assert response.json["beneficiary"]["last_name"] == "Ménard-Lefèvre"
    assert response.json["booklets"][0]["vouchers"][0]["venue"] == world.venue78.name
    for outsider in (world.issuer92, world.agent78):
        response = api.post(f"{API}/beneficiaries/{person_id}/export",
                           headers=bearer(api, outsider))
        assert response.status_code == 404 and response.json["error"]["code"] == "not_found"
    with unit_of_work():
        pseudonymise([person_id], actor_id=None, retention_months=12)
    response = api.post(f"{API}/beneficiaries/{person_id}/export",
                        headers=bearer(api, world.admin))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "beneficiary_pseudonymised"
