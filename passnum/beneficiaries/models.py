"""Beneficiaries: the minimum personal data of docs/product.md's RGPD section."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class Beneficiary(Model):
    """A person receiving a chéquier, known to one structure."""

    __tablename__ = "beneficiaries"
    __table_args__ = (Index("ix_beneficiaries_identity_key", "identity_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    birth_date: Mapped[date | None] = mapped_column(Date)
    postal_code: Mapped[str] = mapped_column(String(5))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    need: Mapped[str] = mapped_column(Text, default="")
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
    booklets = relationship(
        "Booklet", back_populates="beneficiary", order_by="Booklet.issued_at"
    )

    @property
    def display_name(self) -> str:
        """``NOM Prénom`` as French forms write it."""
        return f"{self.last_name.upper()} {self.first_name}"
