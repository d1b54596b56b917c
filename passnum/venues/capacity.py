"""A workshop's seats: the one home of the capacity rule, for bookings and redemptions.

A seat is taken by a live (not undone) redemption for the workshop, or by a booking
made at an issuer's desk that is neither cancelled nor attended yet: once the booked
person's voucher is scanned for the workshop the booking is marked attended and the
redemption holds the seat instead, so nobody counts twice. The booking service and
``redemptions.services.redeem`` both lock the workshop's row (``lock_workshop``) before
counting, so two desks, two scanners, or one of each, deciding on the last seat are
served one after the other on both databases (on SQLite ``BEGIN IMMEDIATE`` already
serialises writers).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, func, select

from passnum.booklets.models import Booklet
from passnum.extensions import db
from passnum.redemptions.models import Redemption
from passnum.redemptions.queries import registered_counts
from passnum.venues.models import Workshop, WorkshopBooking

_R, _W, _K, _B = (Redemption.__table__, Workshop.__table__, WorkshopBooking.__table__,
                  Booklet.__table__)

_LIVE_REDEMPTIONS = (select(func.count()).select_from(_R)
                     .where(_R.c.workshop_id == bindparam("workshop_id"),
                            _R.c.undone_at.is_(None)).scalar_subquery())
_HELD_BOOKINGS = (select(_K.c.beneficiary_id).where(
    _K.c.workshop_id == bindparam("workshop_id"), _K.c.cancelled_at.is_(None),
    _K.c.attended_at.is_(None)))
_HOLDERS = select(_B.c.beneficiary_id).where(
    _B.c.id.in_(bindparam("booklet_ids", expanding=True)), _B.c.beneficiary_id.is_not(None))
# one round trip: live redemptions, plus bookings still holding a seat, but not the one
# of the person whose booklet is being scanned (their seat is the one they booked)
_SEATS_TAKEN = select(
    _LIVE_REDEMPTIONS
    + select(func.count()).select_from(_HELD_BOOKINGS.subquery()).scalar_subquery()
    - select(func.count()).select_from(
        _HELD_BOOKINGS.where(_K.c.beneficiary_id.in_(_HOLDERS)).subquery()
    ).scalar_subquery())
_LOCK = select(_W.c.id).where(_W.c.id == bindparam("workshop_id")).with_for_update()


def lock_workshop(workshop_id: int) -> None:
    """Lock the workshop's row until the transaction ends: deciding on its seats is done
    one transaction at a time."""
    db.session.execute(_LOCK, {"workshop_id": workshop_id})


def seats_taken(workshop_id: int, *, holder_booklet_ids: Sequence[int] = ()) -> int:
    """Seats taken in the workshop: live redemptions plus bookings not cancelled nor
    attended, leaving out the booking of the person holding one of
    ``holder_booklet_ids`` (the booklets of a basket being scanned)."""
    return db.session.execute(_SEATS_TAKEN, {
        "workshop_id": workshop_id, "booklet_ids": list(holder_booklet_ids)}).scalar_one()


def seats_taken_counts(workshop_ids: Sequence[int]) -> dict[int, int]:
    """``seats_taken`` of several workshops at once (absent ones count 0): their live
    redemptions (``registered_counts``) plus the bookings still holding a seat."""
    counts = registered_counts(list(workshop_ids))
    if not workshop_ids:
        return counts
    booked = db.session.execute(
        select(WorkshopBooking.workshop_id, func.count())
        .where(WorkshopBooking.workshop_id.in_(workshop_ids),
               WorkshopBooking.cancelled_at.is_(None), WorkshopBooking.attended_at.is_(None))
        .group_by(WorkshopBooking.workshop_id))
    for workshop_id, n in booked:
        counts[workshop_id] += n
    return counts


def seats_left(workshop: Workshop, taken: int) -> int:
    """Seats still free with ``taken`` of them taken (never below zero)."""
    return max(workshop.capacity - taken, 0)


def is_full(workshop: Workshop, taken: int) -> bool:
    """True when no seat is left for one more person."""
    return taken >= workshop.capacity
