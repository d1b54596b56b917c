"""Redemptions: a venue taking one or more vouchers, each line paid by one département."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class Redemption(Model):
    """One act of redeeming vouchers at a venue, possibly for a workshop."""

    __tablename__ = "redemptions"
    __table_args__ = (
        UniqueConstraint("actor_id", "idempotency_key"),
        Index("ix_redemptions_venue_id_redeemed_at", "venue_id", "redeemed_at"),
        Index("ix_redemptions_redeemed_at", "redeemed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    workshop_id: Mapped[int | None] = mapped_column(ForeignKey("workshops.id"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    idempotency_key: Mapped[str | None] = mapped_column(String(100))
    redeemed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    venue = relationship("Venue")
    workshop = relationship("Workshop")
    lines: Mapped[list[RedemptionLine]] = relationship(back_populates="redemption")

    # not stored: set by ``redeem`` on a redemption it returns again for a known
    # Idempotency-Key instead of taking the vouchers a second time
    replayed = False


class RedemptionLine(Model):
    """One voucher taken; at most one live (not undone) line per voucher, ever."""

    __tablename__ = "redemption_lines"
    __table_args__ = (
        Index(
            "uq_redemption_lines_live_voucher",
            "voucher_id",
            unique=True,
            sqlite_where=text("undone_at IS NULL"),
            postgresql_where=text("undone_at IS NULL"),
        ),
        Index("ix_redemption_lines_statement_id", "statement_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    redemption_id: Mapped[int] = mapped_column(ForeignKey("redemptions.id"), index=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id"))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    value_cents: Mapped[int]
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a line belongs to one statement at most: the column itself guarantees it
    statement_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    redemption: Mapped[Redemption] = relationship(back_populates="lines")
    voucher = relationship("Voucher")


NO_THEME = 0  # ``theme_key`` of redemptions outside any workshop


class VenueMonthTally(Model):
    """Live redemption lines summed per programme, paying département, Paris month,
    venue and workshop theme.

    Kept by ``redeem`` and ``undo`` in their own transaction (``redemptions.tallies``),
    so the dashboard reads a few thousand rows instead of every line; ``stats verify``
    compares them with the lines and ``stats rebuild`` recomputes them. A redemption
    counts once per paying département.
    """

    __tablename__ = "venue_month_tallies"
    __table_args__ = (
        CheckConstraint("redemptions >= 0 AND vouchers >= 0 AND cents >= 0",
                        name="not_negative"),
    )

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"),
                                                primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)  # first day, Paris time
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"), primary_key=True)
    # a workshop theme's id, or NO_THEME: a key column cannot be NULL
    theme_key: Mapped[int] = mapped_column(primary_key=True)
    redemptions: Mapped[int] = mapped_column(default=0)
    vouchers: Mapped[int] = mapped_column(default=0)
    cents: Mapped[int] = mapped_column(default=0)


class StructureMonthTally(Model):
    """Live redemption lines summed per programme, Paris month and issuing structure
    (whose département pays), kept like ``VenueMonthTally``."""

    __tablename__ = "structure_month_tallies"
    __table_args__ = (
        CheckConstraint("vouchers >= 0 AND cents >= 0", name="not_negative"),
    )

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), primary_key=True)
    month: Mapped[date] = mapped_column(Date, primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), primary_key=True)
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    vouchers: Mapped[int] = mapped_column(default=0)
    cents: Mapped[int] = mapped_column(default=0)
