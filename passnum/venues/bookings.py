"""Book a person's first workshop at the issuer's desk, and cancel a booking.

The rules, in the order they are checked:
- an issuer books for a person of their structure, an administrator for anyone
  (``scope.ensure_may_book_for``); a pseudonymised record is refused;
- the workshop is upcoming (not started), not cancelled, at a venue whose label is active;
- a person holds at most one upcoming booking (the first workshop the desk books: a
  second one is refused until the first is cancelled, attended or past), and one live
  booking per workshop (a database constraint: a cancelled booking of the same
  workshop is booked again, not duplicated);
- a booked seat counts toward the workshop's capacity (``venues.capacity``, the rule
  the redemptions use too): a full workshop refuses the booking.
The person's row, then the workshop's, are locked before anything is counted, so two
desks racing for the last seat, or booking one person twice, are served one after the
other. Services flush, never commit.
"""

from __future__ import annotations

from sqlalchemy import select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_may_book_for, may_cancel_booking, require_visible
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, BookletStatus
from passnum.core.clock import now
from passnum.core.formatting import datetime_fr
from passnum.errors import Conflict, RuleRefused
from passnum.extensions import db
from passnum.messages.notices import queue_booking_notice
from passnum.venues import capacity
from passnum.venues.models import Workshop, WorkshopBooking
from passnum.venues.queries import upcoming_booking


def book(actor: User, beneficiary: Beneficiary, workshop: Workshop, *,
         booklet: Booklet | None = None) -> WorkshopBooking:
    """Book a seat of ``workshop`` for ``beneficiary``; audited as ``workshop.booked``;
    the person is told (``messages.notices.queue_booking_notice``).

    ``booklet``: the booklet just handed out (else the person's live booklet, if any).
    Raises ``Forbidden`` / ``NotFound`` (scope), ``RuleRefused`` (``person_pseudonymised``,
    ``workshop_cancelled``, ``workshop_started``, ``venue_not_active``, ``workshop_full``)
    and ``Conflict`` (``already_booked``).
    """
    ensure_may_book_for(actor, beneficiary)
    if beneficiary.pseudonymised_at is not None:
        raise RuleRefused("Les données de cette personne ont été effacées.",
                          code="person_pseudonymised")
    db.session.execute(select(Beneficiary.id).where(Beneficiary.id == beneficiary.id)
                       .with_for_update())
    capacity.lock_workshop(workshop.id)
    db.session.refresh(workshop)
    _check_bookable(workshop)
    held = upcoming_booking(beneficiary.id)
    if held is not None:
        when = datetime_fr(held.workshop.starts_at)
        raise Conflict(f"Un atelier est déjà réservé pour cette personne : « "
                       f"{held.workshop.title} » le {when}. Annulez-le d'abord pour en "
                       "choisir un autre.", code="already_booked",
                       details={"booking_id": held.id})
    taken = capacity.seats_taken(workshop.id)
    if capacity.is_full(workshop, taken):
        raise RuleRefused(f"Cet atelier est complet ({workshop.capacity} places).",
                          code="workshop_full", field="workshop")
    booking = _booking_row(workshop, beneficiary)
    chosen = booklet or _live_booklet(beneficiary.id)
    booking.booklet_id = chosen.id if chosen else None
    booking.booked_by_id, booking.booked_at = actor.id, now()
    booking.cancelled_at = booking.attended_at = None
    db.session.flush()
    record("workshop.booked", actor_id=actor.id, object_type="workshop",
           object_id=workshop.id, details=_ids(booking, workshop))
    queue_booking_notice(booking)
    return booking


def _check_bookable(workshop: Workshop) -> None:
    """Upcoming, not cancelled, at an active venue; ``RuleRefused`` otherwise."""
    if workshop.cancelled_at is not None:
        raise RuleRefused("Cet atelier a été annulé.", code="workshop_cancelled",
                          field="workshop")
    if workshop.starts_at <= now():
        raise RuleRefused("Cet atelier a déjà commencé : choisissez-en un autre.",
                          code="workshop_started", field="workshop")
    if not workshop.venue.is_label_active:
        raise RuleRefused("Le label de ce lieu n'est pas actif.", code="venue_not_active",
                          field="workshop")


def _booking_row(workshop: Workshop, beneficiary: Beneficiary) -> WorkshopBooking:
    """The person's row for this workshop: a cancelled one is booked again (one row per
    workshop and person, a database constraint), else a new one."""
    booking = db.session.scalar(select(WorkshopBooking).where(
        WorkshopBooking.workshop_id == workshop.id,
        WorkshopBooking.beneficiary_id == beneficiary.id))
    if booking is None:
        booking = WorkshopBooking(workshop_id=workshop.id, beneficiary_id=beneficiary.id)
        db.session.add(booking)
    return booking


def _live_booklet(beneficiary_id: int) -> Booklet | None:
    """The person's latest booklet that is neither revoked nor still in stock."""
    return db.session.scalar(
        select(Booklet).where(Booklet.beneficiary_id == beneficiary_id,
                              Booklet.status.not_in((BookletStatus.REVOKED,
                                                     BookletStatus.IN_STOCK)))
        .order_by(Booklet.issued_at.desc(), Booklet.id.desc()).limit(1))


def _ids(booking: WorkshopBooking, workshop: Workshop) -> dict[str, int | None]:
    """The audit details of a booking: ids only, never a name."""
    return {"booking_id": booking.id, "beneficiary_id": booking.beneficiary_id,
            "venue_id": workshop.venue_id, "booklet_id": booking.booklet_id}


def cancel_booking(actor: User, booking_id: int) -> WorkshopBooking:
    """Cancel a live booking: the seat is free again; audited as
    ``workshop.booking_cancelled``.

    An issuer of the person's structure, an agent of the workshop's venue or an
    administrator cancels it (``scope.may_cancel_booking``); for anyone else, as for an
    unknown id, ``NotFound``. Raises ``Conflict`` (``booking_cancelled``,
    ``booking_attended``).
    """
    booking = db.session.get(WorkshopBooking, booking_id)
    beneficiary = db.session.get(Beneficiary, booking.beneficiary_id) if booking else None
    require_visible(booking is not None and beneficiary is not None and may_cancel_booking(
        actor, beneficiary, booking.workshop.venue_id), "Réservation")
    assert booking is not None
    capacity.lock_workshop(booking.workshop_id)
    db.session.refresh(booking)
    if booking.cancelled_at is not None:
        raise Conflict("Cette réservation est déjà annulée.", code="booking_cancelled")
    if booking.attended_at is not None:
        raise Conflict("La personne est déjà venue à cet atelier : sa réservation ne peut "
                       "plus être annulée.", code="booking_attended")
    booking.cancelled_at = now()
    db.session.flush()
    record("workshop.booking_cancelled", actor_id=actor.id, object_type="workshop",
           object_id=booking.workshop_id, details=_ids(booking, booking.workshop))
    return booking


def cancel_workshop_bookings(workshop: Workshop) -> int:
    """Cancel every live booking of a workshop being cancelled; return how many (the
    caller audits the workshop's cancellation with that number)."""
    bookings = db.session.scalars(select(WorkshopBooking).where(
        WorkshopBooking.workshop_id == workshop.id, WorkshopBooking.cancelled_at.is_(None),
        WorkshopBooking.attended_at.is_(None))).all()
    at = now()
    for booking in bookings:
        booking.cancelled_at = at
    db.session.flush()
    return len(bookings)
