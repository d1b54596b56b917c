"""Where a venue is: its commune (code INSEE, chosen among its postal code's communes)
and, when typed, its coordinates. Distances use the coordinates, or the commune's
centroid until they are typed (``queries.venue_position``).

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

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


def set_venue_location(
    actor: User, venue: Venue, *, postal_code: str, commune_insee: str | None,
    latitude: str | float | None = None, longitude: str | float | None = None,
) -> Venue:
    """Set a venue's postal code, commune and optional coordinates (both or neither).

    The postal code stays in the venue's département; the commune is one of the postal
    code's (the only one when it serves one commune and none is chosen); coordinates lie
    in France. Empty coordinates forget typed ones: the commune's centroid then stands in.
    Raises ``Forbidden`` (issuers), ``NotFound`` (a venue out of the actor's scope) and
    ``InvalidInput`` naming the field (``postal_code_invalid``,
    ``postal_code_departement_mismatch``, ``postal_code_unknown``, ``commune_required``,
    ``commune_not_in_postal_code``, ``coordinate_invalid``, ``position_incomplete``,
    ``position_outside_france``).
    """
    ensure_may_locate_venue(actor, venue)
    code = check_postal_code(postal_code)
    check_postal_code_in_departement(code, venue.departement.code, venue.departement.name)
    commune = check_commune(code, commune_insee)
    position = check_position(latitude, longitude)
    latitude_, longitude_ = position if position is not None else (None, None)
    before = (venue.postal_code, venue.commune_insee, venue.latitude, venue.longitude)
    after = (code, commune.insee, latitude_, longitude_)
    venue.postal_code, venue.commune, venue.commune_insee = code, commune.name, commune.insee
    venue.latitude, venue.longitude = latitude_, longitude_
    db.session.flush()
    if before != after:
        record("venue.located", actor_id=actor.id, object_type="venue", object_id=venue.id,
               details={"postal_code": code, "commune_insee": commune.insee,
                        "position": (f"{latitude_}, {longitude_}" if position is not None
                                     else "commune_centroid")})
    return venue
