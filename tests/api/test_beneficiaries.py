"""POST/GET /api/v1/beneficiaries: creation with consent, strict input, scope."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from passnum.beneficiaries.models import Beneficiary
from passnum.extensions import db
from tests.api.conftest import API, bearer
from tests.factories import make_priority_publics

PERSON = {"first_name": "Camille", "last_name": "Durand", "birth_date": "1958-04-12",
          "postal_code": "78500", "consent": True}


def _count() -> int:
    return db.session.scalar(select(func.count(Beneficiary.id)))


def test_create_then_read(client, world):
    headers = bearer(client, world.issuer78)
    body = {**PERSON, "phone": "06 12 34 56 78", "email": None, "need": "Démarches en ligne"}
    created = client.post(f"{API}/beneficiaries", headers=headers, json=body)
    assert created.status_code == 201
    person = created.json
    assert person["first_name"] == "Camille"
    assert person["birth_date"] == "1958-04-12"
    assert person["structure_id"] == world.s78.id
    assert person["phone"] == "06 12 34 56 78"
    assert person["email"] is None
    read = client.get(f"{API}/beneficiaries/{person['id']}", headers=headers)
    assert read.status_code == 200
    assert read.json == person


def test_french_birth_date_is_accepted(client, world):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, "birth_date": "12/04/1958"})
    assert response.status_code == 201
    assert response.json["birth_date"] == "1958-04-12"


@pytest.mark.parametrize("consent", [False, "absent"])
def test_consent_is_required(client, world, consent):
    body = {k: v for k, v in PERSON.items() if k != "consent"}
    if consent != "absent":
        body["consent"] = consent
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json=body)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "consent_required"
    assert _count() == 0


@pytest.mark.parametrize(("field", "value", "code"), [
    ("birth_date", "1958-13-45", "invalid_date"),
    ("birth_date", "31/02/1990", "invalid_date"),
    ("birth_date", "2999-01-01", "invalid_date"),
    ("birth_date", "12 avril 1958", "invalid_format"),
    ("birth_date", 19580412, "invalid_type"),
    ("first_name", 12, "invalid_type"),
    ("last_name", ["Durand"], "invalid_type"),
    ("last_name", "   ", "missing_field"),
    ("postal_code", 78500, "invalid_type"),
    ("postal_code", "7850", "invalid_format"),
    ("consent", "yes", "invalid_type"),
    ("phone", 612345678, "invalid_type"),
    ("email", "pas-une-adresse", "invalid_input"),
    ("structure_id", "1", "invalid_type"),
    ("structure_id", True, "invalid_type"),
    ("structure_id", 2**40, "invalid_input"),
    ("first_name", "Cam\x00ille", "invalid_input"),
    ("first_name", "x" * 81, "invalid_input"),
    ("nickname", "Cam", "unknown_field"),
])
def test_bad_fields_are_named(client, world, field, value, code):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, field: value})
    assert response.status_code == 400
    assert response.json["error"]["code"] == code
    assert response.json["error"]["field"] == field
    assert _count() == 0


@pytest.mark.parametrize(("data", "content_type"), [
    ("first_name=Camille", "application/x-www-form-urlencoded"),
    ('{"first_name": "Camille"', "application/json"),
    ('["Camille"]', "application/json"),
    ("null", "application/json"),
    ('{"consent": NaN}', "application/json"),
    ("[" * 100_000, "application/json"),
    (b"\xff\xfe{}", "application/json"),
    ("", "application/json"),
])
def test_non_object_bodies_are_refused(client, world, data, content_type):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           data=data, content_type=content_type)
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_same_person_twice_in_a_structure_is_a_conflict(client, world):
    headers = bearer(client, world.issuer78)
    first = client.post(f"{API}/beneficiaries", headers=headers, json=PERSON)
    again = client.post(f"{API}/beneficiaries", headers=headers,
                        json={**PERSON, "last_name": "DURAND", "first_name": "camille"})
    assert again.status_code == 409
    assert again.json["error"]["code"] == "beneficiary_exists"
    assert again.json["error"]["details"] == {"beneficiary_id": first.json["id"]}


def test_roles_and_scope(client, world):
    created = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                          json=PERSON)
    url = f"{API}/beneficiaries/{created.json['id']}"
    for user in (world.agent78, world.manager78):
        refused = client.post(f"{API}/beneficiaries", headers=bearer(client, user), json=PERSON)
        assert refused.status_code == 403
        assert refused.json["error"]["code"] == "forbidden"
    for user in (world.issuer78b, world.issuer92, world.manager92, world.agent78):
        assert client.get(url, headers=bearer(client, user)).status_code == 404
    for user in (world.manager78, world.admin):
        assert client.get(url, headers=bearer(client, user)).status_code == 200
    assert client.get(f"{API}/beneficiaries/999999",
                      headers=bearer(client, world.issuer78)).status_code == 404


def test_admin_names_the_structure(client, world):
    headers = bearer(client, world.admin)
    missing = client.post(f"{API}/beneficiaries", headers=headers, json=PERSON)
    assert missing.status_code == 400
    assert missing.json["error"]["field"] == "structure_id"
    unknown = client.post(f"{API}/beneficiaries", headers=headers,
                          json={**PERSON, "structure_id": 999999})
    assert unknown.status_code == 400
    assert unknown.json["error"]["field"] == "structure_id"
    created = client.post(f"{API}/beneficiaries", headers=headers,
                          json={**PERSON, "structure_id": world.s92.id})
    assert created.status_code == 201
    assert created.json["structure_id"] == world.s92.id


_values = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False), st.text(max_size=120), st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["1958-04-12", "12/04/1958", "0000-00-00", "78500", "\ud800"]),
)
_bodies = st.dictionaries(
    st.sampled_from([*PERSON, "phone", "email", "need", "structure_id", "other",
                     "commune_insee", "gender", "social_status", "priority_area",
                     "priority_publics", "messages_consent"]), _values,
)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_bodies)
def test_arbitrary_bodies_never_cause_a_server_error(client, world, body):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, **body})
    assert response.status_code in (201, 400, 409, 422), response.json


# --- The reporting categories (docs/reach.md) ----------------------------------------------

EVERY_FIELD = {"gender": "female", "social_status": "unemployed", "priority_area": "yes",
               "priority_publics": ["minimum_income", "young_unqualified"],
               "messages_consent": True, "email": "camille@example.org"}


def test_every_category_in_and_out(client, world):
    make_priority_publics(world.programme)
    headers = bearer(client, world.issuer78)
    created = client.post(f"{API}/beneficiaries", headers=headers,
                          json={**PERSON, "postal_code": "78120", "commune_insee": "78517",
                                **EVERY_FIELD})
    assert created.status_code == 201, created.json
    person = created.json
    assert (person["commune_insee"], person["gender"], person["social_status"],
            person["priority_area"]) == ("78517", "female", "unemployed", "yes")
    # in the programme's order, whatever the order sent
    assert person["priority_publics"] == ["young_unqualified", "minimum_income"]
    assert person["messages_consent_at"] is not None
    assert client.get(f"{API}/beneficiaries/{person['id']}", headers=headers).json == person
    stored = db.session.get(Beneficiary, person["id"])
    assert stored.messages_consent_at is not None
    assert [p.code for p in stored.priority_publics] == person["priority_publics"]


def test_the_original_body_still_works_and_takes_the_only_commune(client, world):
    created = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                          json=PERSON)
    assert created.status_code == 201
    assert created.json["commune_insee"] == "78586"  # 78500: Sartrouville only
    assert created.json["gender"] is None
    assert created.json["priority_publics"] == []
    assert created.json["messages_consent_at"] is None


def test_a_postal_code_of_several_communes_asks_which(client, world):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, "postal_code": "78120"})
    assert response.status_code == 422
    error = response.json["error"]
    assert (error["code"], error["field"]) == ("commune_required", "commune_insee")
    assert {"insee": "78517", "name": "Rambouillet"} in error["details"]["choices"]
    assert len(error["details"]["choices"]) == 3
    assert _count() == 0


@pytest.mark.parametrize(("field", "value", "code"), [
    ("commune_insee", "78646", "commune_mismatch"),  # Versailles is not 78500
    ("commune_insee", "99999", "commune_mismatch"),
    ("gender", "other", "unknown_code"),
    ("social_status", "student", "unknown_code"),
    ("priority_area", "oui", "unknown_code"),
    ("priority_publics", ["nobody"], "unknown_code"),
    ("priority_publics", ["retired_one"], "unknown_code"),
    ("messages_consent", True, "messages_need_contact"),  # no phone, no e-mail
])
def test_bad_category_values_are_refused_naming_the_field(client, world, field, value, code):
    make_priority_publics(world.programme, (("retired_one", "Ancien public"),),
                          retired=("retired_one",))
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, field: value})
    assert response.status_code == 422, response.json
    assert (response.json["error"]["code"], response.json["error"]["field"]) == (code, field)
    assert _count() == 0


@pytest.mark.parametrize(("field", "value"), [
    ("gender", 1), ("priority_publics", "minimum_income"), ("priority_publics", [1]),
    ("messages_consent", "yes"), ("commune_insee", "786460"),
])
def test_badly_typed_categories_are_400(client, world, field, value):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, field: value})
    assert response.status_code == 400
    assert response.json["error"]["field"] == field


def test_an_unknown_postal_code_is_refused(client, world):
    response = client.post(f"{API}/beneficiaries", headers=bearer(client, world.issuer78),
                           json={**PERSON, "postal_code": "00000"})
    assert response.status_code == 400
    assert response.json["error"]["code"] == "unknown_postal_code"
    assert response.json["error"]["field"] == "postal_code"
