"""Programme (the grant), départements and their quota, structures and allocations."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class Departement(Model):
    """A département taking part (78, 92, … : never hard-coded)."""

    __tablename__ = "departements"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(80))

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Programme(Model):
    """The grant: period, target, budget, booklet composition and voucher validity."""

    __tablename__ = "programmes"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="period"),
        CheckConstraint("vouchers_per_booklet BETWEEN 1 AND 50", name="vouchers_per_booklet"),
        CheckConstraint("voucher_value_cents > 0", name="voucher_value"),
        CheckConstraint("validity_months > 0", name="validity_months"),
        CheckConstraint("priority_target_percent BETWEEN 0 AND 100",
                        name="priority_target_percent"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    target_beneficiaries: Mapped[int]
    budget_cents: Mapped[int]
    vouchers_per_booklet: Mapped[int] = mapped_column(default=10)
    voucher_value_cents: Mapped[int] = mapped_column(default=1000)
    validity_months: Mapped[int] = mapped_column(default=12)
    # who may receive a booklet: postal codes or their first digits (a département),
    # separated by spaces or commas, "" for anywhere; an age reached on the issue day
    eligible_postal_codes: Mapped[str] = mapped_column(Text, default="",
                                                       server_default=text("''"))
    minimum_age: Mapped[int | None] = mapped_column()
    # the convention's target share of priority publics among the people reached (%)
    priority_target_percent: Mapped[int | None] = mapped_column()
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    quotas: Mapped[list[ProgrammeQuota]] = relationship(back_populates="programme")
    priority_publics: Mapped[list[PriorityPublic]] = relationship(
        back_populates="programme", order_by="PriorityPublic.position")

    @property
    def booklet_value_cents(self) -> int:
        """Face value of one booklet."""
        return self.vouchers_per_booklet * self.voucher_value_cents

    def is_open_on(self, day: date) -> bool:
        """True when vouchers can be issued on ``day``."""
        return self.closed_at is None and self.starts_on <= day <= self.ends_on


class ProgrammeQuota(Model):
    """A département's share of a programme; ``booklets_issued`` never passes the quota."""

    __tablename__ = "programme_quotas"
    __table_args__ = (
        UniqueConstraint("programme_id", "departement_id"),
        CheckConstraint("booklets_issued >= 0", name="issued_positive"),
        CheckConstraint("booklets_issued <= booklet_quota", name="within_quota"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    target_beneficiaries: Mapped[int]
    budget_cents: Mapped[int]
    booklet_quota: Mapped[int]
    booklets_issued: Mapped[int] = mapped_column(default=0)

    programme: Mapped[Programme] = relationship(back_populates="quotas")
    departement: Mapped[Departement] = relationship()


class Structure(Model):
    """An issuing organisation (DGAS office, CCAS, association) in one département."""

    __tablename__ = "structures"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(160), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"), index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(80), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    departement: Mapped[Departement] = relationship()

    def __str__(self) -> str:
        return self.name


class Allocation(Model):
    """Booklets allotted to a structure for a programme; never over-consumed."""

    __tablename__ = "allocations"
    __table_args__ = (
        UniqueConstraint("programme_id", "structure_id"),
        CheckConstraint("booklets_issued >= 0", name="issued_positive"),
        CheckConstraint("booklets_issued <= booklets_allocated", name="within_allocation"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    booklets_allocated: Mapped[int] = mapped_column(default=0)
    booklets_issued: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, onupdate=now)

    programme: Mapped[Programme] = relationship()
    structure: Mapped[Structure] = relationship()

    @property
    def booklets_left(self) -> int:
        """Booklets the structure may still issue."""
        return self.booklets_allocated - self.booklets_issued


class PriorityPublic(Model):
    """One of the priority publics a programme's convention asks to reach (demandeur
    d'emploi peu qualifié, bénéficiaire des minima sociaux…): a box of the checklist
    on a beneficiary's form. Retired entries stay for the people already ticked."""

    __tablename__ = "priority_publics"
    __table_args__ = (UniqueConstraint("programme_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    code: Mapped[str] = mapped_column(String(40))
    label: Mapped[str] = mapped_column(String(160))
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    programme: Mapped[Programme] = relationship(back_populates="priority_publics")
