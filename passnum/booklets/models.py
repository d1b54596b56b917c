"""Chéquiers (booklets) and chèques (vouchers)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    DDL,
    CheckConstraint,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class BookletStatus(StrEnum):
    """Stored life-cycle of a booklet; started/finished/expired are derived on read."""

    IN_STOCK = "in_stock"
    HANDED_OUT = "handed_out"
    REVOKED = "revoked"


class RevokeReason(StrEnum):
    """Why a booklet was revoked."""

    LOST = "lost"
    STOLEN = "stolen"
    CANCELLED = "cancelled"


REVOKE_REASON_LABELS = {
    RevokeReason.LOST: "Perdu",
    RevokeReason.STOLEN: "Volé",
    RevokeReason.CANCELLED: "Annulé",
}


class VoucherStatus(StrEnum):
    """Stored state of a voucher; expiry and activation are derived from its booklet."""

    ISSUED = "issued"
    REDEEMED = "redeemed"
    REVOKED = "revoked"


class Booklet(Model):
    """N vouchers issued together; one live booklet per beneficiary and programme."""

    __tablename__ = "booklets"
    __table_args__ = (
        # A revoked booklet may be replaced: only live booklets count here.
        Index(
            "uq_booklets_live_beneficiary",
            "programme_id",
            "beneficiary_id",
            unique=True,
            sqlite_where=text("status != 'revoked' AND beneficiary_id IS NOT NULL"),
            postgresql_where=text("status != 'revoked' AND beneficiary_id IS NOT NULL"),
        ),
        CheckConstraint(
            "status IN ('in_stock', 'handed_out', 'revoked')", name="status_known"
        ),
        CheckConstraint(
            "status = 'in_stock' OR status = 'revoked' OR beneficiary_id IS NOT NULL",
            name="handed_out_has_beneficiary",
        ),
        CheckConstraint("expires_on >= valid_from", name="validity"),
        CheckConstraint(
            "vouchers_redeemed >= 0 AND vouchers_redeemed <= vouchers_total",
            name="vouchers_redeemed_bounds",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"))
    structure_id: Mapped[int] = mapped_column(ForeignKey("structures.id"), index=True)
    departement_id: Mapped[int] = mapped_column(ForeignKey("departements.id"), index=True)
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id"), index=True
    )
    status: Mapped[str] = mapped_column(String(20), default=BookletStatus.HANDED_OUT)
    valid_from: Mapped[date] = mapped_column(Date)
    expires_on: Mapped[date] = mapped_column(Date)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    handed_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    printed_count: Mapped[int] = mapped_column(default=0)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoke_reason: Mapped[str | None] = mapped_column(String(20))
    revoke_note: Mapped[str | None] = mapped_column(Text)
    replaces_booklet_id: Mapped[int | None] = mapped_column(
        ForeignKey("booklets.id"), unique=True
    )
    duplicate_override_reason: Mapped[str | None] = mapped_column(Text)
    # counters kept by the services that change vouchers, so the dashboard sums booklets
    # instead of counting every voucher; ``stats verify`` checks them against the rows
    vouchers_total: Mapped[int] = mapped_column(default=0, server_default="0")
    vouchers_redeemed: Mapped[int] = mapped_column(default=0, server_default="0")
    # the booklet's first live redemption (when, where), kept by the redemption write
    # and its undo, so the indicators' funnel reads booklets instead of every voucher
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    first_used_venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    # the Paris day it reached its holder (hand-out, else issue) and the holder's age
    # in whole years that day, written by the issue and the hand-out (reach_facts.py)
    reached_on: Mapped[date | None] = mapped_column(Date)
    holder_age: Mapped[int | None] = mapped_column(SmallInteger)

    programme = relationship("Programme")
    structure = relationship("Structure")
    departement = relationship("Departement")
    beneficiary = relationship("Beneficiary", back_populates="booklets")
    issued_by = relationship("User")
    replaces = relationship("Booklet", remote_side=[id], uselist=False)
    vouchers: Mapped[list[Voucher]] = relationship(
        back_populates="booklet", order_by="Voucher.position"
    )


class Voucher(Model):
    """One chèque: a serial, a signed QR token and a manual code.

    A voucher of a replacement booklet names the revoked voucher whose value it carries
    (``replaces_voucher_id``). The database makes that a one-to-one move of the same
    value: a revoked voucher is replaced at most once (unique), and only by a voucher of
    its own value (the foreign key includes ``value_cents``); triggers (below) accept
    only a revoked voucher as the source and keep a revoked voucher revoked. Replacing
    never mints value.
    """

    __tablename__ = "vouchers"
    __table_args__ = (
        UniqueConstraint("booklet_id", "position"),
        # the target of the replacement link below: (id, value) of every voucher
        UniqueConstraint("id", "value_cents"),
        ForeignKeyConstraint(["replaces_voucher_id", "value_cents"],
                             ["vouchers.id", "vouchers.value_cents"]),
        CheckConstraint("value_cents > 0", name="value_positive"),
        CheckConstraint("status IN ('issued', 'redeemed', 'revoked')", name="status_known"),
        CheckConstraint(
            "(status = 'redeemed') = (redeemed_at IS NOT NULL)", name="redeemed_has_time"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booklet_id: Mapped[int] = mapped_column(ForeignKey("booklets.id"))
    position: Mapped[int]
    serial: Mapped[str] = mapped_column(String(24), unique=True)
    manual_code: Mapped[str] = mapped_column(String(12), unique=True)
    value_cents: Mapped[int]
    status: Mapped[str] = mapped_column(String(20), default=VoucherStatus.ISSUED)
    redeemed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replaces_voucher_id: Mapped[int | None] = mapped_column(unique=True)

    booklet: Mapped[Booklet] = relationship(back_populates="vouchers")


# A replacement voucher's source must be revoked, and a revoked voucher never comes back
# (else a copy and its source could both be spent). Triggers, as no constraint can look
# at another row; the migration b1c3d58bc45e creates the same ones.
REPLACEMENT_TRIGGERS: dict[str, tuple[str, ...]] = {
    "postgresql": (
        """CREATE FUNCTION vouchers_replacement_guard() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'UPDATE' THEN
                RAISE EXCEPTION 'a revoked voucher stays revoked'
                    USING ERRCODE = 'check_violation';
            END IF;
            IF NOT EXISTS (SELECT 1 FROM vouchers
                           WHERE id = NEW.replaces_voucher_id AND status = 'revoked') THEN
                RAISE EXCEPTION 'a replacement voucher must carry a revoked voucher'
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NEW;
        END
        $$""",
        "CREATE TRIGGER vouchers_replacement_source BEFORE INSERT ON vouchers FOR EACH ROW "
        "WHEN (NEW.replaces_voucher_id IS NOT NULL) "
        "EXECUTE FUNCTION vouchers_replacement_guard()",
        "CREATE TRIGGER vouchers_revoked_stays BEFORE UPDATE OF status ON vouchers "
        "FOR EACH ROW WHEN (OLD.status = 'revoked' AND NEW.status <> 'revoked') "
        "EXECUTE FUNCTION vouchers_replacement_guard()",
    ),
    "sqlite": (
        "CREATE TRIGGER vouchers_replacement_source BEFORE INSERT ON vouchers FOR EACH ROW "
        "WHEN NEW.replaces_voucher_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM vouchers "
        "WHERE id = NEW.replaces_voucher_id AND status = 'revoked') "
        "BEGIN SELECT RAISE(ABORT, 'a replacement voucher must carry a revoked voucher'); END",
        "CREATE TRIGGER vouchers_revoked_stays BEFORE UPDATE OF status ON vouchers "
        "FOR EACH ROW WHEN OLD.status = 'revoked' AND NEW.status <> 'revoked' "
        "BEGIN SELECT RAISE(ABORT, 'a revoked voucher stays revoked'); END",
    ),
}
for _dialect, _statements in REPLACEMENT_TRIGGERS.items():
    for _statement in _statements:
        event.listen(Voucher.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
