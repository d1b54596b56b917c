"""The dashboard's numbers, computed by SQL aggregates (SQLite and PostgreSQL alike).

Scope: one programme, one département or all of them, optionally a period (dates in
Paris). A booklet belongs to its structure's département; a voucher to its booklet's
département, which pays for it (``RedemptionLine.departement_id``).

Definitions, shared by the page, the exports and ``GET /api/v1/stats``:
- beneficiaries reached: distinct beneficiaries who received a booklet of the programme;
- booklets issued: booklets handed out or in stock, not revoked (revoked counted apart);
- vouchers: of the booklets in scope, redeemed, in circulation, in stock, expired and
  revoked, as ``passnum.dashboard.figures`` defines them (the one home of every figure's
  definition);
- euros redeemed: live (not undone) redemption lines paid by the département;
- the period filter restricts booklets by ``issued_at`` and euros by ``redeemed_at``.

This module and ``line_facts`` (the redemption lines' sums) hold the SQL only:
``programme_stats`` gathers their results into the typed ``stats.DashboardStats``; the
forecast's arithmetic is ``forecast.project`` and every French text is in
``presentation``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    and_,
    bindparam,
    case,
    distinct,
    func,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY

from passnum.auth.models import User
from passnum.auth.scope import may_see_departement_figures, sees_every_departement_figures
from passnum.booklets.models import Booklet, BookletStatus
from passnum.core.clock import PARIS, today
from passnum.dashboard import figures
from passnum.dashboard.forecast import project
from passnum.dashboard.line_facts import Facts, Scope, line_facts, month_end, month_key, to_month
from passnum.dashboard.presentation import NO_WORKSHOP
from passnum.dashboard.stats import (
    BeneficiaryFigures,
    BookletFigures,
    DashboardStats,
    EuroFigures,
    MonthFigures,
    Period,
    ProgrammeInfo,
    StructureFigures,
    ThemeFigures,
    VenueFigures,
    VoucherFigures,
)
from passnum.errors import Forbidden, NotFound
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.programmes.queries import departement_by_code
from passnum.venues.models import Venue, WorkshopTheme


def _sum(condition: ColumnElement[bool]) -> Any:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``, 0 on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_of(condition: ColumnElement[bool], value: Any) -> Any:
    """``SUM(CASE WHEN condition THEN value ELSE 0 END)``, 0 on no rows."""
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def departement_scope(actor: User, code: str | None, *,
                      clamp: bool = False) -> Departement | None:
    """The département whose figures ``actor`` sees when asking for ``code`` (``None``:
    all of them).

    The route policy has decided the role; the scope is ``auth.scope``'s. Without a code,
    or always with ``clamp``, a manager gets their own département and an administrator
    the one asked for, or all of them. Raises ``NotFound`` for an unknown code and
    ``Forbidden`` for a département out of ``actor``'s scope.
    """
    code = (code or "").strip()
    every = sees_every_departement_figures(actor)
    if not code or (clamp and not every):
        departement = None if every else actor.departement
    else:
        departement = departement_by_code(code)
        if departement is None:
            raise NotFound("Département inconnu.", code="not_found")
    if not may_see_departement_figures(actor, departement and departement.id):
        raise Forbidden("Vous ne voyez que les chiffres de votre département.",
                        code="forbidden")
    return departement


def programme_stats(programme_id: int, *, departement_id: int | None = None,
                    start: date | None = None, end: date | None = None,
                    day: date | None = None) -> DashboardStats:
    """Every figure of the dashboard for a programme (and a département, and a period).

    ``day`` (today in Paris by default) decides which vouchers are expired and where
    the forecast starts; the forecast always covers the whole programme. Raises
    ``LookupError`` for an unknown programme.
    """
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise LookupError(programme_id)
    day = day or today()
    scope = Scope(programme_id, departement_id, start, end)
    facts = line_facts(scope)
    monthly = _monthly(programme, scope, facts)
    if start is None and end is None:
        whole = monthly
    else:
        unfiltered = Scope(programme_id, departement_id, None, None)
        whole = _monthly(programme, unfiltered, line_facts(unfiltered))
    paid = [sum(v[i] for v in facts["venue"].values()) for i in (1, 2)]
    beneficiaries, booklets, vouchers = _booklet_figures(programme, scope, day)
    return DashboardStats(
        programme=ProgrammeInfo(programme.id, programme.name, programme.starts_on,
                                programme.ends_on),
        period=Period(start, end),
        day=day,
        beneficiaries=beneficiaries, booklets=booklets, vouchers=vouchers,
        euros=EuroFigures(redeemed_cents=paid[1], vouchers_paid=paid[0],
                          budget_cents=_planned(programme, departement_id, "budget_cents")),
        monthly=monthly,
        structures=_per_structure(scope, facts["structure"]),
        venues=_per_venue(facts["venue"]),
        themes=_per_theme(facts["theme"]),
        forecast=project(whole, starts_on=programme.starts_on, ends_on=programme.ends_on,
                         day=day),
    )


def _planned(programme: Programme, departement_id: int | None, column: str) -> int:
    """The département's target or budget, or the programme's for all départements."""
    if departement_id is None:
        return int(getattr(programme, column))
    value = db.session.scalar(select(getattr(ProgrammeQuota, column)).where(
        ProgrammeQuota.programme_id == programme.id,
        ProgrammeQuota.departement_id == departement_id))
    return int(value or 0)


def _booklet_figures(programme: Programme, scope: Scope, day: date
                     ) -> tuple[BeneficiaryFigures, BookletFigures, VoucherFigures]:
    """Beneficiaries reached vs target, booklets by state vs allocations and quota, and
    their vouchers by state on ``day``, in one pass over the booklets.

    Vouchers come from the booklets' counters; an unused voucher takes its booklet's
    state as ``figures`` defines it (in circulation, in stock, expired or revoked).
    """
    unused = Booklet.vouchers_total - Booklet.vouchers_redeemed
    live = figures.booklet_live()
    row = db.session.execute(select(
        func.count(distinct(Booklet.beneficiary_id)),
        _sum(live),
        _sum(Booklet.status == BookletStatus.HANDED_OUT),
        _sum(Booklet.status == BookletStatus.IN_STOCK),
        _sum(figures.booklet_revoked()),
        func.coalesce(func.sum(Booklet.vouchers_total), 0),
        func.coalesce(func.sum(Booklet.vouchers_redeemed), 0),
        _sum_of(figures.booklet_in_circulation(day), unused),
        _sum_of(figures.booklet_in_stock(day), unused),
        _sum_of(figures.booklet_expired(day), unused),
        _sum_of(figures.booklet_revoked(), unused),
    ).where(scope.booklets())).one()
    allocated = select(func.coalesce(func.sum(Allocation.booklets_allocated), 0)).join(
        Structure, Structure.id == Allocation.structure_id
    ).where(Allocation.programme_id == programme.id)
    quota = select(func.coalesce(func.sum(ProgrammeQuota.booklet_quota), 0)).where(
        ProgrammeQuota.programme_id == programme.id)
    if scope.departement_id is not None:
        allocated = allocated.where(Structure.departement_id == scope.departement_id)
        quota = quota.where(ProgrammeQuota.departement_id == scope.departement_id)
    return (
        BeneficiaryFigures(
            reached=int(row[0]),
            target=_planned(programme, scope.departement_id, "target_beneficiaries")),
        BookletFigures(issued=int(row[1]), handed_out=int(row[2]), in_stock=int(row[3]),
                       revoked=int(row[4]), allocated=int(db.session.scalar(allocated) or 0),
                       quota=int(db.session.scalar(quota) or 0)),
        VoucherFigures(*(int(value) for value in row[5:])),  # in the fields' order
    )


def _monthly(programme: Programme, scope: Scope, facts: Facts) -> tuple[MonthFigures, ...]:
    """Booklets issued (not revoked) and euros redeemed per Paris month."""
    series: dict[str, dict[str, int]] = defaultdict(lambda: {"booklets_issued": 0,
                                                             "redeemed_cents": 0})
    for month, count in _issued_per_month(programme, scope).items():
        series[month]["booklets_issued"] += count
    for month, (_acts, _count, cents) in facts["month"].items():
        series[month]["redeemed_cents"] += cents
    return tuple(MonthFigures(month, series[month]["booklets_issued"],
                              series[month]["redeemed_cents"]) for month in sorted(series))


def _issued_per_month(programme: Programme, scope: Scope) -> dict[str, int]:
    """Live booklets per Paris month of issue.

    On PostgreSQL, ``width_bucket`` over the UTC instants of Paris month starts (a
    binary search per row) costs a third of converting each row's time zone; booklets
    outside the programme's years, if any, are counted the general way.
    """
    live = and_(scope.booklets(), Booklet.status != BookletStatus.REVOKED)
    if db.session.get_bind().dialect.name == "postgresql":
        months = [programme.starts_on.replace(year=programme.starts_on.year - 1, day=1)]
        while months[-1] <= programme.ends_on.replace(year=programme.ends_on.year + 1):
            months.append(month_end(months[-1]) + timedelta(days=1))
        bounds = [datetime.combine(m, time.min, PARIS).astimezone(UTC) for m in months]
        bucket = func.width_bucket(Booklet.issued_at, bindparam(
            "bounds", bounds, type_=ARRAY(DateTime(timezone=True))))
        counts: dict[int, int] = dict(db.session.execute(
            select(bucket, func.count()).where(live).group_by(bucket)).all())
        if not set(counts) - set(range(1, len(months))):
            return {months[i - 1].strftime("%Y-%m"): int(n) for i, n in counts.items()}
    key, is_month = month_key(Booklet.issued_at)
    result: dict[str, int] = defaultdict(int)
    for bucket, count in db.session.execute(select(key, func.count()).where(live)
                                            .group_by(key)):
        result[to_month(bucket, is_month)] += int(count)
    return dict(result)


def _per_structure(scope: Scope, paid: dict[Any, tuple[int, int, int]]
                   ) -> tuple[StructureFigures, ...]:
    """Per structure of the département: allocation, booklets, beneficiaries, euros."""
    structures = select(Structure.id, Structure.name, Departement.code,
                        func.coalesce(Allocation.booklets_allocated, 0)).join(
        Departement, Departement.id == Structure.departement_id
    ).outerjoin(Allocation, and_(Allocation.structure_id == Structure.id,
                                 Allocation.programme_id == scope.programme_id))
    if scope.departement_id is not None:
        structures = structures.where(Structure.departement_id == scope.departement_id)
    booklets = {row[0]: row[1:] for row in db.session.execute(
        select(Booklet.structure_id, _sum(Booklet.status != BookletStatus.REVOKED),
               _sum(Booklet.status == BookletStatus.REVOKED),
               func.count(distinct(Booklet.beneficiary_id)))
        .where(scope.booklets()).group_by(Booklet.structure_id))}
    result = []
    for structure_id, name, code, allocated in db.session.execute(
            structures.order_by(Departement.code, Structure.name)):
        issued, revoked, reached = booklets.get(structure_id, (0, 0, 0))
        _acts, vouchers, cents = paid.get(structure_id, (0, 0, 0))
        if not (allocated or issued or revoked or vouchers):
            continue
        result.append(StructureFigures(
            id=structure_id, name=name, departement=code, booklets_allocated=int(allocated),
            booklets_issued=int(issued), booklets_revoked=int(revoked),
            beneficiaries=int(reached), vouchers_redeemed=int(vouchers),
            redeemed_cents=int(cents)))
    return tuple(result)


def _per_venue(paid: dict[Any, tuple[int, int, int]]) -> tuple[VenueFigures, ...]:
    """Per redeeming venue: redemptions, vouchers and euros paid by the département."""
    venues = db.session.execute(
        select(Venue.id, Venue.name, Departement.code)
        .join(Departement, Departement.id == Venue.departement_id)
        .where(Venue.id.in_(list(paid))))
    result = [VenueFigures(venue_id, name, code, *paid[venue_id])
              for venue_id, name, code in venues]
    return tuple(sorted(result, key=lambda row: (-row.redeemed_cents, row.name, row.id)))


def _per_theme(paid: dict[Any, tuple[int, int, int]]) -> tuple[ThemeFigures, ...]:
    """Per workshop theme (``Sans atelier`` for redemptions outside workshops)."""
    names: dict[int | None, str] = dict(db.session.execute(
        select(WorkshopTheme.id, WorkshopTheme.name)
        .where(WorkshopTheme.id.in_([key for key in paid if key is not None]))).all())
    names[None] = NO_WORKSHOP
    result = [ThemeFigures(theme_id, names[theme_id], acts, count, cents)
              for theme_id, (acts, count, cents) in paid.items()]
    return tuple(sorted(result, key=lambda row: (-row.redeemed_cents, row.name)))
