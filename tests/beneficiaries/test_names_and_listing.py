"""First names are written alike, a probable duplicate elsewhere is flagged at creation,
issuers list their structure's people without typing a name."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.queries import PAGE_SIZE
from passnum.core.text import first_name_case
from passnum.extensions import db
from tests.factories import World, issue, make_beneficiary
from tests.factories import login as log_in


def login(client, user) -> None:
    assert log_in(client, user).status_code == 302


@pytest.mark.parametrize(("typed", "stored"), [
    ("helene", "Helene"), ("HÉLÈNE", "Hélène"), ("Hélène", "Hélène"),
    ("jean-pierre", "Jean-Pierre"), ("marie  claire", "Marie Claire"),
    ("ANNE-SOPHIE", "Anne-Sophie"), ("d'arcy", "D'Arcy"),
])
def test_first_names_are_written_alike(typed, stored):
    assert first_name_case(" ".join(typed.split())) == stored


def test_a_first_name_is_stored_and_shown_normalised(app):
    world = World()
    person = make_beneficiary(world.issuer78, first_name="HÉLÈNE", last_name="moreau")
    assert person.first_name == "Hélène" and person.display_name == "MOREAU Hélène"


def test_a_probable_duplicate_elsewhere_is_flagged_at_creation(client, app):
    """The person already has a record in another structure: the creation succeeds but
    says so, naming the structure and the date only."""
    world = World()
    other = make_beneficiary(world.issuer92, last_name="Lefèvre", first_name="Anne",
                             birth_date="1950-05-05", phone="0612345678")
    login(client, world.issuer78)
    response = client.post("/beneficiaires/nouveau", data={
        "last_name": "LEFEVRE", "first_name": "anne", "birth_date": "1950-05-05",
        "postal_code": "78500", "consent": "y"}, follow_redirects=True)
    assert response.status_code == 200 and "Bénéficiaire enregistré" in response.text
    warning = re.search(r'<p class="flash flash-warning"[^>]*>(.*?)</p>', response.text,
                        re.S)
    assert warning is not None
    text = warning.group(1)
    assert world.s92.name in text and other.created_at.strftime("%d/%m/%Y") in text
    assert "0612345678" not in response.text and "06 12" not in response.text
    # with a booklet, the warning says when it was issued
    booklet = issue(world.issuer92, other)
    response = client.post("/beneficiaires/nouveau", data={
        "last_name": "Lefevre", "first_name": "Anne", "birth_date": "1950-05-05",
        "postal_code": "78500", "consent": "y"}, follow_redirects=True)
    assert response.status_code == 409  # already in this structure: refused as before
    login(client, world.issuer78b)
    response = client.post("/beneficiaires/nouveau", data={
        "last_name": "Lefevre", "first_name": "Anne", "birth_date": "1950-05-05",
        "postal_code": "78500", "consent": "y"}, follow_redirects=True)
    assert "chéquier" in response.text and booklet.issued_at.strftime("%d/%m/%Y") in response.text


def test_no_warning_for_a_new_person(client, app):
    world = World()
    login(client, world.issuer78)
    response = client.post("/beneficiaires/nouveau", data={
        "last_name": "Inédite", "first_name": "Paule", "birth_date": "1960-01-01",
        "postal_code": "78500", "consent": "y"}, follow_redirects=True)
    assert "flash-warning" not in response.text


def test_issuers_list_their_structures_people_paged_and_sorted(client, app):
    world = World()
    names = [f"Nom{i:03d}" for i in range(PAGE_SIZE + 5)]
    for name in reversed(names):
        make_beneficiary(world.issuer78, last_name=name)
    make_beneficiary(world.issuer78b, last_name="Ailleurs")
    login(client, world.issuer78)
    first = client.get("/beneficiaires/liste").text
    shown = re.findall(r">(NOM\d{3}) ", first)
    assert shown == [n.upper() for n in names[:PAGE_SIZE]]
    assert "AILLEURS" not in first
    assert f"{len(names)} personnes" in first
    assert 'href="/beneficiaires/liste?page=2"' in first
    second = client.get("/beneficiaires/liste?page=2").text
    assert re.findall(r">(NOM\d{3}) ", second) == [n.upper() for n in names[PAGE_SIZE:]]
    assert 'href="/beneficiaires/liste?page=1"' in second
    assert client.get("/beneficiaires/liste?page=99").status_code == 404
    assert client.get("/beneficiaires/liste?page=abc").status_code in (200, 404)
    assert "/beneficiaires/liste" in client.get("/beneficiaires/").text
    assert db.session.scalar(select(func.count()).select_from(Beneficiary)) == len(names) + 1
