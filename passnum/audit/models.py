"""Append-only, hash-chained audit events.

The database itself refuses to change or delete an event (triggers, created here for
``create_all`` and by the migrations): the application never needs to, and a mistake or
an injected statement cannot. The owner of the database can still lift a trigger: the
keyed hashes and the anchor outside the database are what detect that.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from passnum.core.db import UTCDateTime
from passnum.extensions import Model

GENESIS_HASH = "0" * 64


class AuditEvent(Model):
    """One state change or attempt; ``hash`` covers the event and ``prev_hash``."""

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_action_created_at", "action", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    details: Mapped[str] = mapped_column(Text, default="{}")
    ip: Mapped[str | None] = mapped_column(String(45))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class AuditHead(Model):
    """The single row holding the chain's tip; updating it serialises appends."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_seq: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


APPEND_ONLY_DDL = {
    "postgresql": (
        "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION USING ERRCODE = 'insufficient_privilege', "
        "MESSAGE = 'audit_events is append-only: ' || TG_OP || ' refused'; END $$",
        "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON audit_events FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
    ),
    "sqlite": tuple(
        f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
        f"BEGIN SELECT RAISE(ABORT, 'audit_events is append-only: {verb} refused'); END"
        for verb in ("UPDATE", "DELETE")
    ),
}

for _dialect, _statements in APPEND_ONLY_DDL.items():
    for _statement in _statements:
        event.listen(AuditEvent.__table__, "after_create",
                     DDL(_statement).execute_if(dialect=_dialect))
event.listen(AuditEvent.__table__, "after_drop",
             DDL("DROP FUNCTION IF EXISTS audit_events_append_only()")
             .execute_if(dialect="postgresql"))
