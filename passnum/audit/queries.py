"""Reading the audit log: search with filters, newest first, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import User
from passnum.core.clock import paris_day_bounds
from passnum.extensions import db

PAGE_SIZE = 50


@dataclass(frozen=True)
class EventFilter:
    """What an administrator searches for; empty fields do not filter."""

    action: str = ""
    actor_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class EventPage:
    """One page of matching events (with their actors' e-mails) and the total."""

    rows: list[tuple[AuditEvent, str | None]]
    total: int
    page: int

    @property
    def pages(self) -> int:
        """Number of pages (at least one)."""
        return max(1, -(-self.total // PAGE_SIZE))


def _conditions(search: EventFilter) -> list[Any]:
    """The SQL conditions of ``search``."""
    where: list[Any] = []
    if search.action:  # "auth." finds every authentication event
        where.append(AuditEvent.action.startswith(search.action, autoescape=True))
    if search.actor_id is not None:
        where.append(AuditEvent.actor_id == search.actor_id)
    if search.object_type:
        where.append(AuditEvent.object_type == search.object_type)
    if search.object_id:
        where.append(AuditEvent.object_id == search.object_id)
    if search.start is not None:
        where.append(AuditEvent.created_at >= paris_day_bounds(search.start)[0])
    if search.end is not None:
        where.append(AuditEvent.created_at < paris_day_bounds(search.end)[1])
    return where


def search_events(search: EventFilter, page: int = 1) -> EventPage:
    """The events matching ``search``, newest first, page ``page`` (from 1)."""
    where = _conditions(search)
    total = db.session.scalar(select(func.count()).select_from(AuditEvent).where(*where)) or 0
    page = min(max(page, 1), max(1, -(-total // PAGE_SIZE)))
    rows = db.session.execute(
        select(AuditEvent, User.email).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(*where).order_by(AuditEvent.seq.desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)).all()
    return EventPage([(event, email) for event, email in rows], total, page)


def known_actions() -> list[str]:
    """Every action recorded so far, for the filter's suggestions."""
    return list(db.session.scalars(select(AuditEvent.action).distinct()
                                   .order_by(AuditEvent.action)))
