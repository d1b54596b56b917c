"""A venue's location: commune among its postal code's, optional coordinates, and the
position distances use (typed first, else the commune's centroid). Both databases."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.venues.location import set_venue_location
from passnum.venues.models import Venue
from passnum.venues.queries import position_source, venue_position
from tests.communes.helpers import RAMBOUILLET, use_communes
from tests.factories import World, login, make_user, make_venue


def locate(actor, venue: Venue, **values: Any) -> Venue:
    values.setdefault("postal_code", "78120")
    values.setdefault("commune_insee", "78517")
    with unit_of_work():
        return set_venue_location(actor, venue, **values)


def refusal(actor, venue: Venue, **values: Any) -> DomainError:
    with pytest.raises(DomainError) as caught:
        locate(actor, venue, **values)
    return caught.value


def located_events() -> list[dict[str, Any]]:
    """The details of each ``venue.located`` audit event, oldest first."""
    return [json.loads(details) for details in db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "venue.located")
        .order_by(AuditEvent.id))]


def test_the_commune_is_chosen_among_the_postal_codes_and_named_from_the_reference(app):
    world = World()
    venue = locate(world.manager78, world.venue78, postal_code="78 120", commune_insee="78601")
    db.session.expire_all()
    venue = db.session.get(Venue, world.venue78.id)
    assert (venue.postal_code, venue.commune_insee, venue.commune) == ("78120", "78601",
                                                                       "Sonchamp")
    assert (venue.latitude, venue.longitude) == (None, None)
    [event] = located_events()
    assert event["commune_insee"] == "78601" and event["position"] == "commune_centroid"


def test_a_postal_code_of_one_commune_needs_no_choice(app):
    world = World()
    venue = locate(world.manager78, world.venue78, postal_code="78000", commune_insee="")
    assert (venue.commune_insee, venue.commune) == ("78646", "Versailles")


@pytest.mark.parametrize(("values", "code", "field"), [
    ({"commune_insee": ""}, "commune_required", "commune_insee"),
    ({"commune_insee": "78646"}, "commune_not_in_postal_code", "commune_insee"),
    ({"postal_code": "78999", "commune_insee": ""}, "postal_code_unknown", "postal_code"),
    ({"postal_code": "92000", "commune_insee": "92050"}, "postal_code_departement_mismatch",
     "postal_code"),
    ({"postal_code": "7812"}, "postal_code_invalid", "postal_code"),
    ({"latitude": "48,6", "longitude": ""}, "position_incomplete", "longitude"),
    ({"latitude": "", "longitude": "1,8"}, "position_incomplete", "latitude"),
    ({"latitude": "nord", "longitude": "1,8"}, "coordinate_invalid", "latitude"),
    ({"latitude": "48.6", "longitude": "inf"}, "coordinate_invalid", "longitude"),
    ({"latitude": "40.0", "longitude": "2.0"}, "position_outside_france", "latitude"),
    # latitude and longitude swapped: in the Indian Ocean, not in France
    ({"latitude": "1.8292", "longitude": "48.6437"}, "position_outside_france", "latitude"),
])
def test_refusals_name_the_field_in_french_and_change_nothing(app, values, code, field):
    world = World()
    err = refusal(world.manager78, world.venue78, **values)
    assert (err.code, err.field) == (code, field)
    assert err.message and err.message[0].isupper()
    db.session.expire_all()
    venue = db.session.get(Venue, world.venue78.id)
    assert (venue.postal_code, venue.commune_insee, venue.latitude) == ("78000", None, None)
    assert located_events() == []


def test_typed_coordinates_come_first_then_the_communes_centroid(
        app, monkeypatch: pytest.MonkeyPatch):
    use_communes(monkeypatch)  # a reference with centroids
    world = World()
    venue = locate(world.manager78, world.venue78, latitude="48,6440", longitude=" 1.8300 ")
    assert venue_position(venue) == (48.644, 1.83)
    assert position_source(venue) == "typed"
    venue = locate(world.manager78, world.venue78, latitude="", longitude="")
    assert venue_position(venue) == (RAMBOUILLET.latitude, RAMBOUILLET.longitude)
    assert position_source(venue) == "commune"
    venue = locate(world.manager78, world.venue78, commune_insee="78601")  # no centroid
    assert venue_position(venue) is None and position_source(venue) == "none"
    assert [e["position"] for e in located_events()] == [
        "48.644, 1.83", "commune_centroid", "commune_centroid"]


def test_overseas_positions_are_in_france(app):
    world = World()
    venue = locate(world.admin, world.venue78, latitude="-21.1151", longitude="55.5364")
    assert (venue.latitude, venue.longitude) == (-21.1151, 55.5364)


def test_saving_the_same_location_again_records_nothing_new(app):
    world = World()
    locate(world.manager78, world.venue78, latitude="48.6437", longitude="1.8292")
    locate(world.manager78, world.venue78, latitude="48,6437", longitude="1,8292")
    assert len(located_events()) == 1


def test_who_may_set_a_venues_location(app):
    world = World()
    other_venue = make_venue(world.d78)
    venue92 = make_venue(world.d92)
    assert refusal(world.issuer78, world.venue78).http_status == 403
    # a venue's agents propose a location with the public profile, for a manager to check
    assert refusal(world.agent78, world.venue78).http_status == 403
    assert refusal(world.agent78, other_venue).http_status == 403
    assert refusal(world.manager92, world.venue78).http_status == 404
    assert locate(world.manager78, world.venue78).commune_insee == "78517"
    assert locate(world.admin, venue92, postal_code="92000", commune_insee="").commune == \
        "Nanterre"


def _error_of(page: str, field_id: str) -> str | None:
    found = re.search(rf'<p class="error" id="{field_id}-err">([^<]*)</p>', page)
    return html.unescape(found.group(1)).strip() if found else None


def test_the_venues_own_page_shows_its_location_and_sends_changes_for_checking(app, client):
    world = World()
    locate(world.manager78, world.venue78, postal_code="78120", commune_insee="78601",
           latitude="48,58", longitude="1,88")
    login(client, world.agent78)
    page = client.get("/mon-lieu").text
    assert "Sonchamp (code INSEE 78601)" in page and "48,58, 1,88" in page
    assert "Enregistrer la localisation" not in page
    assert "proposez-la avec la fiche publique" in page
    # no way around the manager's check
    assert client.post("/mon-lieu/localisation", data={
        "postal_code": "78000", "commune_insee": ""}).status_code in (404, 405)
    assert db.session.get(Venue, world.venue78.id).commune_insee == "78601"


def test_a_manager_sets_a_venues_location_from_its_page(app, client):
    world = World()
    login(client, world.manager78)
    venue_id = world.venue78.id
    assert "Enregistrer la localisation" in client.get(f"/lieux/gestion/{venue_id}").text
    response = client.post(f"/lieux/gestion/{venue_id}/localisation", data={
        "postal_code": "78000", "commune_insee": "", "latitude": "60", "longitude": "2"})
    assert response.status_code == 400  # refused by the service
    assert "pas en France" in _error_of(response.text, "latitude")
    response = client.post(f"/lieux/gestion/{venue_id}/localisation", data={
        "postal_code": "78000", "commune_insee": "", "latitude": "", "longitude": ""})
    assert response.status_code == 302
    assert db.session.get(Venue, venue_id).commune_insee == "78646"
    # Versailles's centroid stands for the venue, with its source's attribution
    page = client.get(f"/lieux/gestion/{venue_id}").text
    assert "centre de la commune, en attendant la position du lieu" in page
    assert "Positions des communes : GeoNames (CC BY 4.0)" in page
    venue92 = make_venue(world.d92)
    assert client.post(f"/lieux/gestion/{venue92.id}/localisation", data={
        "postal_code": "92000"}).status_code == 404


def test_an_application_names_its_commune_from_the_reference(app, client):
    world = World()
    make_user(Role.ADMIN)
    data = {
        "name": "Espace numérique de Rambouillet", "address": "1 rue Chasles",
        "postal_code": "78120", "commune_insee": "", "departement_id": str(world.d78.id),
        "siret": "732 829 320 00074", "legal_representative": "Jean Martin, président",
        "iban": "FR76 3000 6000 0112 3456 7890 189", "mediation_services": "outils_quotidien",
        "phone": "", "applicant_name": "Jean Martin", "email": "jean@example.org",
        "password": "phrase-de-passe-longue", "charter": "y",
    }
    response = client.post("/lieux/candidature", data=data)
    assert response.status_code == 400  # refused by the service
    assert "choisissez la vôtre" in _error_of(response.text, "commune_insee")
    response = client.post("/lieux/candidature", data={**data, "commune_insee": "78517"})
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue).where(Venue.siret == "73282932000074"))
    assert (venue.commune, venue.commune_insee) == ("Rambouillet", "78517")
