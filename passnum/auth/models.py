"""Users, their role and scope, and API bearer tokens."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class Role(StrEnum):
    """The four roles (docs/product.md, "Roles")."""

    ADMIN = "admin"
    MANAGER = "manager"
    ISSUER = "issuer"
    VENUE_AGENT = "venue_agent"


ROLE_LABELS = {
    Role.ADMIN: "Administrateur",
    Role.MANAGER: "Gestionnaire DGAS",
    Role.ISSUER: "Travailleur social",
    Role.VENUE_AGENT: "Agent de lieu labellisé",
}


class User(UserMixin, Model):
    """An account. Its scope follows its role: département, structure or venue."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(
            "(role = 'admin')"
            " OR (role = 'manager' AND departement_id IS NOT NULL)"
            " OR (role = 'issuer' AND structure_id IS NOT NULL)"
            " OR (role = 'venue_agent' AND venue_id IS NOT NULL)",
            name="role_scope",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    full_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(20))
    departement_id: Mapped[int | None] = mapped_column(ForeignKey("departements.id"))
    structure_id: Mapped[int | None] = mapped_column(ForeignKey("structures.id"))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    is_active_account: Mapped[bool] = mapped_column(default=True)
    # a venue's lead agent (the applicant) manages the venue's other agent accounts
    is_venue_lead: Mapped[bool] = mapped_column(default=False, server_default=false())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # second factor (RFC 6238): the secret is set when enrolment starts and counts once
    # ``totp_enabled_at`` is set; the last accepted time step is kept against replays
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column()
    # written into each session at login and compared on every request: raising it
    # (logout, password change, suspension, TOTP reset) ends every session at once
    session_version: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)

    departement = relationship("Departement")
    structure = relationship("Structure")
    venue = relationship("Venue")

    @property
    def is_active(self) -> bool:  # Flask-Login: disabled accounts cannot log in
        """True while the account is enabled."""
        return self.is_active_account

    @property
    def role_label(self) -> str:
        """French name of the role."""
        return ROLE_LABELS[Role(self.role)]


class ApiToken(Model):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"
    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()
