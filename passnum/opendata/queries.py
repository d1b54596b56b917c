"""Reads for the open data: the venues it publishes and the territory's départements."""

from __future__ import annotations

from sqlalchemy import select

from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.venues.models import LabelStatus, Venue


def published_venues() -> list[Venue]:
    """The venues the open data lists: those whose label is active (a pending,
    suspended or withdrawn venue takes no voucher, so it is not shown), by slug, which
    is stable from one download to the next."""
    return list(db.session.scalars(
        select(Venue).where(Venue.label_status == LabelStatus.ACTIVE).order_by(Venue.slug)
    ))


def departement_codes() -> list[str]:
    """The codes of the territory's départements, sorted: where the chèques are handed
    out, so where the pass numérique's workshops are open to residents."""
    return list(db.session.scalars(select(Departement.code).order_by(Departement.code)))
