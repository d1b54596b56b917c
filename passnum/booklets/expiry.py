"""Reads on expiry: booklets expiring soon and the programme's closing report."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, case, func, select

from passnum.auth.models import User
from passnum.auth.scope import (
    departement_filter,
    ensure_sees_expiry,
    require,
    scope_filter,
    steers,
)
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.core.clock import today
from passnum.dashboard import figures
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.programmes.models import Departement, Programme, ProgrammeQuota, Structure

EXPIRY_WINDOW_DAYS = 30


@dataclass(frozen=True)
class ExpiringBooklet:
    """One handed-out booklet expiring soon, with what is left to use on it."""

    booklet_id: int
    number: str
    expires_on: date
    structure_name: str
    beneficiary_name: str
    unused_count: int
    unused_cents: int


def expiring_booklets(
    actor: User, *, within_days: int = EXPIRY_WINDOW_DAYS, on: date | None = None
) -> list[ExpiringBooklet]:
    """Handed-out, live booklets expiring between ``on`` and ``on + within_days`` (Paris).

    Only booklets with at least one unused voucher are listed, by expiry date; one
    grouped query. Issuers see their structure, managers their département, admins
    all. Raises ``Forbidden`` for venue agents.
    """
    ensure_sees_expiry(actor)
    day = on or today()
    rows = db.session.execute(
        select(Booklet.id, Booklet.number, Booklet.expires_on, Structure.name,
               Beneficiary.last_name, Beneficiary.first_name,
               func.count(Voucher.id), func.sum(Voucher.value_cents))
        .join(Voucher, Voucher.booklet_id == Booklet.id)
        .join(Structure, Structure.id == Booklet.structure_id)
        .join(Beneficiary, Beneficiary.id == Booklet.beneficiary_id)
        .where(Booklet.status == BookletStatus.HANDED_OUT,
               Voucher.status == VoucherStatus.ISSUED,
               Booklet.expires_on >= day,
               Booklet.expires_on <= day + timedelta(days=within_days),
               scope_filter(actor, Booklet.structure_id, Booklet.departement_id))
        .group_by(Booklet.id, Booklet.number, Booklet.expires_on, Structure.name,
                  Beneficiary.last_name, Beneficiary.first_name)
        .order_by(Booklet.expires_on, Booklet.number)
    ).all()
    return [ExpiringBooklet(r[0], r[1], r[2], r[3], f"{r[4].upper()} {r[5]}", r[6], r[7])
            for r in rows]


@dataclass(frozen=True)
class ClosingRow:
    """A département's voucher figures for the closing report (counts, values in cents)."""

    code: str
    name: str
    issued: int
    issued_cents: int
    redeemed: int
    redeemed_cents: int
    revoked: int
    revoked_cents: int
    expired: int
    expired_cents: int
    in_circulation: int
    in_circulation_cents: int
    in_stock: int
    in_stock_cents: int


CLOSING_COLUMNS: tuple[tuple[str, str], ...] = (
    ("issued", "Chèques émis"),
    ("redeemed", figures.figure("vouchers.redeemed").label),
    ("revoked", figures.figure("vouchers.revoked").label),
    ("expired", figures.figure("vouchers.expired").label),
    ("in_circulation", figures.figure("vouchers.in_circulation").label),
    ("in_stock", figures.figure("vouchers.in_stock").label),
)
"""The closing report's figures (a count and a value each) and their labels, the
dashboard's for the same figures."""

CLOSING_FIGURES = tuple(figures.figure(f"vouchers.{name}") for name, _label in
                        CLOSING_COLUMNS[1:])
"""The dashboard's figures the closing report shows, for its glossary."""


@dataclass(frozen=True)
class ClosingReport:
    """The closing report of a programme at a date, per département, with totals."""

    programme: Programme
    on: date
    rows: list[ClosingRow]
    total: ClosingRow


def _count_and_value(condition: ColumnElement[bool]) -> tuple[ColumnElement[int], ...]:
    """``SUM(CASE …)`` expressions counting the vouchers matching ``condition`` and their value."""
    return (func.coalesce(func.sum(case((condition, 1), else_=0)), 0),
            func.coalesce(func.sum(case((condition, Voucher.value_cents), else_=0)), 0))


def closing_report(actor: User, programme_id: int, *, on: date | None = None) -> ClosingReport:
    """Vouchers of the programme per département at ``on`` (today by default).

    An unused voucher is expired, in circulation or in stock as
    ``passnum.dashboard.figures`` defines it (the dashboard's definitions): expired
    value returns to the grant. Managers see their département, admins
    all. Raises ``Forbidden`` for other roles and ``NotFound`` for an unknown programme.
    """
    require(steers(actor))
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise NotFound("Programme introuvable.")
    day = on or today()
    unused = Voucher.status == VoucherStatus.ISSUED
    result = db.session.execute(
        select(Departement.code, Departement.name,
               *_count_and_value(Voucher.id.is_not(None)),
               *_count_and_value(Voucher.status == VoucherStatus.REDEEMED),
               *_count_and_value(Voucher.status == VoucherStatus.REVOKED),
               *_count_and_value(and_(unused, figures.booklet_expired(day))),
               *_count_and_value(and_(unused, figures.booklet_in_circulation(day))),
               *_count_and_value(and_(unused, figures.booklet_in_stock(day))))
        .select_from(ProgrammeQuota)
        .join(Departement, Departement.id == ProgrammeQuota.departement_id)
        .outerjoin(Booklet, and_(Booklet.programme_id == ProgrammeQuota.programme_id,
                                 Booklet.departement_id == ProgrammeQuota.departement_id))
        .outerjoin(Voucher, Voucher.booklet_id == Booklet.id)
        .where(ProgrammeQuota.programme_id == programme.id,
               departement_filter(actor, ProgrammeQuota.departement_id))
        .group_by(Departement.code, Departement.name)
        .order_by(Departement.code)
    ).all()
    rows = [ClosingRow(r[0], r[1], *(int(v) for v in r[2:])) for r in result]
    numbers = [f.name for f in fields(ClosingRow)][2:]
    total = ClosingRow("", "Total", *(sum(getattr(r, n) for r in rows) for n in numbers))
    return ClosingReport(programme, day, rows, total)


def programmes_for_closing(actor: User) -> list[Programme]:
    """Programmes whose closing report ``actor`` may open, latest first (none for others)."""
    if not steers(actor):
        return []
    return list(db.session.scalars(select(Programme).order_by(Programme.starts_on.desc())))
