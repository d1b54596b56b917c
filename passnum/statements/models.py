"""Reimbursement statements per venue, paying département and period."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import db


class StatementStatus(StrEnum):
    """draft → validated → paid → archived."""

    DRAFT = "draft"
    VALIDATED = "validated"
    PAID = "paid"
    ARCHIVED = "archived"


class Statement(db.Model):
    """A venue's relevé de remboursement for one period and one paying département."""

    __tablename__ = "statements"
    __table_args__ = (
        UniqueConstraint("venue_id", "departement_id", "period_start"),
        CheckConstraint("period_end > period_start", name="period"),
        CheckConstraint(
            "status IN ('draft', 'validated', 'paid', 'archived')", name="status_known"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), index=True)
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=StatementStatus.DRAFT)
    total_cents: Mapped[int] = mapped_column(default=0)
    voucher_count: Mapped[int] = mapped_column(default=0)
    adjustment_cents: Mapped[int] = mapped_column(default=0)
    validated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    validated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(80))
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    venue = relationship("Venue")
    departement = relationship("Departement")
