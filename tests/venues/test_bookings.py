"""Booking a first workshop at the desk: seats counted once with redemptions, the
person's scope, one upcoming booking, cancel, attended on scan and cleared on undo,
nearest first."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.core.db import unit_of_work
from passnum.errors import DomainError, Forbidden, NotFound
from passnum.extensions import db
from passnum.redemptions.services import redeem, undo
from passnum.venues.bookings import book, cancel_booking
from passnum.venues.capacity import seats_taken
from passnum.venues.models import WorkshopBooking
from passnum.venues.queries import expected, nearest_venues, nearest_workshops
from passnum.venues.services import cancel_workshop, update_workshop
from tests.communes.helpers import NANTERRE, RAMBOUILLET, VERSAILLES, use_communes
from tests.factories import World, issue, make_beneficiary, make_venue, make_workshop


@pytest.fixture
def world(app):
    return World()


def person(world, **over):
    """A person of structure s78 with a booklet handed out (issued on demand)."""
    beneficiary = make_beneficiary(world.issuer78, **over)
    issue(world.issuer78, beneficiary)
    return beneficiary


def booked(world, beneficiary, workshop, actor=None):
    with unit_of_work():
        return book(actor or world.issuer78, beneficiary, workshop)


def refused(fn, *args, **kw) -> DomainError:
    with pytest.raises(DomainError) as err, unit_of_work():
        fn(*args, **kw)
    return err.value


def scan(world, beneficiary, workshop):
    voucher = beneficiary.booklets[0].vouchers[0]
    with unit_of_work():
        return redeem([voucher.manual_code], venue=workshop.venue, workshop=workshop,
                      actor=world.agent78, channel="test")


def test_a_booking_takes_a_seat_and_is_audited_with_ids_only(world):
    workshop = make_workshop(world.venue78, capacity=3, days=2)
    camille = person(world)
    booking = booked(world, camille, workshop)
    assert booking.booklet_id == camille.booklets[0].id
    assert seats_taken(workshop.id) == 1
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "workshop.booked"))
    assert event.object_id == str(workshop.id)
    assert json.loads(event.details) == {"booking_id": booking.id, "beneficiary_id": camille.id,
                             "venue_id": world.venue78.id,
                             "booklet_id": camille.booklets[0].id}
    assert camille.last_name not in str(event.details)
    assert verify().ok


def test_a_full_workshop_refuses_the_next_booking_and_the_next_redemption(world):
    workshop = make_workshop(world.venue78, capacity=1, days=0)
    camille, dominique = person(world), person(world)
    booked(world, camille, workshop)
    assert refused(book, world.issuer78, dominique, workshop).code == "workshop_full"
    # someone else's voucher finds no seat: the booked one is Camille's
    assert refused(scan, world, dominique, workshop).code == "workshop_full"
    # Camille herself comes: her seat is waiting, and the scan marks her booking attended
    scan(world, camille, workshop)
    db.session.expire_all()
    row = db.session.scalar(select(WorkshopBooking))
    assert row.attended_at is not None
    assert seats_taken(workshop.id) == 1  # the redemption, not the booking as well
    assert expected(workshop.id)[0].attended_at is not None


def test_undoing_the_scan_clears_attended_and_the_booking_holds_the_seat_again(world):
    workshop = make_workshop(world.venue78, capacity=2, days=0)
    camille = person(world)
    booked(world, camille, workshop)
    redemption = scan(world, camille, workshop)
    with unit_of_work():
        undo(redemption.id, actor=world.agent78)
    db.session.expire_all()
    assert db.session.scalar(select(WorkshopBooking)).attended_at is None
    assert seats_taken(workshop.id) == 1


def test_a_scan_for_another_workshop_or_none_leaves_the_booking_unattended(world):
    workshop, other = make_workshop(world.venue78, days=0), make_workshop(world.venue78)
    camille = person(world)
    booked(world, camille, workshop)
    voucher = camille.booklets[0].vouchers[0]
    with unit_of_work():
        redeem([voucher.manual_code], venue=world.venue78, workshop=other,
               actor=world.agent78, channel="test")
    db.session.expire_all()
    assert db.session.scalar(select(WorkshopBooking)).attended_at is None


def test_one_upcoming_booking_per_person_and_one_row_per_workshop(world):
    first, second = make_workshop(world.venue78, days=1), make_workshop(world.venue78, days=2)
    camille = person(world)
    booking = booked(world, camille, first)
    err = refused(book, world.issuer78, camille, second)
    assert err.code == "already_booked" and "Annulez-le" in err.message
    assert refused(book, world.issuer78, camille, first).code == "already_booked"
    with unit_of_work():
        cancel_booking(world.issuer78, booking.id)
    assert seats_taken(first.id) == 0
    again = booked(world, camille, first)  # the cancelled row is booked again
    assert again.id == booking.id and again.cancelled_at is None
    assert len(db.session.scalars(select(WorkshopBooking)).all()) == 1


def test_only_upcoming_open_workshops_of_active_venues(world):
    camille = person(world)
    cancelled = make_workshop(world.venue78, days=1, cancelled=True)
    assert refused(book, world.issuer78, camille, cancelled).code == "workshop_cancelled"
    started = make_workshop(world.venue78, days=-1)
    assert refused(book, world.issuer78, camille, started).code == "workshop_started"
    suspended = make_venue(world.d78, status="suspended")
    assert refused(book, world.issuer78, camille,
                   make_workshop(suspended, days=1)).code == "venue_not_active"


def test_scope_issuer_of_another_structure_gets_not_found_others_forbidden(world):
    workshop = make_workshop(world.venue78, days=1)
    camille = person(world)
    with pytest.raises(NotFound), unit_of_work():
        book(world.issuer78b, camille, workshop)
    for actor in (world.manager78, world.agent78):
        with pytest.raises(Forbidden), unit_of_work():
            book(actor, camille, workshop)
    booked(world, camille, workshop, actor=world.admin)


def test_cancel_by_issuer_or_the_venue_never_by_others(world):
    workshop = make_workshop(world.venue78, days=1)
    camille = person(world)
    booking = booked(world, camille, workshop)
    other_agent_venue = make_venue(world.d78)
    from tests.factories import make_user
    outsider = make_user("venue_agent", venue_id=other_agent_venue.id)
    for actor in (world.issuer78b, world.issuer92, outsider, world.manager78):
        with pytest.raises(NotFound), unit_of_work():
            cancel_booking(actor, booking.id)
    with unit_of_work():
        cancel_booking(world.agent78, booking.id)
    assert refused(cancel_booking, world.issuer78, booking.id).code == "booking_cancelled"
    event = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "workshop.booking_cancelled"))
    assert json.loads(event.details)["booking_id"] == booking.id


def test_cancelling_the_workshop_cancels_its_bookings_and_capacity_counts_them(world):
    workshop = make_workshop(world.venue78, capacity=3, days=1)
    camille, dominique = person(world), person(world)
    booked(world, camille, workshop)
    booked(world, dominique, workshop)
    values = dict(theme_id=workshop.theme_id, title=workshop.title, description="",
                  starts_at=workshop.starts_at, duration_minutes=90, price_vouchers=1)
    err = refused(update_workshop, world.agent78, workshop, capacity=1, **values)
    assert err.code == "capacity_below_attendance"
    with unit_of_work():
        cancel_workshop(world.agent78, workshop, reason="Animateur absent")
    assert seats_taken(workshop.id) == 0
    assert all(b.cancelled_at for b in db.session.scalars(select(WorkshopBooking)))


def test_expected_lists_names_only(world):
    workshop = make_workshop(world.venue78, days=1)
    camille = person(world, first_name="Camille", last_name="Durand")
    booked(world, camille, workshop)
    [row] = expected(workshop.id)
    assert row.name == "DURAND Camille" and row.attended_at is None
    assert set(row._fields) == {"booking_id", "name", "attended_at"}


def test_nearest_first_with_distances_and_unplaced_venues_last(world, monkeypatch):
    use_communes(monkeypatch)
    far = make_venue(world.d78)
    far.commune_insee = RAMBOUILLET.insee  # its commune's centroid, until typed
    near = world.venue78
    near.latitude, near.longitude = 48.80, 2.13  # typed, in Versailles
    unplaced = make_venue(world.d78)
    nanterre = make_venue(world.d92)
    nanterre.commune_insee = NANTERRE.insee
    db.session.commit()
    for venue in (unplaced, far, nanterre, near):
        make_workshop(venue, days=1)
    camille = person(world, postal_code="78000")
    camille.commune_insee = VERSAILLES.insee
    db.session.commit()

    offered = nearest_workshops(camille)
    assert [o.workshop.venue_id for o in offered] == [near.id, nanterre.id, far.id,
                                                       unplaced.id]
    assert offered[0].distance_km < 1.5
    assert 20 < offered[2].distance_km < 30
    assert offered[3].distance_km is None
    venues = nearest_venues(camille, limit=3)
    assert [n.venue.id for n in venues] == [near.id, nanterre.id, far.id]


def test_full_workshops_are_not_offered(world):
    full = make_workshop(world.venue78, capacity=1, days=1)
    booked(world, person(world), full)
    assert [o.workshop.id for o in nearest_workshops(person(world))] == []
