"""Reads on venues."""

from __future__ import annotations

from sqlalchemy import case, select

from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue

COVER_VENUES = 6


def venues_for_cover(departement_id: int, limit: int = COVER_VENUES) -> list[Venue]:
    """Active venues to print on a booklet cover, those of its département first."""
    return list(
        db.session.scalars(
            select(Venue)
            .where(Venue.label_status == LabelStatus.ACTIVE)
            .order_by(case((Venue.departement_id == departement_id, 0), else_=1),
                      Venue.commune, Venue.name)
            .limit(limit)
        )
    )
