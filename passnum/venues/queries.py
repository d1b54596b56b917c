"""Reads on venues."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from passnum.auth.models import Role, User
from passnum.auth.scope import (
    can_decide_label,
    can_manage_venue,
    departement_filter,
    is_admin,
    is_agent_of,
    steers,
)
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Voucher
from passnum.communes.reference import centroid, communes_for_postal_code, distance_km
from passnum.core.clock import now, paris_day_bounds, today
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.venues.capacity import seats_left, seats_taken_counts
from passnum.venues.models import (
    LabelStatus,
    ProfileChangeStatus,
    Venue,
    VenueLabelChange,
    VenueProfileChange,
    Workshop,
    WorkshopBooking,
    WorkshopTheme,
)

COVER_VENUES = 6


def venues_for_cover(departement_id: int, *, postal_code: str | None = None,
                     limit: int = COVER_VENUES) -> list[Venue]:
    """Active venues of the département to print on a booklet cover: those of
    ``postal_code`` (the beneficiary's commune) first, then the others, each group by
    commune and name. Venues have no coordinates, so this is no claim of distance; the
    public directory lists every venue."""
    return list(
        db.session.scalars(
            select(Venue)
            .where(Venue.label_status == LabelStatus.ACTIVE,
                   Venue.departement_id == departement_id)
            .order_by(case((Venue.postal_code == (postal_code or ""), 0), else_=1),
                      Venue.commune, Venue.name)
            .limit(limit)
        )
    )


# --- workshops ---------------------------------------------------------------------

WORKSHOP_STATE_LABELS = {
    "upcoming": "À venir",
    "ongoing": "En cours",
    "past": "Terminé",
    "cancelled": "Annulé",
}


class AttendanceRow(NamedTuple):
    """One live redemption of a workshop: when, which vouchers, how many (no identity)."""

    redeemed_at: datetime
    serials: tuple[str, ...]
    vouchers: int


def workshop_ends_at(workshop: Workshop) -> datetime:
    """When the workshop ends."""
    return workshop.starts_at + timedelta(minutes=workshop.duration_minutes)


def workshop_state(workshop: Workshop, at: datetime | None = None) -> str:
    """``cancelled``, ``past`` (ended), ``ongoing`` or ``upcoming`` at ``at`` (now)."""
    at = at or now()
    if workshop.cancelled_at is not None:
        return "cancelled"
    if workshop_ends_at(workshop) <= at:
        return "past"
    return "ongoing" if workshop.starts_at <= at else "upcoming"


def all_venues() -> list[Venue]:
    """Every venue by name, whatever its label (administrators pick one)."""
    return list(db.session.scalars(select(Venue).order_by(Venue.name, Venue.id)))


def active_themes() -> list[WorkshopTheme]:
    """The themes a new workshop may take, by name."""
    return list(db.session.scalars(
        select(WorkshopTheme).where(WorkshopTheme.is_active.is_(True))
        .order_by(WorkshopTheme.name)
    ))


def workshops_of(venue_id: int, *, include_past: bool = False) -> list[Workshop]:
    """The venue's workshops, cancelled ones included.

    By default those from today (Europe/Paris) on, soonest first; with ``include_past``
    all of them, latest first.
    """
    query = (select(Workshop).options(selectinload(Workshop.theme))
             .where(Workshop.venue_id == venue_id))
    if include_past:
        query = query.order_by(Workshop.starts_at.desc(), Workshop.id.desc())
    else:
        day_start, _ = paris_day_bounds(today())
        query = query.where(Workshop.starts_at >= day_start).order_by(Workshop.starts_at,
                                                                       Workshop.id)
    return list(db.session.scalars(query))


def todays_workshops(venue_id: int) -> list[Workshop]:
    """The venue's workshops starting today in Europe/Paris, not cancelled, by start."""
    day_start, day_end = paris_day_bounds(today())
    return list(db.session.scalars(
        select(Workshop).options(selectinload(Workshop.theme))
        .where(Workshop.venue_id == venue_id, Workshop.cancelled_at.is_(None),
               Workshop.starts_at >= day_start, Workshop.starts_at < day_end)
        .order_by(Workshop.starts_at, Workshop.id)
    ))


def get_workshop(actor: User, workshop_id: int) -> Workshop:
    """Return the workshop if ``actor`` manages its venue; else ``NotFound``."""
    workshop = db.session.scalar(
        select(Workshop).options(selectinload(Workshop.theme), selectinload(Workshop.venue))
        .where(Workshop.id == workshop_id)
    )
    if workshop is None or not can_manage_venue(actor, workshop.venue_id):
        raise NotFound("Atelier introuvable.")
    return workshop


def attendance(workshop_id: int) -> list[AttendanceRow]:
    """Who came, as voucher serials: one row per live redemption, in time order.

    Only serials and counts: a venue never sees who holds a voucher.
    """
    rows = db.session.execute(
        select(Redemption.id, Redemption.redeemed_at, Voucher.serial)
        .join(RedemptionLine, RedemptionLine.redemption_id == Redemption.id)
        .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
        .where(Redemption.workshop_id == workshop_id, Redemption.undone_at.is_(None),
               RedemptionLine.undone_at.is_(None))
        .order_by(Redemption.redeemed_at, Redemption.id, Voucher.serial)
    )
    grouped: dict[int, tuple[datetime, list[str]]] = {}
    for redemption_id, redeemed_at, serial in rows:
        grouped.setdefault(redemption_id, (redeemed_at, []))[1].append(serial)
    return [AttendanceRow(at, tuple(serials), len(serials)) for at, serials in grouped.values()]


def get_venue(venue_id: int) -> Venue | None:
    """The venue with that id, if any."""
    return db.session.get(Venue, venue_id)


# --- labels -------------------------------------------------------------------------


def managed_venues(actor: User, *, departement_id: int | None = None,
                   status: str | None = None) -> list[Venue]:
    """Venues whose label ``actor`` manages, pending applications first, then by name.

    A manager sees their département only, whatever ``departement_id`` asks; an
    administrator sees all, optionally filtered. Other roles see none.
    """
    if not steers(actor):
        return []
    query = (select(Venue).options(selectinload(Venue.departement))
             .where(departement_filter(actor, Venue.departement_id)))
    if is_admin(actor) and departement_id is not None:
        query = query.where(Venue.departement_id == departement_id)
    if status in set(LabelStatus):
        query = query.where(Venue.label_status == status)
    pending_first = case((Venue.label_status == LabelStatus.PENDING, 0), else_=1)
    return list(db.session.scalars(query.order_by(pending_first, Venue.name, Venue.id)))


def get_managed_venue(actor: User, venue_id: int) -> Venue:
    """The venue if ``actor`` manages its label (its manager, an admin); else ``NotFound``."""
    venue = db.session.get(Venue, venue_id)
    if venue is None or not can_decide_label(actor, venue):
        raise NotFound("Lieu introuvable.")
    return venue


def label_history(venue_id: int) -> list[VenueLabelChange]:
    """The decisions on a venue's label, latest first."""
    return list(db.session.scalars(
        select(VenueLabelChange).options(selectinload(VenueLabelChange.actor))
        .where(VenueLabelChange.venue_id == venue_id)
        .order_by(VenueLabelChange.changed_at.desc(), VenueLabelChange.id.desc())
    ))


def pending_change(venue_id: int) -> VenueProfileChange | None:
    """The venue's proposed public profile waiting for a manager, if any."""
    return db.session.scalar(
        select(VenueProfileChange)
        .where(VenueProfileChange.venue_id == venue_id,
               VenueProfileChange.status == ProfileChangeStatus.PENDING)
        .order_by(VenueProfileChange.id.desc()).limit(1))


def latest_profile_change(venue_id: int) -> VenueProfileChange | None:
    """The venue's latest proposal, whatever became of it (its refusal's reason is
    shown to the venue until it proposes again)."""
    return db.session.scalar(
        select(VenueProfileChange).where(VenueProfileChange.venue_id == venue_id)
        .order_by(VenueProfileChange.submitted_at.desc(), VenueProfileChange.id.desc())
        .limit(1))


def pending_profile_changes(actor: User) -> list[VenueProfileChange]:
    """Proposals waiting for a check in the département ``actor`` steers (all for an
    administrator), oldest first."""
    return list(db.session.scalars(
        select(VenueProfileChange).join(Venue, Venue.id == VenueProfileChange.venue_id)
        .where(VenueProfileChange.status == ProfileChangeStatus.PENDING,
               departement_filter(actor, Venue.departement_id))
        .options(selectinload(VenueProfileChange.venue))
        .order_by(VenueProfileChange.submitted_at, VenueProfileChange.id)))


def venue_agents(venue_id: int) -> list[User]:
    """The venue's agent accounts: the lead first, then by name."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.VENUE_AGENT, User.venue_id == venue_id)
        .order_by(User.is_venue_lead.desc(), User.full_name, User.id)
    ))


def get_venue_agent(venue_id: int, user_id: int) -> User:
    """An agent account of that venue; ``NotFound`` otherwise (other venues' included)."""
    user = db.session.get(User, user_id)
    if user is None or not is_agent_of(user, venue_id):
        raise NotFound("Compte introuvable.")
    return user


def venue_position(venue: Venue) -> tuple[float, float] | None:
    """Where ``venue`` is, as (latitude, longitude) in WGS84 degrees: its typed
    coordinates, else its commune's centroid (when the commune reference has one), else
    None (no distance can be given)."""
    if venue.latitude is not None and venue.longitude is not None:
        return venue.latitude, venue.longitude
    return centroid(venue.commune_insee)


def position_source(venue: Venue) -> str:
    """Where ``venue_position`` takes the venue's position from: ``typed``,
    ``commune`` (its commune's centroid) or ``none``."""
    if venue.latitude is not None and venue.longitude is not None:
        return "typed"
    return "commune" if centroid(venue.commune_insee) is not None else "none"


# --- distances ----------------------------------------------------------------------

Position = tuple[float, float]  # (latitude, longitude), WGS84 degrees
NEAREST_VENUES = 5  # on a handed-out booklet's cover
NEAREST_WORKSHOPS = 12  # offered at the desk
BOOKING_HORIZON = timedelta(days=60)  # how far ahead the desk looks for a first workshop


def person_position(beneficiary: Beneficiary) -> Position | None:
    """The centroid of the person's commune: the one chosen (code INSEE), else the only
    commune of their postal code; None when neither gives one. Never a finer place."""
    if beneficiary.commune_insee:
        return centroid(beneficiary.commune_insee)
    communes = communes_for_postal_code(beneficiary.postal_code or "")
    return centroid(communes[0].insee) if len(communes) == 1 else None


def distance_between(origin: Position | None, venue: Any) -> float | None:
    """Kilometres from ``origin`` to the venue, or None when either has no position."""
    position = venue_position(venue)
    if origin is None or position is None:
        return None
    return distance_km(origin, position)


@dataclass(frozen=True)
class NearVenue:
    """An active venue and its distance from the person (None: unknown)."""

    venue: Venue
    distance_km: float | None


def _nearest_first(distance: float | None) -> tuple[bool, float]:
    """Sort key: known distances first, nearest first; unknown ones last."""
    return distance is None, distance or 0.0


def nearest_venues(beneficiary: Beneficiary, *, limit: int = NEAREST_VENUES
                   ) -> list[NearVenue]:
    """The active venues nearest the person's commune, with their distance; venues
    without a position come last (by name), after those of the person's département."""
    origin = person_position(beneficiary)
    venues = db.session.scalars(select(Venue).where(Venue.label_status == LabelStatus.ACTIVE))
    home = beneficiary.structure.departement_id
    near = [NearVenue(v, distance_between(origin, v)) for v in venues]
    near.sort(key=lambda n: (*_nearest_first(n.distance_km),
                             n.venue.departement_id != home, n.venue.name, n.venue.id))
    return near[:limit]


@dataclass(frozen=True)
class OfferedWorkshop:
    """An upcoming workshop offered at the desk: seats left and distance (None: unknown)."""

    workshop: Workshop
    seats_left: int
    distance_km: float | None


def nearest_workshops(beneficiary: Beneficiary, *, at: datetime | None = None,
                      limit: int = NEAREST_WORKSHOPS,
                      horizon: timedelta = BOOKING_HORIZON) -> list[OfferedWorkshop]:
    """Upcoming workshops (not cancelled, within ``horizon``, at active venues, with a
    seat left) nearest the person's commune first, then soonest; venues without a
    position last (those of the person's postal code first among them)."""
    at = at or now()
    workshops = db.session.scalars(
        select(Workshop).join(Venue, Venue.id == Workshop.venue_id)
        .options(selectinload(Workshop.theme), selectinload(Workshop.venue))
        .where(Venue.label_status == LabelStatus.ACTIVE, Workshop.cancelled_at.is_(None),
               Workshop.starts_at > at, Workshop.starts_at <= at + horizon)
    ).all()
    taken = seats_taken_counts([w.id for w in workshops])
    origin = person_position(beneficiary)
    offered = [OfferedWorkshop(w, seats_left(w, taken[w.id]), distance_between(origin, w.venue))
               for w in workshops]
    offered = [o for o in offered if o.seats_left > 0]
    # without distances, the venues of the person's postal code first
    home = beneficiary.postal_code
    offered.sort(key=lambda o: (*_nearest_first(o.distance_km), o.workshop.venue.postal_code
                                != home, o.workshop.starts_at, o.workshop.id))
    return offered[:limit]


# --- bookings -----------------------------------------------------------------------


def bookings_of(beneficiary_id: int) -> list[WorkshopBooking]:
    """The person's bookings, live ones first, then by workshop date (latest first)."""
    return list(db.session.scalars(
        select(WorkshopBooking).join(Workshop, Workshop.id == WorkshopBooking.workshop_id)
        .options(selectinload(WorkshopBooking.workshop).selectinload(Workshop.venue),
                 selectinload(WorkshopBooking.workshop).selectinload(Workshop.theme))
        .where(WorkshopBooking.beneficiary_id == beneficiary_id)
        .order_by(WorkshopBooking.cancelled_at.is_not(None), Workshop.starts_at.desc(),
                  WorkshopBooking.id)
    ))


def upcoming_booking(beneficiary_id: int, *, at: datetime | None = None
                     ) -> WorkshopBooking | None:
    """The person's live booking of a workshop not yet started and not cancelled (the
    first workshop booked at the desk), if any."""
    return db.session.scalar(
        select(WorkshopBooking).join(Workshop, Workshop.id == WorkshopBooking.workshop_id)
        .options(selectinload(WorkshopBooking.workshop).selectinload(Workshop.venue))
        .where(WorkshopBooking.beneficiary_id == beneficiary_id,
               WorkshopBooking.cancelled_at.is_(None), WorkshopBooking.attended_at.is_(None),
               Workshop.cancelled_at.is_(None), Workshop.starts_at > (at or now()))
        .order_by(Workshop.starts_at).limit(1)
    )


class ExpectedPerson(NamedTuple):
    """Someone booked for a workshop, as its venue sees them: a name and whether they
    came, nothing else about the person."""

    booking_id: int
    name: str
    attended_at: datetime | None


def expected(workshop_id: int) -> list[ExpectedPerson]:
    """Who is expected at the workshop (live bookings), by name ("NOM Prénom")."""
    rows = db.session.execute(
        select(WorkshopBooking.id, Beneficiary.last_name, Beneficiary.first_name,
               WorkshopBooking.attended_at)
        .join(Beneficiary, Beneficiary.id == WorkshopBooking.beneficiary_id)
        .where(WorkshopBooking.workshop_id == workshop_id,
               WorkshopBooking.cancelled_at.is_(None))
        .order_by(Beneficiary.last_name, Beneficiary.first_name, WorkshopBooking.id)
    )
    return [ExpectedPerson(booking_id, f"{last.upper()} {first}", attended)
            for booking_id, last, first, attended in rows]
