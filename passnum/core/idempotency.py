"""The lifetime of stored API answers (``IdempotentResponse``).

A retry is replayed only within ``IDEMPOTENCY_TTL_HOURS`` of the first answer; after
that the key is free again and the request is decided anew. ``purge`` deletes the
expired answers (they may copy a person's record).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete

from passnum.core.clock import now
from passnum.core.models import IdempotentResponse
from passnum.extensions import db

DEFAULT_TTL_HOURS = 48


def answers_expire_before(config: Mapping[str, Any], *, at: datetime | None = None) -> datetime:
    """Answers stored before this instant are expired: never replayed, purged."""
    hours = int(config.get("IDEMPOTENCY_TTL_HOURS", DEFAULT_TTL_HOURS))
    return (at or now()) - timedelta(hours=hours)


def delete_expired_answers(before: datetime) -> int:
    """Delete the stored answers older than ``before``; flushes only. Returns the count."""
    # a DELETE's result is a CursorResult: Session.execute() is typed for any statement
    return cast(CursorResult[Any], db.session.execute(
        delete(IdempotentResponse).where(IdempotentResponse.created_at < before)
        .execution_options(synchronize_session=False)
    )).rowcount
