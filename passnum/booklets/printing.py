"""The booklet PDF as a download, shared by the web page and the API."""

from __future__ import annotations

import io

from flask import Response, send_file

from passnum.booklets.models import Booklet
from passnum.booklets.pdf import CoverBooking, render_booklets
from passnum.venues.models import WorkshopBooking
from passnum.venues.queries import nearest_venues, upcoming_booking, venues_for_cover


def booklet_download(booklet: Booklet) -> Response:
    """Render ``booklet`` as a PDF attachment: on its cover, the holder's booked first
    workshop and the nearest active venues with their distance (or, when no distance
    is known, the venues of their commune then of the département)."""
    out = io.BytesIO()
    person = booklet.beneficiary
    near = nearest_venues(person) if person else []
    bookings = {}
    if person is not None and (booked := upcoming_booking(person.id)) is not None:
        bookings[booklet.id] = cover_booking(booked)
    if any(n.distance_km is not None for n in near):
        render_booklets([booklet], out, nearby_venues=[n.venue for n in near],
                        distances_km=[n.distance_km for n in near], bookings=bookings)
    else:
        postal_code = person.postal_code if person else None
        render_booklets([booklet], out, commune_first=postal_code is not None,
                        nearby_venues=venues_for_cover(booklet.departement_id,
                                                       postal_code=postal_code),
                        bookings=bookings)
    out.seek(0)
    return send_file(out, mimetype="application/pdf", as_attachment=True,
                     download_name=f"chequier-{booklet.number}.pdf")


def cover_booking(booking: WorkshopBooking) -> CoverBooking:
    """What the cover prints of a booking: the workshop, when, where."""
    workshop, venue = booking.workshop, booking.workshop.venue
    town = " ".join(part for part in (venue.postal_code, venue.commune) if part)
    address = ", ".join(part for part in (venue.address, town) if part)
    return CoverBooking(title=workshop.title, starts_at=workshop.starts_at,
                        venue_name=venue.name, address=address)
