"""Beneficiary creation, validation and scoped search."""

from datetime import date

import pytest

from passnum.beneficiaries import queries
from passnum.beneficiaries.validation import identity_key
from passnum.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleRefused
from tests.factories import World, beneficiary_data, make_beneficiary


def test_identity_key_ignores_accents_case_hyphens_spaces():
    born = date(1950, 1, 2)
    assert identity_key("Le Gall-Éloïse", "Jean-Noël", born) == identity_key(
        "legall eloise", "JEAN NOEL", born)
    assert identity_key("Dupont", "Anne", born) != identity_key("Dupont", "Anne", date(1950, 1, 3))


def test_create_and_find_by_name_prefix(app):
    world = World()
    person = make_beneficiary(world.issuer78, last_name="Ménard-Lefèvre", first_name="Zoé",
                              birth_date="03/02/1949")
    assert person.birth_date == date(1949, 2, 3)
    assert person.consent_at is not None and person.consent_text_version
    found = queries.search(world.issuer78, last_name="menard lef")
    assert [b.id for b in found] == [person.id]
    assert queries.search(world.issuer78, last_name="menard", birth_date=date(1949, 2, 4)) == []
    assert queries.search(world.issuer78, last_name="MENARD", first_name="zoe",
                          birth_date=date(1949, 2, 3))


def test_same_person_twice_in_a_structure_is_refused(app):
    world = World()
    person = make_beneficiary(world.issuer78, last_name="Durand", first_name="Léa")
    with pytest.raises(Conflict) as err:
        make_beneficiary(world.issuer78, last_name="DURAND", first_name="lea")
    assert err.value.code == "beneficiary_exists"
    assert err.value.details["beneficiary_id"] == person.id
    assert "déjà enregistrée" in err.value.message


@pytest.mark.parametrize(("override", "error", "code"), [
    ({"consent": False}, RuleRefused, "consent_required"),
    ({"consent": "yes"}, RuleRefused, "consent_required"),
    ({"birth_date": "31/02/1950"}, InvalidInput, "invalid_date"),
    ({"birth_date": "2999-01-01"}, InvalidInput, "invalid_date"),
    ({"birth_date": 12}, InvalidInput, "missing_field"),
    ({"postal_code": "7850"}, InvalidInput, "invalid_input"),
    ({"last_name": "   "}, InvalidInput, "missing_field"),
    ({"first_name": "---"}, InvalidInput, "invalid_input"),
    ({"email": "not-an-email"}, InvalidInput, "invalid_input"),
    ({"phone": "call me"}, InvalidInput, "invalid_input"),
])
def test_bad_input_is_refused_with_a_code_and_a_field(app, override, error, code):
    world = World()
    from passnum.beneficiaries.services import create_beneficiary

    with pytest.raises(error) as err:
        create_beneficiary(world.issuer78, beneficiary_data(**override))
    assert err.value.code == code
    assert err.value.message


def test_scope_issuer_manager_admin_venue(app):
    world = World()
    person = make_beneficiary(world.issuer78, last_name="Scope")
    assert queries.get_beneficiary(world.issuer78, person.id).id == person.id
    assert queries.get_beneficiary(world.manager78, person.id).id == person.id
    assert queries.get_beneficiary(world.admin, person.id).id == person.id
    for outsider in (world.issuer78b, world.issuer92, world.manager92, world.agent78):
        with pytest.raises(NotFound):
            queries.get_beneficiary(outsider, person.id)
        assert queries.search(outsider, last_name="scope") == []


def test_managers_and_venues_cannot_create_people(app):
    world = World()
    from passnum.beneficiaries.services import create_beneficiary

    for actor in (world.manager78, world.agent78):
        with pytest.raises(Forbidden):
            create_beneficiary(actor, beneficiary_data())
