"""Create, edit and cancel workshops (the only code that changes them).

A venue agent manages the workshops of their own venue; administrators manage any
venue's. Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import can_manage_venue, manages_workshops, require, require_visible
from passnum.core.clock import now
from passnum.core.formatting import agree, datetime_fr, plural
from passnum.errors import Conflict, InvalidInput, NotFound, RuleRefused
from passnum.extensions import db
from passnum.redemptions.queries import registered_count
from passnum.venues.bookings import cancel_workshop_bookings
from passnum.venues.capacity import seats_taken
from passnum.venues.models import Venue, Workshop, WorkshopTheme
from passnum.venues.queries import workshop_ends_at, workshop_state

TITLE_MAX = 160
DESCRIPTION_MAX = 2000
REASON_MAX = 500
DURATION_MIN, DURATION_MAX = 15, 600
CAPACITY_MIN, CAPACITY_MAX = 1, 200
PRICE_MIN, PRICE_MAX = 1, 10


@dataclass(frozen=True)
class WorkshopValues:
    """A workshop's editable values, checked."""

    theme_id: int
    title: str
    description: str
    starts_at: datetime
    duration_minutes: int
    capacity: int
    price_vouchers: int

    def as_audit(self) -> dict[str, Any]:
        """Ids, times and numbers for the audit log (no free text)."""
        return {"theme_id": self.theme_id, "starts_at": self.starts_at.isoformat(),
                "duration_minutes": self.duration_minutes, "capacity": self.capacity,
                "price_vouchers": self.price_vouchers}


def _ensure_manages(actor: User, workshop: Workshop) -> None:
    """Raise ``Forbidden`` for other roles, ``NotFound`` for another venue's workshop."""
    require(manages_workshops(actor))
    if not can_manage_venue(actor, workshop.venue_id):
        raise NotFound("Atelier introuvable.")


def _in_range(value: int, low: int, high: int, *, code: str, field: str, what: str) -> int:
    """Return ``value`` if it is an integer within ``[low, high]``; else ``InvalidInput``."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{what} doit être compris(e) entre {low} et {high}.",
                           code=code, field=field)
    return value


def _theme(theme_id: int, *, keep_id: int | None) -> WorkshopTheme:
    """The chosen theme: it must exist and be active, unless it is the one kept."""
    theme = db.session.get(WorkshopTheme, theme_id) if isinstance(theme_id, int) else None
    if theme is None:
        raise InvalidInput("Thème inconnu : choisissez-en un dans la liste.",
                           code="theme_unknown", field="theme_id")
    if not theme.is_active and theme.id != keep_id:
        raise RuleRefused("Ce thème n'est plus proposé : choisissez-en un autre.",
                          code="theme_inactive", field="theme_id")
    return theme


def _check_start(starts_at: datetime, *, previous: datetime | None) -> datetime:
    """An aware start, not in the past unless it is the unchanged start of an edit."""
    if not isinstance(starts_at, datetime) or starts_at.tzinfo is None:
        raise InvalidInput("Indiquez la date et l'heure de début.", code="invalid_start",
                           field="starts_at")
    unchanged = previous is not None and abs((starts_at - previous).total_seconds()) < 60
    if not unchanged and starts_at < now():
        raise RuleRefused("La date et l'heure de début sont déjà passées.",
                          code="starts_in_past", field="starts_at")
    return previous if unchanged and previous is not None else starts_at.astimezone(UTC)


def _clean(
    *, theme_id: int, title: str, description: str, starts_at: datetime,
    duration_minutes: int, capacity: int, price_vouchers: int,
    current: Workshop | None = None,
) -> WorkshopValues:
    """Check a workshop's values (``current``: the workshop being edited).

    Raises ``InvalidInput`` or ``RuleRefused`` naming the faulty field.
    """
    theme = _theme(theme_id, keep_id=current.theme_id if current else None)
    title = " ".join((title or "").split()) or theme.name
    if len(title) > TITLE_MAX:
        raise InvalidInput(f"Le titre ne doit pas dépasser {TITLE_MAX} caractères.",
                           code="title_too_long", field="title")
    description = (description or "").strip()
    if len(description) > DESCRIPTION_MAX:
        raise InvalidInput(f"La description ne doit pas dépasser {DESCRIPTION_MAX} caractères.",
                           code="description_too_long", field="description")
    return WorkshopValues(
        theme_id=theme.id, title=title, description=description,
        starts_at=_check_start(starts_at, previous=current.starts_at if current else None),
        duration_minutes=_in_range(duration_minutes, DURATION_MIN, DURATION_MAX,
                                   code="duration_out_of_range", field="duration_minutes",
                                   what="La durée (en minutes)"),
        capacity=_in_range(capacity, CAPACITY_MIN, CAPACITY_MAX,
                           code="capacity_out_of_range", field="capacity",
                           what="Le nombre de places"),
        price_vouchers=_in_range(price_vouchers, PRICE_MIN, PRICE_MAX,
                                 code="price_out_of_range", field="price_vouchers",
                                 what="Le prix en chèques"),
    )


def check_editable(workshop: Workshop) -> None:
    """Raise ``Conflict`` (``workshop_cancelled``) or ``RuleRefused`` (``workshop_past``).

    A workshop in progress may still be edited (e.g. to add places) or cancelled; one
    that has ended may not.
    """
    state = workshop_state(workshop)
    if state == "cancelled":
        raise Conflict(f"Cet atelier a été annulé le {datetime_fr(workshop.cancelled_at)} : "
                       "il ne peut plus être modifié.", code="workshop_cancelled")
    if state == "past":
        raise RuleRefused(f"Cet atelier est terminé depuis le "
                          f"{datetime_fr(workshop_ends_at(workshop))} : il ne peut plus "
                          "être modifié.", code="workshop_past")


def _locked(workshop: Workshop) -> Workshop:
    """Re-read the workshop under a row lock, so edits and redemptions take turns."""
    return db.session.execute(
        select(Workshop).where(Workshop.id == workshop.id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def create_workshop(
    actor: User, venue: Venue, *, theme_id: int, title: str, description: str,
    starts_at: datetime, duration_minutes: int, capacity: int, price_vouchers: int,
) -> Workshop:
    """Schedule a workshop at ``venue``.

    Raises ``Forbidden`` for roles that never manage workshops, ``NotFound`` for another
    venue (out of scope, as for its workshops: docs/product.md), and
    ``InvalidInput`` / ``RuleRefused`` on a bad value (unknown or inactive theme, title
    too long, start in the past, duration, capacity or price out of range).
    """
    require(manages_workshops(actor))
    require_visible(can_manage_venue(actor, venue.id), "Lieu")
    values = _clean(theme_id=theme_id, title=title, description=description,
                    starts_at=starts_at, duration_minutes=duration_minutes,
                    capacity=capacity, price_vouchers=price_vouchers)
    workshop = Workshop(venue_id=venue.id, **asdict(values))
    db.session.add(workshop)
    db.session.flush()
    record("workshop.created", actor_id=actor.id, object_type="workshop",
           object_id=workshop.id, details={"venue_id": venue.id, **values.as_audit()})
    return workshop


def update_workshop(
    actor: User, workshop: Workshop, *, theme_id: int, title: str, description: str,
    starts_at: datetime, duration_minutes: int, capacity: int, price_vouchers: int,
) -> Workshop:
    """Change a workshop's values; audited with the fields that changed.

    Raises ``NotFound`` out of scope, ``workshop_cancelled`` / ``workshop_past``,
    ``capacity_below_attendance`` when fewer places than people already registered,
    and the value errors of ``create_workshop``. An unchanged theme that has since been
    deactivated, and an unchanged start, are accepted.
    """
    _ensure_manages(actor, workshop)
    workshop = _locked(workshop)
    check_editable(workshop)
    values = _clean(theme_id=theme_id, title=title, description=description,
                    starts_at=starts_at, duration_minutes=duration_minutes,
                    capacity=capacity, price_vouchers=price_vouchers, current=workshop)
    registered = seats_taken(workshop.id)  # booked seats included
    if values.capacity < registered:
        who = f"{plural(registered, 'personne')} déjà {agree(registered, 'inscrite')}"
        raise RuleRefused(f"{who} : le nombre de places ne peut pas être inférieur.",
                          code="capacity_below_attendance",
                          field="capacity", details={"registered": registered})
    changes = _changes(workshop, values)
    if not changes:
        return workshop
    for name, new in asdict(values).items():
        setattr(workshop, name, new)
    db.session.flush()
    record("workshop.updated", actor_id=actor.id, object_type="workshop",
           object_id=workshop.id, details={"venue_id": workshop.venue_id, "changes": changes})
    return workshop


def _changes(workshop: Workshop, values: WorkshopValues) -> dict[str, Any]:
    """What an edit changes, for the audit log: ``[old, new]`` per field.

    The description is free text: only the fact that it changed is recorded.
    """
    changes: dict[str, Any] = {}
    for name, new in asdict(values).items():
        old = getattr(workshop, name)
        if old == new:
            continue
        if name == "description":
            changes[name] = "modifiée"
        elif isinstance(new, datetime):
            changes[name] = [old.isoformat(), new.isoformat()]
        else:
            changes[name] = [old, new]
    return changes


def cancel_workshop(actor: User, workshop: Workshop, *, reason: str) -> Workshop:
    """Cancel a workshop with a reason (kept in the audit log).

    Raises ``NotFound`` out of scope, ``InvalidInput`` (``reason_required``,
    ``reason_too_long``), ``workshop_cancelled`` / ``workshop_past``, and ``Conflict``
    (``workshop_has_redemptions``) while vouchers are redeemed for it: those must be
    undone first so that their holders can use them again. Its live bookings are
    cancelled with it.
    """
    _ensure_manages(actor, workshop)
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Indiquez le motif de l'annulation.", code="reason_required",
                           field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Le motif ne doit pas dépasser {REASON_MAX} caractères.",
                           code="reason_too_long", field="reason")
    workshop = _locked(workshop)
    check_editable(workshop)
    registered = registered_count(workshop.id)
    if registered:
        who = f"{plural(registered, 'personne')} {agree(registered, 'a', 'ont')}"
        raise Conflict(f"{who} déjà payé cet atelier : annulez d'abord leurs encaissements "
                       "pour que leurs chèques redeviennent utilisables.",
                       code="workshop_has_redemptions", details={"registered": registered})
    workshop.cancelled_at = now()
    bookings = cancel_workshop_bookings(workshop)
    record("workshop.cancelled", actor_id=actor.id, object_type="workshop",
           object_id=workshop.id, details={"venue_id": workshop.venue_id, "reason": reason,
                                           "bookings_cancelled": bookings})
    return workshop
