"""Reads on redemptions."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

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


def redemption_for_key(actor_id: int, key: str) -> Redemption | None:
    """The redemption an actor already made with this idempotency key, if any."""
    return db.session.scalar(
        select(Redemption)
        .options(selectinload(Redemption.lines).selectinload(RedemptionLine.voucher))
        .where(Redemption.actor_id == actor_id, Redemption.idempotency_key == key)
    )


def attendance_count(workshop_id: int) -> int:
    """People registered to a workshop: its live redemptions."""
    return db.session.scalar(
        select(func.count()).select_from(Redemption)
        .where(Redemption.workshop_id == workshop_id, Redemption.undone_at.is_(None))
    ) or 0


def in_closed_statement(redemption_id: int) -> bool:
    """True when a line of the redemption is on a statement past its draft stage."""
    return db.session.scalar(
        select(func.count()).select_from(RedemptionLine)
        .join(Statement, Statement.id == RedemptionLine.statement_id)
        .where(RedemptionLine.redemption_id == redemption_id,
               Statement.status != StatementStatus.DRAFT)
    ) > 0
