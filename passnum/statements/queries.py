"""Reads on reimbursement statements: periods, scope, lines, lists and candidates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true
from sqlalchemy.orm import selectinload

from passnum.auth.models import User
from passnum.auth.scope import can_see_statement, statement_filter
from passnum.booklets.models import Voucher
from passnum.core.clock import DATE_MAX, DATE_MIN, paris_day_bounds
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.statements.models import Statement, StatementAdjustment, StatementStatus
from passnum.venues.models import Venue, Workshop

PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")
STATUS_LABELS = {
    StatementStatus.DRAFT: "Brouillon",
    StatementStatus.VALIDATED: "Validé",
    StatementStatus.PAID: "Payé",
    StatementStatus.ARCHIVED: "Archivé",
}
FROZEN_STATUSES = (StatementStatus.VALIDATED, StatementStatus.PAID, StatementStatus.ARCHIVED)
NO_WORKSHOP = "Sans atelier"
MONTHS_FR = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
             "septembre", "octobre", "novembre", "décembre")


# --- Periods and references -------------------------------------------------------------


def parse_period(raw: str | None) -> date:
    """``YYYY-MM`` → the first day of that month; raise ``InvalidInput`` (``invalid_period``)."""
    match = PERIOD_RE.match((raw or "").strip())
    year, month = (int(match[1]), int(match[2])) if match else (0, 0)
    if not (DATE_MIN.year <= year <= DATE_MAX.year and 1 <= month <= 12):
        raise InvalidInput("Période invalide : attendu un mois au format AAAA-MM "
                           "(par exemple 2024-03).", code="invalid_period", field="period")
    return date(year, month, 1)


def next_month(day: date) -> date:
    """The first day of the month after ``day``'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """UTC instants of Paris midnight on ``start`` and on ``end`` (exclusive)."""
    return paris_day_bounds(start)[0], paris_day_bounds(end)[0]


def period_key(statement: Statement) -> str:
    """``YYYY-MM`` of the statement's month."""
    return statement.period_start.strftime("%Y-%m")


def period_label(start: date) -> str:
    """``mars 2024``."""
    return f"{MONTHS_FR[start.month - 1]} {start.year}"


def reference(statement: Statement) -> str:
    """The statement's printed reference, e.g. ``RL-78-2024-03-000123``."""
    return (f"RL-{statement.departement.code}-{statement.period_start:%Y-%m}-"
            f"{statement.id:06d}")


def amount_due(statement: Statement) -> int:
    """What the paying département owes: vouchers plus adjustments (may be negative)."""
    return statement.total_cents + statement.adjustment_cents


# --- Scope ---------------------------------------------------------------------------------


def get_statement(actor: User, statement_id: int) -> Statement:
    """A statement in ``actor``'s scope; ``NotFound`` otherwise (existence not disclosed)."""
    statement = db.session.get(Statement, statement_id)
    if statement is None or not can_see_statement(actor, statement):
        raise NotFound("Relevé introuvable.", code="not_found")
    return statement


# --- Lists -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilter:
    """What the statements list shows."""

    period_start: date | None = None
    departement_id: int | None = None
    status: str | None = None
    venue_id: int | None = None


def list_statements(actor: User, filters: ListFilter, *, limit: int | None = 500
                    ) -> list[Statement]:
    """Statements in scope, newest period first, venue and département loaded."""
    query = (select(Statement).options(selectinload(Statement.venue),
                                       selectinload(Statement.departement))
             .join(Venue, Venue.id == Statement.venue_id)
             .where(statement_filter(actor, Statement.venue_id, Statement.departement_id))
             .order_by(Statement.period_start.desc(), Venue.name, Statement.id))
    query = _filtered(query, filters)
    if limit:
        query = query.limit(limit)
    return list(db.session.scalars(query))


def _filtered(query: Select, filters: ListFilter) -> Select:
    if filters.period_start:
        query = query.where(Statement.period_start == filters.period_start)
    if filters.departement_id:
        query = query.where(Statement.departement_id == filters.departement_id)
    if filters.status:
        query = query.where(Statement.status == filters.status)
    if filters.venue_id:
        query = query.where(Statement.venue_id == filters.venue_id)
    return query


def finance_statements(actor: User, filters: ListFilter) -> list[Statement]:
    """Validated, paid and archived statements in scope, for the finance export."""
    query = (select(Statement).options(selectinload(Statement.venue),
                                       selectinload(Statement.departement))
             .join(Venue, Venue.id == Statement.venue_id)
             .where(statement_filter(actor, Statement.venue_id, Statement.departement_id),
                    Statement.status.in_(FROZEN_STATUSES))
             .order_by(Statement.period_start, Venue.name, Statement.id))
    return list(db.session.scalars(_filtered(query, filters)))


# --- Lines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class LineRow:
    """One voucher on a statement, as printed."""

    redeemed_at: datetime
    workshop: str
    serial: str
    value_cents: int


def statement_lines(statement_id: int, *, limit: int | None = None) -> Iterator[LineRow]:
    """The statement's vouchers in redemption order, streamed in batches."""
    query = (select(Redemption.redeemed_at, Workshop.title, Voucher.serial,
                    RedemptionLine.value_cents)
             .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
             .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
             .outerjoin(Workshop, Workshop.id == Redemption.workshop_id)
             .where(RedemptionLine.statement_id == statement_id,
                    RedemptionLine.undone_at.is_(None))
             .order_by(Redemption.redeemed_at, RedemptionLine.id))
    if limit:
        query = query.limit(limit)
    for row in db.session.execute(query.execution_options(yield_per=500)):
        yield LineRow(row.redeemed_at, row.title or NO_WORKSHOP, row.serial, row.value_cents)


def adjustments_of(statement_id: int) -> list[StatementAdjustment]:
    """Adjustments a statement took, corrected statements loaded."""
    return list(db.session.scalars(
        select(StatementAdjustment)
        .options(selectinload(StatementAdjustment.corrects).selectinload(Statement.departement))
        .where(StatementAdjustment.statement_id == statement_id)
        .order_by(StatementAdjustment.id)))


def pending_adjustments(venue_id: int, departement_id: int) -> list[StatementAdjustment]:
    """Adjustments of a venue and paying département still waiting for a statement."""
    return list(db.session.scalars(
        select(StatementAdjustment)
        .options(selectinload(StatementAdjustment.corrects).selectinload(Statement.departement))
        .where(StatementAdjustment.venue_id == venue_id,
               StatementAdjustment.departement_id == departement_id,
               StatementAdjustment.statement_id.is_(None))
        .order_by(StatementAdjustment.id)))


# --- Candidates for a statement -----------------------------------------------------------


def find_statement(venue_id: int, departement_id: int, period_start: date, *,
                   lock: bool = False) -> Statement | None:
    """The statement of that venue, paying département and month; locked if asked."""
    query = select(Statement).where(Statement.venue_id == venue_id,
                                    Statement.departement_id == departement_id,
                                    Statement.period_start == period_start)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def candidate_condition(venue_id: int, departement_id: int, period_start: date,
                        period_end: date) -> ColumnElement[bool]:
    """Live unattached lines a statement of that period takes (on ``RedemptionLine``
    joined to ``Redemption``).

    Every line redeemed before the period's end, so that a straggler of an already
    validated month lands in the next statement; but a line of a month whose own draft
    is still open stays for that draft.
    """
    other_drafts = db.session.execute(
        select(Statement.period_start, Statement.period_end)
        .where(Statement.venue_id == venue_id, Statement.departement_id == departement_id,
               Statement.status == StatementStatus.DRAFT,
               Statement.period_start != period_start)).all()
    kept = [and_(Redemption.redeemed_at >= lo, Redemption.redeemed_at < hi)
            for lo, hi in (period_bounds(s, e) for s, e in other_drafts)]
    return and_(Redemption.venue_id == venue_id,
                RedemptionLine.departement_id == departement_id,
                RedemptionLine.statement_id.is_(None),
                RedemptionLine.undone_at.is_(None),
                Redemption.redeemed_at < period_bounds(period_start, period_end)[1],
                ~or_(*kept) if kept else true())


def has_candidates(venue_id: int, departement_id: int, period_start: date,
                   period_end: date) -> bool:
    """True when a statement of that period would hold a line or an adjustment."""
    line = db.session.scalar(
        select(RedemptionLine.id)
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .where(candidate_condition(venue_id, departement_id, period_start, period_end))
        .limit(1))
    return line is not None or bool(pending_adjustments(venue_id, departement_id))


def generation_pairs(period_start: date, period_end: date) -> list[tuple[int, int]]:
    """``(venue_id, departement_id)`` pairs that may need a statement for that month.

    Pairs with unattached live lines redeemed before the period's end, with pending
    adjustments, or with a statement of that month (a draft to bring up to date, a
    validated one to report as such).
    """
    end = period_bounds(period_start, period_end)[1]
    lines = (select(Redemption.venue_id, RedemptionLine.departement_id)
             .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
             .where(RedemptionLine.statement_id.is_(None), RedemptionLine.undone_at.is_(None),
                    Redemption.redeemed_at < end))
    adjustments = select(StatementAdjustment.venue_id, StatementAdjustment.departement_id) \
        .where(StatementAdjustment.statement_id.is_(None))
    existing = select(Statement.venue_id, Statement.departement_id).where(
        Statement.period_start == period_start)
    union = lines.union(adjustments, existing).subquery()
    rows = db.session.execute(select(union.c[0], union.c[1]).order_by(union.c[0], union.c[1]))
    return [(row[0], row[1]) for row in rows]


def line_totals(statement_id: int) -> tuple[int, int]:
    """``(voucher_count, total_cents)`` of the live lines attached to a statement."""
    row = db.session.execute(
        select(func.count(RedemptionLine.id),
               func.coalesce(func.sum(RedemptionLine.value_cents), 0))
        .where(RedemptionLine.statement_id == statement_id,
               RedemptionLine.undone_at.is_(None))).one()
    return int(row[0]), int(row[1])


def adjustment_total(statement_id: int) -> int:
    """Sum of the adjustments a statement took."""
    return int(db.session.scalar(
        select(func.coalesce(func.sum(StatementAdjustment.amount_cents), 0))
        .where(StatementAdjustment.statement_id == statement_id)) or 0)
