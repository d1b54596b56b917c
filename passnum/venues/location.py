"""Where a venue is: its commune (code INSEE, chosen among its postal code's communes)
and, when typed, its coordinates. Distances use the coordinates, or the commune's
centroid until they are typed (``queries.venue_position``).

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_may_locate_venue
from passnum.extensions import db
from passnum.venues.models import Venue
from passnum.venues.validation import (
    check_commune,
    check_position,
    check_postal_code,
    check_postal_code_in_departement,
)


@dataclass(frozen=True)
class Location:
    """A checked location: postal code, commune (name and code INSEE), and the typed
    coordinates or None for both (the commune's centroid then stands in)."""

    postal_code: str
    commune: str
    commune_insee: str
    latitude: float | None
    longitude: float | None


def check_location(
    venue: Venue, *, postal_code: str, commune_insee: str | None,
    latitude: str | float | None = None, longitude: str | float | None = None,
) -> Location:
    """The location as it would be stored for ``venue``, checked but not applied.

    The postal code stays in the venue's département; the commune is one of the postal
    code's (the only one when it serves one commune and none is chosen); coordinates lie
    in France, both or neither. Raises ``InvalidInput`` naming the field
    (``postal_code_invalid``, ``postal_code_departement_mismatch``,
    ``postal_code_unknown``, ``commune_required``, ``commune_not_in_postal_code``,
    ``coordinate_invalid``, ``position_incomplete``, ``position_outside_france``).
    """
    code = check_postal_code(postal_code)
    check_postal_code_in_departement(code, venue.departement.code, venue.departement.name)
    commune = check_commune(code, commune_insee)
    position = check_position(latitude, longitude)
    latitude_, longitude_ = position if position is not None else (None, None)
    return Location(code, commune.name, commune.insee, latitude_, longitude_)


def set_venue_location(
    actor: User, venue: Venue, *, postal_code: str, commune_insee: str | None,
    latitude: str | float | None = None, longitude: str | float | None = None,
) -> Venue:
    """Set a venue's postal code, commune and optional coordinates (both or neither),
    as ``check_location`` checks them. Empty coordinates forget typed ones.

    Raises ``Forbidden`` (issuers), ``NotFound`` (a venue out of the actor's scope) and
    ``InvalidInput`` naming the field (see ``check_location``).
    """
    ensure_may_locate_venue(actor, venue)
    found = check_location(venue, postal_code=postal_code, commune_insee=commune_insee,
                           latitude=latitude, longitude=longitude)
    before = (venue.postal_code, venue.commune_insee, venue.latitude, venue.longitude)
    after = (found.postal_code, found.commune_insee, found.latitude, found.longitude)
    venue.postal_code, venue.commune = found.postal_code, found.commune
    venue.commune_insee = found.commune_insee
    venue.latitude, venue.longitude = found.latitude, found.longitude
    db.session.flush()
    if before != after:
        typed = found.latitude is not None
        record("venue.located", actor_id=actor.id, object_type="venue", object_id=venue.id,
               details={"postal_code": found.postal_code,
                        "commune_insee": found.commune_insee,
                        "position": (f"{found.latitude}, {found.longitude}" if typed
                                     else "commune_centroid")})
    return venue
