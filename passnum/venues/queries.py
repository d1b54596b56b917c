"""Reads on venues."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import case, select
from sqlalchemy.orm import selectinload

from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue, Workshop

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


def directory(*, now_at: datetime, per_venue: int = 5) -> list[tuple[Venue, list[Workshop]]]:
    """Active venues by commune, each with its next workshops (public page)."""
    venues = db.session.scalars(
        select(Venue)
        .where(Venue.label_status == LabelStatus.ACTIVE)
        .order_by(Venue.commune, Venue.name)
    ).all()
    upcoming = db.session.scalars(
        select(Workshop)
        .options(selectinload(Workshop.theme))
        .where(Workshop.venue_id.in_([v.id for v in venues]), Workshop.starts_at >= now_at,
               Workshop.cancelled_at.is_(None))
        .order_by(Workshop.starts_at)
    ).all()
    by_venue: dict[int, list[Workshop]] = {}
    for workshop in upcoming:
        items = by_venue.setdefault(workshop.venue_id, [])
        if len(items) < per_venue:
            items.append(workshop)
    return [(venue, by_venue.get(venue.id, [])) for venue in venues]
