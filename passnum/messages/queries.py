"""Reads of the outbox for administrators: counts by status and the failed messages.

A message's body may name a person: these reads give its kind, channel and dates, the
recipient masked, never the body.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from passnum.extensions import db
from passnum.messages.models import MessageStatus, OutboxMessage
from passnum.messages.transports import mask

FAILED_SHOWN = 200


@dataclass(frozen=True)
class FailedMessage:
    """A failed message as the administration page shows it."""

    id: int
    kind: str
    channel: str
    recipient: str  # masked
    attempts: int
    last_error: str
    created_at: datetime
    failed_at: datetime


def counts_by_status() -> dict[str, int]:
    """How many messages stand in each status (every status listed, 0 included)."""
    counts = {str(status): 0 for status in MessageStatus}
    rows = db.session.execute(select(OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.status)).all()
    counts.update({status: count for status, count in rows})
    return counts


def failed_messages(limit: int = FAILED_SHOWN) -> list[FailedMessage]:
    """The most recent failed messages first."""
    rows = db.session.scalars(select(OutboxMessage)
                              .where(OutboxMessage.status == MessageStatus.FAILED)
                              .order_by(OutboxMessage.id.desc()).limit(limit))
    return [FailedMessage(id=m.id, kind=m.kind, channel=m.channel, recipient=mask(m.recipient),
                          attempts=m.attempts, last_error=m.last_error or "",
                          created_at=m.created_at, failed_at=m.next_attempt_at)
            for m in rows]


def oldest_pending() -> datetime | None:
    """When the oldest message still waiting was queued (a stuck queue shows here)."""
    return db.session.scalar(select(func.min(OutboxMessage.created_at))
                             .where(OutboxMessage.status == MessageStatus.PENDING))
