"""Bookings through the API: book, refusals with their codes, cancel, scope; every
answer checked against the OpenAPI document by the client."""

from __future__ import annotations

from sqlalchemy import select

from passnum.extensions import db
from passnum.venues.models import WorkshopBooking
from tests.api.conftest import API, bearer
from tests.factories import issue, make_beneficiary, make_user, make_venue, make_workshop


def test_book_then_cancel_by_the_venue(client, world):
    workshop = make_workshop(world.venue78, capacity=1, days=1)
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    headers = bearer(client, world.issuer78)
    response = client.post(f"{API}/bookings", headers=headers, json={
        "beneficiary_id": person.id, "workshop_id": workshop.id, "booklet_id": booklet.id})
    assert response.status_code == 201, response.json
    booking = response.json
    assert (booking["workshop_id"], booking["beneficiary_id"], booking["booklet_id"]) == (
        workshop.id, person.id, booklet.id)
    assert booking["cancelled_at"] is None and booking["attended_at"] is None

    other = make_beneficiary(world.issuer78)
    full = client.post(f"{API}/bookings", headers=headers,
                       json={"beneficiary_id": other.id, "workshop_id": workshop.id})
    assert full.status_code == 422 and full.json["error"]["code"] == "workshop_full"
    again = client.post(f"{API}/bookings", headers=headers,
                        json={"beneficiary_id": person.id, "workshop_id": workshop.id})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_booked"

    agent = bearer(client, world.agent78)
    cancelled = client.delete(f"{API}/bookings/{booking['id']}", headers=agent)
    assert cancelled.status_code == 200 and cancelled.json["cancelled_at"] is not None
    twice = client.delete(f"{API}/bookings/{booking['id']}", headers=headers)
    assert twice.status_code == 409 and twice.json["error"]["code"] == "booking_cancelled"


def test_scope_and_roles(client, world):
    workshop = make_workshop(world.venue78, days=1)
    person = make_beneficiary(world.issuer78)
    body = {"beneficiary_id": person.id, "workshop_id": workshop.id}
    assert client.post(f"{API}/bookings", headers=bearer(client, world.issuer78b),
                       json=body).status_code == 404
    assert client.post(f"{API}/bookings", headers=bearer(client, world.agent78),
                       json=body).status_code == 403
    assert client.post(f"{API}/bookings", headers=bearer(client, world.issuer78),
                       json={**body, "workshop_id": 999999}).status_code == 404
    booked = client.post(f"{API}/bookings", headers=bearer(client, world.issuer78), json=body)
    stranger = make_user("venue_agent", venue_id=make_venue(world.d78).id)
    for actor in (stranger, world.issuer92, world.manager78):
        response = client.delete(f"{API}/bookings/{booked.json['id']}",
                                 headers=bearer(client, actor))
        assert response.status_code == 404, actor.role
    assert db.session.scalar(select(WorkshopBooking)).cancelled_at is None
