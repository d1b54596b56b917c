"""The beneficiary form's reporting categories: commune from the postal code, genre,
statut social, QPV/FRR, the programme's priority publics and the separate consent to
messages, at creation and when a record is corrected."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.models import Beneficiary
from passnum.core import clock
from passnum.extensions import db
from tests.factories import World, make_beneficiary, make_priority_publics
from tests.web.test_issuing_pages import login

PERSON = {"last_name": "Moreau", "first_name": "Hélène", "birth_date": "1947-11-30",
          "postal_code": "78120", "commune_insee": "78517", "consent": "y"}
EVERY_FIELD = {**PERSON, "gender": "female", "social_status": "retired",
               "priority_area": "no", "priority_publics": ["minimum_income"],
               "email": "helene@example.org", "messages_consent": "y"}


def _people() -> list[Beneficiary]:
    db.session.expire_all()
    return list(db.session.scalars(select(Beneficiary).order_by(Beneficiary.id)))


def _instant():
    return clock.now().replace(hour=9, minute=30, second=0, microsecond=0)


def test_create_with_every_field_then_the_page_shows_the_labels(client, app):
    world = World()
    make_priority_publics(world.programme)
    login(client, world.issuer78)
    form = client.get("/beneficiaires/nouveau").text
    for text in ("Commune", "Genre (facultatif)", "Statut social (facultatif)",
                 "Bénéficiaire des minima sociaux", 'data-commune-for="postal_code"',
                 "js/communes.js", "recevoir des messages (SMS ou e-mail)"):
        assert text in form
    at = _instant()
    with clock.frozen(at):
        response = client.post("/beneficiaires/nouveau", data=EVERY_FIELD)
    assert response.status_code == 302, response.text
    [person] = _people()
    assert (person.commune_insee, person.gender, person.social_status, person.priority_area) \
        == ("78517", "female", "retired", "no")
    assert [p.code for p in person.priority_publics] == ["minimum_income"]
    assert person.messages_consent_at == at
    page = client.get(response.location).text
    for text in ("Rambouillet (78517)", "féminin", "retraité", "Bénéficiaire des minima sociaux",
                 "70 ans et plus", "Modifier la fiche"):
        assert text in page
    assert "non</dd>" in page  # QPV/FRR: non


def test_a_postal_code_of_several_communes_asks_which_then_records_it(client, app):
    world = World()
    login(client, world.issuer78)
    asked = client.post("/beneficiaires/nouveau", data={**PERSON, "commune_insee": ""})
    assert asked.status_code == 422
    assert "Plusieurs communes ont le code postal 78120" in asked.text
    for option in ('value="78164"', 'value="78517"', 'value="78601"'):
        assert option in asked.text
    assert _people() == []
    chosen = client.post("/beneficiaires/nouveau", data={**PERSON, "commune_insee": "78601"})
    assert chosen.status_code == 302
    assert _people()[0].commune_insee == "78601"


def test_one_commune_is_taken_without_asking_and_a_wrong_one_is_refused(client, app):
    world = World()
    login(client, world.issuer78)
    wrong = client.post("/beneficiaires/nouveau",
                        data={**PERSON, "postal_code": "78000", "commune_insee": "78517"})
    assert wrong.status_code == 422
    assert "Cette commune n&#39;a pas le code postal 78000" in wrong.text
    assert 'value="78646"' in wrong.text  # Versailles offered instead
    assert _people() == []
    taken = client.post("/beneficiaires/nouveau",
                        data={**PERSON, "postal_code": "78000", "commune_insee": ""})
    assert taken.status_code == 302
    assert _people()[0].commune_insee == "78646"


def test_messages_need_a_phone_or_an_e_mail(client, app):
    world = World()
    login(client, world.issuer78)
    refused = client.post("/beneficiaires/nouveau", data={**PERSON, "messages_consent": "y"})
    assert refused.status_code == 422
    assert "doit donner un téléphone ou une adresse e-mail" in refused.text
    assert _people() == []


def test_editing_records_then_withdraws_the_consent_to_messages(client, app):
    world = World()
    make_priority_publics(world.programme)
    person = make_beneficiary(world.issuer78, phone="06 12 34 56 78")
    url = f"/beneficiaires/{person.id}/modifier"
    login(client, world.issuer78)
    page = client.get(url)
    assert page.status_code == 200, page.text
    assert "<option selected value=\"78586\">Sartrouville</option>" in page.text, page.text
    base = {"last_name": person.last_name, "first_name": person.first_name,
            "birth_date": "1958-04-12", "postal_code": "78500", "phone": "06 12 34 56 78"}
    given = _instant()
    with clock.frozen(given):
        response = client.post(url, data={**base, "messages_consent": "y", "gender": "male",
                                          "priority_publics": ["young_unqualified"]})
    assert response.status_code == 302, response.text
    [stored] = _people()
    assert stored.messages_consent_at == given and stored.gender == "male"
    with clock.frozen(given + timedelta(days=3)):  # ticked again: the first date stays
        client.post(url, data={**base, "messages_consent": "y", "gender": "male"})
    assert _people()[0].messages_consent_at == given
    assert _people()[0].priority_publics == []
    client.post(url, data={**base, "gender": ""})  # a browser sends every select
    stored = _people()[0]
    assert stored.messages_consent_at is None and stored.gender is None
    events = [json.loads(e.details) for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "beneficiary.updated")
        .order_by(AuditEvent.seq))]
    assert events[0]["fields"] == ["gender", "messages_consent_at", "priority_publics"]
    assert "06 12" not in json.dumps(events)


def test_a_retired_priority_public_stays_on_the_person_who_has_it(client, app):
    world = World()
    entries = make_priority_publics(world.programme)
    person = make_beneficiary(world.issuer78, priority_publics=["minimum_income"])
    entries[2].is_active = False
    db.session.commit()
    login(client, world.issuer78)
    url = f"/beneficiaires/{person.id}/modifier"
    page = client.get(url).text
    assert "Bénéficiaire des minima sociaux (ne figure plus dans la liste)" in page
    base = {"last_name": person.last_name, "first_name": person.first_name,
            "birth_date": "1958-04-12", "postal_code": "78500"}
    kept = client.post(url, data={**base, "priority_publics": ["minimum_income"]})
    assert kept.status_code == 302
    assert [p.code for p in _people()[0].priority_publics] == ["minimum_income"]
    new = client.get("/beneficiaires/nouveau").text
    assert "Bénéficiaire des minima sociaux" not in new
    refused = client.post("/beneficiaires/nouveau",
                          data={**PERSON, "priority_publics": ["minimum_income"]})
    assert refused.status_code == 422
    assert "Public prioritaire inconnu" in refused.text


def test_who_may_correct_a_record(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    url = f"/beneficiaires/{person.id}/modifier"
    login(client, world.manager78)
    assert client.get(url).status_code == 403
    assert "Modifier la fiche" not in client.get(f"/beneficiaires/{person.id}").text
    client.post("/deconnexion")
    login(client, world.issuer92)
    assert client.get(url).status_code == 404
    client.post("/deconnexion")
    login(client, world.admin)
    assert client.get(url).status_code == 200
    count = db.session.scalar(select(func.count(AuditEvent.id)))
    same = client.post(url, data={"last_name": person.last_name, "first_name": "Camille",
                                  "birth_date": "1958-04-12", "postal_code": "78500"})
    assert same.status_code == 302
    assert db.session.scalar(select(func.count(AuditEvent.id))) == count  # nothing changed
