"""The outbox's SQL per database, behind a few typed functions.

``insert_message`` adds a message unless one with the same (channel, recipient,
event_key) exists, without failing the caller's transaction when a concurrent
transaction queues the same key at the same time (``INSERT … ON CONFLICT DO NOTHING``,
on PostgreSQL and on SQLite alike). ``claim`` takes a due message for one sender with a
conditional update, so that two senders never send the same message.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import CursorResult

from passnum.extensions import db
from passnum.messages.models import MessageStatus, OutboxMessage

_COLUMNS = ("channel", "recipient", "subject", "body", "event_key", "kind",
            "beneficiary_id", "user_id", "status", "attempts", "next_attempt_at",
            "created_at")


@cache
def _insert(dialect: str) -> Any:
    """The insert that ignores a duplicate key, built once per dialect."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(OutboxMessage).values({name: bindparam(name) for name in _COLUMNS})
    return statement.on_conflict_do_nothing(
        index_elements=["channel", "recipient", "event_key"]).returning(OutboxMessage.id)


def insert_message(values: dict[str, Any]) -> int | None:
    """Insert one outbox row; its id, or None when the key was already queued."""
    statement = _insert(db.session.get_bind().dialect.name)
    return db.session.execute(statement, values).scalar_one_or_none()


def claim(message_id: int, *, seen_attempts: int, now: datetime, lease_until: datetime) -> bool:
    """Take a due message for this sender: count the attempt and push its next attempt
    to ``lease_until`` (if the sender dies, the message is due again then). True when
    this sender won it; a concurrent sender that read the same row loses."""
    result = cast(CursorResult[Any], db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id,
               OutboxMessage.status == MessageStatus.PENDING,
               OutboxMessage.attempts == seen_attempts,
               OutboxMessage.next_attempt_at <= now)
        .values(attempts=OutboxMessage.attempts + 1, next_attempt_at=lease_until)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def due_messages(now: datetime, *, limit: int, ids: list[int] | None = None) -> list[Any]:
    """Up to ``limit`` due pending messages, oldest due first (only ``ids``, if given).
    On PostgreSQL the rows another sender is claiming are skipped, not waited for."""
    statement = (select(OutboxMessage.id, OutboxMessage.attempts, OutboxMessage.channel,
                        OutboxMessage.recipient, OutboxMessage.subject, OutboxMessage.body,
                        OutboxMessage.kind)
                 .where(OutboxMessage.status == MessageStatus.PENDING,
                        OutboxMessage.next_attempt_at <= now)
                 .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id).limit(limit))
    if ids is not None:
        statement = statement.where(OutboxMessage.id.in_(ids))
    if db.session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update(skip_locked=True, of=OutboxMessage)
    return list(db.session.execute(statement).all())


def finish(message_id: int, *, attempts: int, values: dict[str, Any]) -> bool:
    """Write the outcome of the attempt ``attempts`` of a claimed message; False when
    the claim was lost meanwhile (the lease ran out and another sender took it)."""
    result = cast(CursorResult[Any], db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.attempts == attempts,
               OutboxMessage.status == MessageStatus.PENDING)
        .values(**values).execution_options(synchronize_session=False)))
    return result.rowcount == 1
