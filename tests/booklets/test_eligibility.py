"""The programme says who may receive a booklet; a manager may override with a reason."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from passnum.beneficiaries.services import override_eligibility
from passnum.booklets.models import Booklet
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.eligibility import eligibility_problem
from tests.factories import World, issue, make_beneficiary


def born_years_ago(years: int, days: int = 0) -> str:
    """The birth date of someone ``years`` old today (``days`` later: not quite)."""
    day = today()
    return (day.replace(year=day.year - years) + timedelta(days=days)).isoformat()


@pytest.fixture
def world(app) -> World:
    world = World()
    world.programme.eligible_postal_codes = "78, 92100 92200"
    world.programme.minimum_age = 60
    db.session.commit()
    return world


@pytest.mark.parametrize(("postal", "years", "days", "problem"), [
    ("78500", 70, 0, None), ("92100", 60, 0, None), ("92200", 80, 0, None),
    ("92000", 70, 0, "territory"), ("75001", 70, 0, "territory"),
    ("78500", 59, 0, "age"), ("78500", 60, 1, "age"),
])
def test_the_rule(world, postal, years, days, problem):
    found = eligibility_problem(world.programme, postal_code=postal,
                                birth_date=date.fromisoformat(born_years_ago(years, days)),
                                on=today())
    assert (found.code if found else None) == ({"territory": "outside_territory",
                                                "age": "below_minimum_age"}.get(problem))


def test_no_rule_means_everyone(app):
    world = World()
    person = make_beneficiary(world.issuer78, postal_code="13001",
                              birth_date=born_years_ago(20))
    assert issue(world.issuer78, person).id


def test_a_person_outside_the_territory_is_refused_in_french(world):
    person = make_beneficiary(world.issuer78, postal_code="92000",
                              birth_date=born_years_ago(70))
    with pytest.raises(DomainError) as err:
        issue(world.issuer78, person)
    assert err.value.code == "outside_territory" and err.value.http_status == 422
    assert "92000" in err.value.message and "gestionnaire" in err.value.message
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 0


def test_a_person_too_young_is_refused_in_french(world):
    person = make_beneficiary(world.issuer78, postal_code="78500",
                              birth_date=born_years_ago(59))
    with pytest.raises(DomainError) as err:
        issue(world.issuer78, person)
    assert err.value.code == "below_minimum_age" and "60 ans" in err.value.message


def test_a_manager_overrides_with_a_reason_then_the_booklet_is_issued(world):
    person = make_beneficiary(world.issuer78, postal_code="92000",
                              birth_date=born_years_ago(70))
    with pytest.raises(DomainError) as err, unit_of_work():
        override_eligibility(world.issuer78, person, reason="x")
    assert err.value.http_status == 403
    with pytest.raises(DomainError) as err, unit_of_work():
        override_eligibility(world.manager78, person, reason="  ")
    assert err.value.code == "invalid_input"
    with unit_of_work():
        override_eligibility(world.manager78, person,
                             reason="Hébergée chez sa fille à Poissy depuis mars")
    booklet = issue(world.issuer78, person)
    assert booklet.id
    db.session.expire_all()
    assert person.eligibility_override_reason.startswith("Hébergée")


def test_the_override_form_on_the_persons_page(client, world):
    from tests.factories import login
    person = make_beneficiary(world.issuer78, postal_code="92000",
                              birth_date=born_years_ago(70))
    login(client, world.issuer78)
    refused = client.post(f"/beneficiaires/{person.id}/chequier", follow_redirects=True)
    assert "hors du territoire" in refused.text
    client.post("/deconnexion")
    login(client, world.manager78)
    page = client.get(f"/beneficiaires/{person.id}").text
    assert "éligibilité" in page
    done = client.post(f"/beneficiaires/{person.id}/eligibilite",
                       data={"eligibility_reason": "Hébergée à Poissy"}, follow_redirects=True)
    assert done.status_code == 200 and "Hébergée à Poissy" in done.text
    client.post("/deconnexion")
    login(client, world.issuer78)
    issued = client.post(f"/beneficiaires/{person.id}/chequier", follow_redirects=True)
    assert "émis : imprimez-le" in issued.text


def test_the_admin_defines_the_rule_on_the_programme_page(client, app):
    from tests.factories import login
    world = World()
    login(client, world.admin)
    url = f"/programmes/{world.programme.id}"
    page = client.get(url)
    assert page.status_code == 200
    form = {k: v for k, v in re.findall(
        r'name="([a-z_]+)"[^>]*value="([^"]*)"', page.text)}
    form.update({"eligible_postal_codes": "78, 92100;92200", "minimum_age": "60"})
    response = client.post(url, data=form)
    assert response.status_code in (200, 302), response.text
    db.session.expire_all()
    assert world.programme.eligible_postal_codes == "78 92100 92200"
    assert world.programme.minimum_age == 60
    form["eligible_postal_codes"] = "78 Paris"
    response = client.post(url, data=form)
    assert response.status_code in (400, 422) and "« Paris »" in response.text
