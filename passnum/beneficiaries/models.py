"""Beneficiaries: the minimum personal data of docs/product.md's RGPD section."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model

# the programme's priority publics a person belongs to (the form's checklist)
beneficiary_priority_publics = Table(
    "beneficiary_priority_publics",
    Model.metadata,
    Column("beneficiary_id", ForeignKey("beneficiaries.id"), primary_key=True),
    Column("priority_public_id", ForeignKey("priority_publics.id"), primary_key=True,
           index=True),
)


class Beneficiary(Model):
    """A person receiving a chéquier, known to one structure."""

    __tablename__ = "beneficiaries"
    __table_args__ = (
        Index("ix_beneficiaries_identity_key", "identity_key"),
        CheckConstraint("gender IN ('female', 'male')", name="gender_known"),
        CheckConstraint("social_status IN ('in_school', 'unemployed', 'employed', 'retired')",
                        name="social_status_known"),
        CheckConstraint("priority_area IN ('yes', 'no', 'unknown')", name="priority_area_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    postal_code: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    need: Mapped[str] = mapped_column(Text, default="")
    # the categories of beneficiaries/categories.py; None is "non communiqué"
    gender: Mapped[str | None] = mapped_column(String(10))
    social_status: Mapped[str | None] = mapped_column(String(20))
    # code INSEE of the commune, chosen among the postal code's communes; required on
    # new records, None only on records made before it was asked
    commune_insee: Mapped[str | None] = mapped_column(String(5), index=True)
    priority_area: Mapped[str | None] = mapped_column(String(10))
    # the ids of the priority publics ticked (``priority_publics``), sorted and joined
    # by commas ("" for none): a copy kept with the links by the services, so that the
    # indicators group people by it (priority_key.py)
    priority_public_ids: Mapped[str] = mapped_column(String(400), default="",
                                                     server_default=text("''"))
    # the separate consent to receive messages (welcome, reminders) on the phone or
    # e-mail given; None: no messages
    messages_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # the opaque code of the person's stop link (messages/optout.py), from ``secrets``;
    # written with the first message to them, None before
    messages_stop_code: Mapped[str | None] = mapped_column(String(32), unique=True)
    # normalised "last|first|birth date": what duplicate detection compares
    identity_key: Mapped[str | None] = mapped_column(String(200))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime())
    consent_text_version: Mapped[str] = mapped_column(String(20))
    duplicate_override_reason: Mapped[str | None] = mapped_column(Text)
    eligibility_override_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    pseudonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    structure = relationship("Structure")
    priority_publics = relationship("PriorityPublic", secondary="beneficiary_priority_publics",
                                    order_by="PriorityPublic.position")
    booklets = relationship(
        "Booklet", back_populates="beneficiary", order_by="Booklet.issued_at"
    )

    @property
    def display_name(self) -> str:
        """``NOM Prénom`` as French forms write it."""
        return f"{self.last_name.upper()} {self.first_name}"


class ReachTally(Model):
    """Anonymous totals of the people the purge pseudonymised: how many people reached
    by a programme, in a structure, in a Paris month (of their first booklet's issue),
    had each value of each reporting category (``dashboard.reach.DIMENSIONS``).

    The purge adds a person here before blanking their categories, and the indicators
    add these totals to the live counts, so the figures stay the same after a purge.
    """

    __tablename__ = "reach_tallies"
    __table_args__ = (
        PrimaryKeyConstraint("programme_id", "structure_id", "month", "dimension", "value"),
    )

    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    month: Mapped[date] = mapped_column(Date)  # first day of the Paris month
    dimension: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(40))  # a category's code, "" for not given
    people: Mapped[int] = mapped_column(default=0)
