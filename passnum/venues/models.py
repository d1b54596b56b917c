"""Labelled venues, workshop themes and workshops."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class LabelStatus(StrEnum):
    """A venue's label; only ``active`` venues redeem."""

    PENDING = "pending"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


LABEL_LABELS = {
    LabelStatus.PENDING: "En attente",
    LabelStatus.ACTIVE: "Actif",
    LabelStatus.SUSPENDED: "Suspendu",
    LabelStatus.WITHDRAWN: "Retiré",
}


def _text(type_: String | Text) -> Mapped[str]:
    """A text column of the profile, "" when not given."""
    return mapped_column(type_, default="", server_default=text("''"))


# a list of codes: JSON (JSONB on PostgreSQL, whose values compare)
CODES = JSON().with_variant(JSONB(), "postgresql")


def _codes() -> Mapped[list[str]]:
    """A list of the vocabulary's codes, [] when none."""
    return mapped_column(CODES, default=list, server_default=text("'[]'"))


class Venue(Model):
    """A lieu labellisé that takes vouchers and is reimbursed."""

    __tablename__ = "venues"
    __table_args__ = (
        CheckConstraint(
            "label_status IN ('pending', 'active', 'suspended', 'withdrawn')",
            name="label_status_known",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"), index=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postal_code: Mapped[str] = mapped_column(String(5), default="")
    commune: Mapped[str] = mapped_column(String(80), default="")
    # code INSEE of the commune, and the venue's position (WGS84) when typed: distances
    # use it, or the commune's centroid until it is typed
    commune_insee: Mapped[str | None] = mapped_column(String(5))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    siret: Mapped[str | None] = mapped_column(String(14), unique=True)
    iban: Mapped[str | None] = mapped_column(String(34))
    legal_representative: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(20), default="")
    label_status: Mapped[str] = mapped_column(String(20), default=LabelStatus.PENDING)
    label_reason: Mapped[str | None] = mapped_column(Text)
    label_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    charter_accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    # the public profile, in the national standard's terms (vocabulary.py): the lists
    # hold the vocabulary's codes; opening hours are OpenStreetMap's syntax (hours.py);
    # profile_updated_at is the standard's ``date_maj``, set on each change
    address_complement: Mapped[str] = _text(String(160))
    opening_hours: Mapped[str] = _text(Text())
    email: Mapped[str] = _text(String(254))
    website: Mapped[str] = _text(String(300))
    booking_url: Mapped[str] = _text(String(300))
    acceslibre_url: Mapped[str] = _text(String(300))
    summary: Mapped[str] = _text(String(280))
    description: Mapped[str] = _text(Text())
    typologies: Mapped[list[str]] = _codes()
    mediation_services: Mapped[list[str]] = _codes()
    specific_publics: Mapped[list[str]] = _codes()
    specific_support: Mapped[list[str]] = _codes()
    national_programmes: Mapped[list[str]] = _codes()
    labels: Mapped[list[str]] = _codes()
    other_labels: Mapped[str] = _text(Text())
    access_modes: Mapped[list[str]] = _codes()
    support_modes: Mapped[list[str]] = _codes()
    profile_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # a venue imported from a file of the national standard (imports.py): the source's
    # ``id``, unique so that the same place is never imported twice, and its ``source``
    import_ref: Mapped[str | None] = mapped_column(String(200), unique=True)
    import_source: Mapped[str | None] = mapped_column(String(200))

    departement = relationship("Departement")
    workshops: Mapped[list[Workshop]] = relationship(
        back_populates="venue", order_by="Workshop.starts_at"
    )

    @property
    def is_label_active(self) -> bool:
        """True when the venue may redeem vouchers."""
        return self.label_status == LabelStatus.ACTIVE


class VenueLabelChange(Model):
    """One decision on a venue's label (approval, suspension, withdrawal, reactivation),
    shown to the venue on its page; the audit log records it too."""

    __tablename__ = "venue_label_changes"
    __table_args__ = (Index("ix_venue_label_changes_venue_id_changed_at",
                            "venue_id", "changed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    venue = relationship("Venue")
    actor = relationship("User")


class ProfileChangeStatus(StrEnum):
    """Where a venue agent's proposed profile stands."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


PROFILE_CHANGE_LABELS = {
    ProfileChangeStatus.PENDING: "En attente de vérification",
    ProfileChangeStatus.APPROVED: "Publiée",
    ProfileChangeStatus.REFUSED: "Refusée",
}


class VenueProfileChange(Model):
    """A venue agent's proposed public profile (every field, checked and normalised), kept
    apart from the published columns until a manager of the venue's département or an
    administrator approves it. One pending proposal per venue: a newer one replaces it."""

    __tablename__ = "venue_profile_changes"
    __table_args__ = (
        CheckConstraint("status IN ('pending', 'approved', 'refused')",
                        name="status_known"),
        Index("ix_venue_profile_changes_venue_id_submitted_at", "venue_id", "submitted_at"),
        # the managers' list of proposals to check
        Index("ix_venue_profile_changes_status", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=ProfileChangeStatus.PENDING)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reason: Mapped[str] = mapped_column(Text, default="")

    venue: Mapped[Venue] = relationship()
    submitted_by = relationship("User", foreign_keys=[submitted_by_id])
    decided_by = relationship("User", foreign_keys=[decided_by_id])


class WorkshopTheme(Model):
    """An entry of the managed list of workshop themes."""

    __tablename__ = "workshop_themes"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    is_active: Mapped[bool] = mapped_column(default=True)


class Workshop(Model):
    """A training session offered by a venue, paid in vouchers."""

    __tablename__ = "workshops"
    __table_args__ = (
        CheckConstraint("capacity > 0", name="capacity_positive"),
        CheckConstraint("price_vouchers > 0", name="price_positive"),
        CheckConstraint("duration_minutes > 0", name="duration_positive"),
        Index("ix_workshops_venue_id_starts_at", "venue_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    theme_id: Mapped[int] = mapped_column(ForeignKey("workshop_themes.id"), index=True)
    title: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int]
    capacity: Mapped[int]
    price_vouchers: Mapped[int] = mapped_column(default=1)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    venue: Mapped[Venue] = relationship(back_populates="workshops")
    theme: Mapped[WorkshopTheme] = relationship()


class WorkshopBooking(Model):
    """A seat of a workshop booked for a beneficiary (at the issuer's desk): it counts
    toward the workshop's capacity until cancelled, and a redemption for that workshop
    with the person's booklet marks it attended."""

    __tablename__ = "workshop_bookings"
    __table_args__ = (
        UniqueConstraint("workshop_id", "beneficiary_id"),
        Index("ix_workshop_bookings_beneficiary_id", "beneficiary_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workshop_id: Mapped[int] = mapped_column(ForeignKey("workshops.id"))
    beneficiary_id: Mapped[int] = mapped_column(ForeignKey("beneficiaries.id"))
    booklet_id: Mapped[int | None] = mapped_column(ForeignKey("booklets.id"))
    booked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    workshop: Mapped[Workshop] = relationship()


class VenueImportFile(Model):
    """A file of venues checked by a dry run and kept until its import is run: in the
    database (several servers answer requests), for one user, under the SHA-256 of a
    random token that only their page holds; deleted by the import, or after an hour."""

    __tablename__ = "venue_import_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"),
                                         index=True)
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"))
    filename: Mapped[str] = mapped_column(String(200))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
