"""Reimbursement statements per venue, paying département and period."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class StatementStatus(StrEnum):
    """draft → validated → paid → archived."""

    DRAFT = "draft"
    VALIDATED = "validated"
    PAID = "paid"
    ARCHIVED = "archived"


class Statement(Model):
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
    # last (re)generation of a draft; frozen once validated
    generated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paid_recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    venue = relationship("Venue")
    departement = relationship("Departement")
    validated_by = relationship("User", foreign_keys=[validated_by_id])
    adjustments: Mapped[list[StatementAdjustment]] = relationship(
        back_populates="statement", foreign_keys="StatementAdjustment.statement_id",
        order_by="StatementAdjustment.id")


class StatementAdjustment(Model):
    """A credit (positive) or debit (negative) correcting an earlier statement.

    History is never edited: the correction waits (``statement_id`` NULL) until the next
    statement of the same venue and paying département takes it, once.
    """

    __tablename__ = "statement_adjustments"
    __table_args__ = (
        CheckConstraint("amount_cents <> 0", name="amount_not_zero"),
        Index("ix_statement_adjustments_venue_id_departement_id",
              "venue_id", "departement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    corrects_statement_id: Mapped[int] = mapped_column(ForeignKey("statements.id"))
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"),
                                                     index=True)
    amount_cents: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    statement = relationship("Statement", foreign_keys=[statement_id],
                             back_populates="adjustments")
    corrects = relationship("Statement", foreign_keys=[corrects_statement_id])
    created_by = relationship("User")
