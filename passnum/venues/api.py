"""JSON API: book a person's first workshop, cancel a booking (``/api/v1/bookings``)."""

from __future__ import annotations

from flask_login import current_user

from passnum.api import bp
from passnum.api.contract import Operation, Reply, contract
from passnum.api.edge import api_endpoint
from passnum.api.schema import Id, Instant, RequestModel, ResponseModel
from passnum.beneficiaries.queries import get_beneficiary
from passnum.booklets.queries import get_booklet
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.venues.bookings import book, cancel_booking
from passnum.venues.models import Workshop, WorkshopBooking

BOOKING_ERRORS = (400, 401, 403, 404, 409, 422)


class BookingCreate(RequestModel):
    """Whom to book on which workshop (and the booklet just handed out, if any)."""

    beneficiary_id: Id
    workshop_id: Id
    booklet_id: Id | None = None


class Booking(ResponseModel):
    """A seat of a workshop booked for a person."""

    id: Id
    workshop_id: Id
    beneficiary_id: Id
    booklet_id: Id | None
    booked_at: Instant
    cancelled_at: Instant | None
    attended_at: Instant | None

    @classmethod
    def from_model(cls, booking: WorkshopBooking) -> Booking:
        """The answer for a stored booking."""
        return cls.model_validate({
            "id": booking.id, "workshop_id": booking.workshop_id,
            "beneficiary_id": booking.beneficiary_id, "booklet_id": booking.booklet_id,
            "booked_at": booking.booked_at, "cancelled_at": booking.cancelled_at,
            "attended_at": booking.attended_at})


@bp.post("/bookings")
@api_endpoint(person_field="beneficiary_id")
@contract(Operation(
    "createBooking", "Réserver le premier atelier d'un bénéficiaire", "bookings",
    description="Une place comptée dans la capacité de l'atelier. Motifs de refus : "
                "workshop_full, already_booked (une réservation à venir par personne), "
                "workshop_started, workshop_cancelled, venue_not_active.",
    body=BookingCreate, ok={201: Reply("Place réservée.", Booking)}, errors=BOOKING_ERRORS))
def create_booking_endpoint(body: BookingCreate) -> tuple[Booking, int]:
    """Book a workshop seat for a person of the caller's structure."""
    beneficiary = get_beneficiary(current_user, body.beneficiary_id)
    workshop = db.session.get(Workshop, body.workshop_id)
    if workshop is None:
        raise NotFound("Atelier introuvable.", code="not_found", field="workshop_id")
    booklet = get_booklet(current_user, body.booklet_id) if body.booklet_id else None
    if booklet is not None and booklet.beneficiary_id != beneficiary.id:
        raise NotFound("Chéquier introuvable.", code="not_found", field="booklet_id")
    return Booking.from_model(book(current_user, beneficiary, workshop, booklet=booklet)), 201


@bp.delete("/bookings/<id:booking_id>")
@api_endpoint(person_field="beneficiary_id")
@contract(Operation(
    "cancelBooking", "Annuler une réservation", "bookings",
    description="Par le travailleur social de la personne ou par le lieu de l'atelier. "
                "Motifs de refus : booking_cancelled, booking_attended.",
    path={"booking_id": "Identifiant de la réservation."},
    ok={200: Reply("Réservation annulée.", Booking)}, errors=(401, 404, 409)))
def cancel_booking_endpoint(booking_id: int) -> Booking:
    """Cancel a booking not yet attended; the seat is free again."""
    return Booking.from_model(cancel_booking(current_user, booking_id))
