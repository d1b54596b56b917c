"""The outbox: messages written in the same transaction as the event that causes them.

A message is ``pending`` until a sender delivers it (``sent``) or gives up on it
(``failed``: a permanent refusal, or too many transient failures). The unique key
(channel, recipient, event_key) makes each event send at most one message to each
recipient, however many times the event's code runs.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class Channel(StrEnum):
    """How a message travels."""

    EMAIL = "email"
    SMS = "sms"


class MessageStatus(StrEnum):
    """Where a message stands (see the module's docstring)."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


CHANNEL_LABELS = {Channel.EMAIL: "E-mail", Channel.SMS: "SMS"}
STATUS_LABELS = {MessageStatus.PENDING: "En attente d'envoi", MessageStatus.SENT: "Envoyé",
                 MessageStatus.FAILED: "Échec"}
# French names of the kinds of message (a kind missing here shows as its code)
KIND_LABELS: dict[str, str] = {
    "password_reset": "Réinitialisation du mot de passe",
    "booklet_welcome": "Bienvenue (remise du chéquier)",
    "booklet_unused": "Rappel : aucun chèque utilisé après 30 jours",
    "booklet_expiring": "Rappel : chéquier expirant dans 30 jours",
    "workshop_booked": "Atelier réservé",
    "venue_label_decision": "Décision sur le label d'un lieu",
    "venue_profile_decision": "Décision sur la fiche publique d'un lieu",
    "statement_validated": "Relevé de remboursement validé",
    "statement_paid": "Relevé de remboursement payé",
    "expiry_digest": "Chéquiers expirant dans 30 jours (hebdomadaire)",
}


class OutboxMessage(Model):
    """One message to one recipient, caused by one event."""

    __tablename__ = "outbox_messages"
    __table_args__ = (
        UniqueConstraint("channel", "recipient", "event_key"),
        # the sender's scan: due pending messages, oldest first
        Index("ix_outbox_messages_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))
    # an e-mail address, or a phone number in E.164 (+33612345678)
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text)
    # the event that caused it ("booklet.handed_out:123"); with the channel and the
    # recipient, it is sent at most once
    event_key: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(50))
    # the person it is about, so that the purge deletes it with them
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(10), default=MessageStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    # pending: when it is due (again); failed: when it failed
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    last_error: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
