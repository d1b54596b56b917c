"""Reads on redemptions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from passnum.core.clock import paris_day_bounds
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.statements.models import Statement, StatementStatus


def live_redemption_of(voucher_id: int) -> Redemption | None:
    """The redemption currently holding this voucher (not undone), venue loaded."""
    return db.session.scalar(
        select(Redemption)
        .join(RedemptionLine, RedemptionLine.redemption_id == Redemption.id)
        .options(selectinload(Redemption.venue))
        .where(RedemptionLine.voucher_id == voucher_id, RedemptionLine.undone_at.is_(None))
    )


def registered_count(workshop_id: int) -> int:
    """People registered to a workshop: its live (not undone) redemptions."""
    return db.session.scalar(
        select(func.count()).select_from(Redemption)
        .where(Redemption.workshop_id == workshop_id, Redemption.undone_at.is_(None))
    ) or 0


def registered_counts(workshop_ids: list[int]) -> dict[int, int]:
    """``registered_count`` of several workshops at once (absent ones count 0)."""
    if not workshop_ids:
        return {}
    rows = db.session.execute(
        select(Redemption.workshop_id, func.count())
        .where(Redemption.workshop_id.in_(workshop_ids), Redemption.undone_at.is_(None))
        .group_by(Redemption.workshop_id)
    )
    counts = {workshop_id: 0 for workshop_id in workshop_ids}
    for workshop_id, n in rows:
        counts[cast(int, workshop_id)] = n  # never None: the ids asked for
    return counts


def in_closed_statement(redemption_id: int) -> bool:
    """True when a line of the redemption is on a statement past its draft stage."""
    return (db.session.scalar(
        select(func.count()).select_from(RedemptionLine)
        .join(Statement, Statement.id == RedemptionLine.statement_id)
        .where(RedemptionLine.redemption_id == redemption_id,
               Statement.status != StatementStatus.DRAFT)
    ) or 0) > 0


@dataclass(frozen=True)
class HistoryFilter:
    """What the venue's history shows: a period (Paris dates), a workshop, undone ones."""

    start: date | None = None
    end: date | None = None
    workshop_id: int | None = None
    include_undone: bool = True


def venue_history(venue_id: int, filters: HistoryFilter, *, limit: int | None = 500
                  ) -> list[Redemption]:
    """A venue's redemptions, newest first, lines, vouchers and workshop loaded."""
    query = (
        select(Redemption)
        .options(selectinload(Redemption.lines).selectinload(RedemptionLine.voucher),
                 selectinload(Redemption.workshop))
        .where(Redemption.venue_id == venue_id)
        .order_by(Redemption.redeemed_at.desc(), Redemption.id.desc())
    )
    if filters.start:
        query = query.where(Redemption.redeemed_at >= paris_day_bounds(filters.start)[0])
    if filters.end:
        query = query.where(Redemption.redeemed_at < paris_day_bounds(filters.end)[1])
    if filters.workshop_id:
        query = query.where(Redemption.workshop_id == filters.workshop_id)
    if not filters.include_undone:
        query = query.where(Redemption.undone_at.is_(None))
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def get_redemption(actor_venue_id: int | None, redemption_id: int) -> Redemption:
    """A redemption of the actor's venue; ``NotFound`` otherwise."""
    redemption = db.session.get(Redemption, redemption_id)
    if redemption is None or redemption.venue_id != actor_venue_id:
        raise NotFound("Encaissement introuvable.")
    return redemption
