"""Stored answers of API calls carrying an ``Idempotency-Key``.

An answer is kept ``IDEMPOTENCY_TTL_HOURS`` (48 h by default: enough for a phone's
retries); ``purge`` deletes older ones, and those about a person it pseudonymises.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from passnum.core.clock import now
from passnum.core.db import UTCDateTime
from passnum.extensions import Model


class IdempotentResponse(Model):
    """The first answer to a POST; a retry with the same key gets it back unchanged."""

    __tablename__ = "idempotent_responses"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int]
    body: Mapped[str] = mapped_column(Text)
    # the person the answer shows (a beneficiary's record, their booklet), so that the
    # purge deletes it with them
    beneficiary_id: Mapped[int | None] = mapped_column(
        ForeignKey("beneficiaries.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=now, index=True)
