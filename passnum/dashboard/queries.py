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
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Select,
    String,
    and_,
    bindparam,
    case,
    cast,
    distinct,
    func,
    literal,
    select,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY

from passnum.auth.models import Role, User
from passnum.booklets.models import Booklet, BookletStatus, Voucher
from passnum.core.clock import PARIS, paris_day_bounds, today
from passnum.core.formatting import date_fr, euros
from passnum.dashboard import figures
from passnum.errors import Forbidden, NotFound
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.redemptions.models import (
    NO_THEME,
    Redemption,
    RedemptionLine,
    StructureMonthTally,
    VenueMonthTally,
)
from passnum.venues.models import Venue, Workshop, WorkshopTheme

NO_WORKSHOP = "Sans atelier"
DAYS_PER_MONTH = 365.25 / 12
PACE_MONTHS = 3


def _sum(condition: ColumnElement[bool]) -> Any:
    """``SUM(CASE WHEN condition THEN 1 ELSE 0 END)``, 0 on no rows."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _sum_of(condition: ColumnElement[bool], value: Any) -> Any:
    """``SUM(CASE WHEN condition THEN value ELSE 0 END)``, 0 on no rows."""
    return func.coalesce(func.sum(case((condition, value), else_=0)), 0)


def _window(column: Any, start: date | None, end: date | None) -> ColumnElement[bool]:
    """``column`` (UTC instant) within Paris days ``start``..``end`` inclusive."""
    condition: ColumnElement[bool] = true()
    if start is not None:
        condition = and_(condition, column >= paris_day_bounds(start)[0])
    if end is not None:
        condition = and_(condition, column < paris_day_bounds(end)[1])
    return condition


class _Scope:
    """The SQL conditions of one request: programme, département, period."""

    def __init__(self, programme_id: int, departement_id: int | None,
                 start: date | None, end: date | None) -> None:
        """Keep the filters; ``None`` means no restriction."""
        self.programme_id, self.departement_id = programme_id, departement_id
        self.start, self.end = start, end

    def booklets(self) -> ColumnElement[bool]:
        """Booklets of the programme, the département and the period."""
        condition = and_(Booklet.programme_id == self.programme_id,
                         _window(Booklet.issued_at, self.start, self.end))
        if self.departement_id is not None:
            condition = and_(condition, Booklet.departement_id == self.departement_id)
        return condition

    def lines(self, query: Select) -> Select:
        """Join live redemption lines of the programme paid by the département."""
        query = (query.select_from(RedemptionLine)
                 .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
                 .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
                 .join(Booklet, Booklet.id == Voucher.booklet_id)
                 .where(RedemptionLine.undone_at.is_(None),
                        Booklet.programme_id == self.programme_id,
                        _window(Redemption.redeemed_at, self.start, self.end)))
        if self.departement_id is not None:
            query = query.where(RedemptionLine.departement_id == self.departement_id)
        return query


def departement_scope(actor: User, code: str | None, *,
                      clamp: bool = False) -> Departement | None:
    """The département whose figures ``actor`` sees when asking for ``code``.

    Managers see their own département only: asking for another one raises
    ``Forbidden``, or gives their own with ``clamp``. Administrators see the one asked
    for, or all of them (``None``) when ``code`` is empty. Raises ``NotFound`` for an
    unknown code and ``Forbidden`` for other roles.
    """
    if actor.role not in (Role.ADMIN, Role.MANAGER):
        raise Forbidden("Réservé aux gestionnaires et aux administrateurs.", code="forbidden")
    code = (code or "").strip()
    if actor.role == Role.MANAGER and (not code or clamp):
        return actor.departement
    if not code:
        return None
    departement = db.session.scalar(select(Departement).where(Departement.code == code[:3]))
    if departement is None or len(code) > 3:
        raise NotFound("Département inconnu.", code="not_found")
    if actor.role == Role.MANAGER and departement.id != actor.departement_id:
        raise Forbidden("Vous ne voyez que les chiffres de votre département.",
                        code="forbidden")
    return departement


def programme_stats(programme_id: int, *, departement_id: int | None = None,
                    start: date | None = None, end: date | None = None,
                    day: date | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for a programme (and a département, and a period).

    ``day`` (today in Paris by default) decides which vouchers are expired and where
    the forecast starts. Raises ``LookupError`` for an unknown programme.
    """
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise LookupError(programme_id)
    day = day or today()
    scope = _Scope(programme_id, departement_id, start, end)
    facts = _line_facts(scope)
    monthly = _monthly(programme, scope, facts)
    paid = [sum(v[i] for v in facts["venue"].values()) for i in (1, 2)]
    whole = monthly if start is None and end is None else None
    return {
        "programme": {"id": programme.id, "name": programme.name,
                      "starts_on": programme.starts_on.isoformat(),
                      "ends_on": programme.ends_on.isoformat()},
        "period": {"start": start and start.isoformat(), "end": end and end.isoformat()},
        "day": day.isoformat(),
        **_booklet_figures(programme, scope, day),
        "euros": {"redeemed_cents": paid[1], "vouchers_paid": paid[0],
                  "budget_cents": _planned(programme, departement_id, "budget_cents")},
        "monthly": monthly,
        "structures": _per_structure(scope, facts["structure"]),
        "venues": _per_venue(facts["venue"]),
        "themes": _per_theme(facts["theme"]),
        "forecast": forecast(programme, departement_id, day, monthly=whole),
    }


def _planned(programme: Programme, departement_id: int | None, column: str) -> int:
    """The département's target or budget, or the programme's for all départements."""
    if departement_id is None:
        return int(getattr(programme, column))
    value = db.session.scalar(select(getattr(ProgrammeQuota, column)).where(
        ProgrammeQuota.programme_id == programme.id,
        ProgrammeQuota.departement_id == departement_id))
    return int(value or 0)


def _booklet_figures(programme: Programme, scope: _Scope, day: date) -> dict[str, Any]:
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
    keys = ("total", "redeemed", "in_circulation", "in_stock", "expired", "revoked")
    return {
        "beneficiaries": {
            "reached": int(row[0]),
            "target": _planned(programme, scope.departement_id, "target_beneficiaries"),
        },
        "booklets": {"issued": int(row[1]), "handed_out": int(row[2]), "in_stock": int(row[3]),
                     "revoked": int(row[4]), "allocated": int(db.session.scalar(allocated)),
                     "quota": int(db.session.scalar(quota))},
        "vouchers": {key: int(value) for key, value in zip(keys, row[5:], strict=True)},
    }


Facts = dict[str, dict[Any, tuple[int, int, int]]]


def _line_facts(scope: _Scope) -> Facts:
    """(redemptions, vouchers, cents) per venue, theme, structure and Paris month.

    Whole months of the period come from the monthly tallies (``redemptions.tallies``);
    the days of a period that starts or ends inside a month come from the lines.
    """
    first, last = _whole_months(scope.start, scope.end)
    facts = _tallied_facts(scope, first, last)
    for start, end in _partial_windows(scope.start, scope.end, first, last):
        edge = _raw_line_facts(_Scope(scope.programme_id, scope.departement_id, start, end))
        for kind, values in edge.items():
            for key, (acts, count, cents) in values.items():
                old = facts[kind].get(key, (0, 0, 0))
                facts[kind][key] = (old[0] + acts, old[1] + count, old[2] + cents)
    return facts


def _month_end(month: date) -> date:
    """Last day of ``month``'s month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """First and last month (first days) that the period covers entirely; ``None`` for
    no bound. The first may come after the last: no whole month."""
    first = last = None
    if start is not None:
        first = start if start.day == 1 else _month_end(start) + timedelta(days=1)
    if end is not None:
        last = end.replace(day=1) if end == _month_end(end) else (
            end.replace(day=1) - timedelta(days=1)).replace(day=1)
    return first, last


def _partial_windows(start: date | None, end: date | None, first: date | None,
                     last: date | None) -> list[tuple[date, date]]:
    """The day ranges of the period outside its whole months (at most two)."""
    if first is not None and last is not None and first > last:  # within one month
        return [(start, end)] if start is not None and end is not None else []
    windows = []
    if start is not None and first is not None and start < first:
        windows.append((start, first - timedelta(days=1)))
    if end is not None and last is not None and end > _month_end(last):
        windows.append((_month_end(last) + timedelta(days=1), end))
    return windows


def _tallied_facts(scope: _Scope, first: date | None, last: date | None) -> Facts:
    """``_line_facts`` of the months ``first``..``last`` from the monthly tallies."""
    result: Facts = {"venue": {}, "theme": {}, "structure": {}, "month": {}}
    if first is not None and last is not None and first > last:
        return result
    venues, structures = VenueMonthTally, StructureMonthTally
    where = [venues.programme_id == scope.programme_id]
    where_s = [structures.programme_id == scope.programme_id]
    if scope.departement_id is not None:
        where.append(venues.departement_id == scope.departement_id)
        where_s.append(structures.departement_id == scope.departement_id)
    if first is not None:
        where.append(venues.month >= first)
        where_s.append(structures.month >= first)
    if last is not None:
        where.append(venues.month <= last)
        where_s.append(structures.month <= last)

    def grouped(kind: str, column: Any) -> Select:
        return select(literal(kind, String), cast(column, String), func.sum(venues.redemptions),
                      func.sum(venues.vouchers), func.sum(venues.cents)
                      ).where(*where).group_by(column)

    rows = db.session.execute(union_all(
        grouped("venue", venues.venue_id), grouped("theme", venues.theme_key),
        grouped("month", venues.month),
        select(literal("structure", String), cast(structures.structure_id, String), literal(0),
               func.sum(structures.vouchers), func.sum(structures.cents)
               ).where(*where_s).group_by(structures.structure_id)))
    for kind, key, acts, count, cents in rows:
        value = (int(acts), int(count), int(cents))
        if kind == "month":
            result["month"][str(key)[:7]] = value
        elif kind == "theme":
            result["theme"][None if int(key) == NO_THEME else int(key)] = value
        else:
            result[kind][int(key)] = value
    return result


def _raw_line_facts(scope: _Scope) -> Facts:
    """``_line_facts`` computed from the lines themselves: used for the days of a
    period that do not cover whole months (an index on ``redeemed_at`` keeps it small).

    One statement: the live lines in scope are joined once (a CTE) and aggregated four
    ways with UNION ALL.
    """
    bucket, is_month = _month_key(Redemption.redeemed_at)
    facts = scope.lines(select(
        RedemptionLine.value_cents.label("cents"), Redemption.id.label("redemption_id"),
        Redemption.venue_id.label("venue_id"), Workshop.theme_id.label("theme_id"),
        Booklet.structure_id.label("structure_id"), bucket.label("bucket"),
    )).outerjoin(Workshop, Workshop.id == Redemption.workshop_id).cte("facts")

    # redemptions counted per venue and theme from one row per redemption (no DISTINCT:
    # hash aggregates instead of sorts)
    acts = select(facts.c.venue_id, facts.c.theme_id, func.count().label("n"),
                  func.sum(facts.c.cents).label("cents")).group_by(
        facts.c.redemption_id, facts.c.venue_id, facts.c.theme_id).cte("acts")

    def grouped(kind: str, column: Any, source: Any = None) -> Select:
        """One aggregation, tagged with ``kind``: (redemptions, vouchers, cents)."""
        if source is None:  # line level: the redemption count is not needed
            return select(literal(kind, String).label("kind"),
                          cast(column, String).label("key"), literal(0), func.count(),
                          func.sum(facts.c.cents)).group_by(column)
        return select(literal(kind, String).label("kind"), cast(column, String).label("key"),
                      func.count(), func.sum(source.c.n), func.sum(source.c.cents)
                      ).group_by(column)

    result: Facts = {"venue": {}, "theme": {}, "structure": {}, "month": {}}
    rows = db.session.execute(union_all(
        grouped("venue", acts.c.venue_id, acts), grouped("theme", acts.c.theme_id, acts),
        grouped("structure", facts.c.structure_id), grouped("month", facts.c.bucket)))
    for kind, key, acts, count, cents in rows:
        if kind == "month":
            month = _to_month(key, is_month)
            old = result["month"].get(month, (0, 0, 0))
            result["month"][month] = (old[0] + int(acts), old[1] + int(count),
                                      old[2] + int(cents))
        else:
            result[kind][None if key is None else int(key)] = (int(acts), int(count),
                                                               int(cents))
    return result


def _month_key(column: Any) -> tuple[Any, bool]:
    """A SQL expression bucketing a UTC instant: the Paris month on PostgreSQL, the UTC
    hour on SQLite (no time zones there; Paris offsets are whole hours, so an hour
    bucket falls in exactly one Paris month). Second item: True when already a month."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Europe/Paris", column), "YYYY-MM"), True
    return func.strftime("%Y-%m-%d %H", column), False


def _to_month(key: str, is_month: bool) -> str:
    """``YYYY-MM`` in Paris for a bucket of ``_month_key``."""
    if is_month:
        return key
    hour = datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return hour.astimezone(PARIS).strftime("%Y-%m")


def _monthly(programme: Programme, scope: _Scope, facts: Facts) -> list[dict[str, Any]]:
    """Booklets issued (not revoked) and euros redeemed per Paris month."""
    series: dict[str, dict[str, int]] = defaultdict(lambda: {"booklets_issued": 0,
                                                             "redeemed_cents": 0})
    for month, count in _issued_per_month(programme, scope).items():
        series[month]["booklets_issued"] += count
    for month, (_acts, _count, cents) in facts["month"].items():
        series[month]["redeemed_cents"] += cents
    return [{"month": month, **series[month]} for month in sorted(series)]


def _issued_per_month(programme: Programme, scope: _Scope) -> dict[str, int]:
    """Live booklets per Paris month of issue.

    On PostgreSQL, ``width_bucket`` over the UTC instants of Paris month starts (a
    binary search per row) costs a third of converting each row's time zone; booklets
    outside the programme's years, if any, are counted the general way.
    """
    live = and_(scope.booklets(), Booklet.status != BookletStatus.REVOKED)
    if db.session.get_bind().dialect.name == "postgresql":
        months = [programme.starts_on.replace(year=programme.starts_on.year - 1, day=1)]
        while months[-1] <= programme.ends_on.replace(year=programme.ends_on.year + 1):
            months.append(_month_end(months[-1]) + timedelta(days=1))
        bounds = [datetime.combine(m, time.min, PARIS).astimezone(UTC) for m in months]
        bucket = func.width_bucket(Booklet.issued_at, bindparam(
            "bounds", bounds, type_=ARRAY(DateTime(timezone=True))))
        counts = dict(db.session.execute(
            select(bucket, func.count()).where(live).group_by(bucket)).all())
        if not set(counts) - set(range(1, len(months))):
            return {months[i - 1].strftime("%Y-%m"): int(n) for i, n in counts.items()}
    key, is_month = _month_key(Booklet.issued_at)
    result: dict[str, int] = defaultdict(int)
    for month_key, count in db.session.execute(select(key, func.count()).where(live)
                                               .group_by(key)):
        result[_to_month(month_key, is_month)] += int(count)
    return dict(result)


def _per_structure(scope: _Scope, paid: dict[Any, tuple[int, int, int]]
                   ) -> list[dict[str, Any]]:
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
        result.append({"id": structure_id, "name": name, "departement": code,
                       "booklets_allocated": int(allocated), "booklets_issued": int(issued),
                       "booklets_revoked": int(revoked), "beneficiaries": int(reached),
                       "vouchers_redeemed": int(vouchers), "redeemed_cents": int(cents)})
    return result


def _per_venue(paid: dict[Any, tuple[int, int, int]]) -> list[dict[str, Any]]:
    """Per redeeming venue: redemptions, vouchers and euros paid by the département."""
    venues = db.session.execute(
        select(Venue.id, Venue.name, Departement.code)
        .join(Departement, Departement.id == Venue.departement_id)
        .where(Venue.id.in_(list(paid))))
    result = [{"id": venue_id, "name": name, "departement": code,
               "redemptions": paid[venue_id][0], "vouchers": paid[venue_id][1],
               "redeemed_cents": paid[venue_id][2]} for venue_id, name, code in venues]
    return sorted(result, key=lambda row: (-row["redeemed_cents"], row["name"], row["id"]))


def _per_theme(paid: dict[Any, tuple[int, int, int]]) -> list[dict[str, Any]]:
    """Per workshop theme (``Sans atelier`` for redemptions outside workshops)."""
    names: dict[int | None, str] = dict(db.session.execute(
        select(WorkshopTheme.id, WorkshopTheme.name)
        .where(WorkshopTheme.id.in_([key for key in paid if key is not None]))).all())
    names[None] = NO_WORKSHOP
    result = [{"id": theme_id, "name": names[theme_id], "redemptions": acts,
               "vouchers": count, "redeemed_cents": cents}
              for theme_id, (acts, count, cents) in paid.items()]
    return sorted(result, key=lambda row: (-row["redeemed_cents"], row["name"]))


def pace_window(programme: Programme, day: date) -> tuple[date, date, float]:
    """The period whose pace is extended: the last three full months before ``day``'s
    month (from the programme's start if shorter), or since the start when no full month
    has passed. Returns (first day, day after the last, length in months)."""
    month_start = day.replace(day=1)
    first = month_start
    for _ in range(PACE_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    first = max(first, programme.starts_on)
    if first >= month_start:
        first, after = programme.starts_on, day + timedelta(days=1)
        return first, after, round(max((after - first).days, 0) / DAYS_PER_MONTH, 4)
    if first.day == 1:
        months = (month_start.year - first.year) * 12 + month_start.month - first.month
        return first, month_start, float(months)
    return first, month_start, round((month_start - first).days / DAYS_PER_MONTH, 4)


def forecast(programme: Programme, departement_id: int | None, day: date, *,
             monthly: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """End-of-programme position at the current pace (ignores the period filter).

    projected = current + (amount in the window / months of the window) × months left.
    ``monthly`` is the unfiltered monthly series when the caller already has it.
    """
    first, after, observed = pace_window(programme, day)
    if monthly is None:
        whole = _Scope(programme.id, departement_id, None, None)
        monthly = _monthly(programme, whole, _line_facts(whole))
    last = after - timedelta(days=1)
    window = [m for m in monthly
              if first.strftime("%Y-%m") <= m["month"] <= last.strftime("%Y-%m")]
    booklets_now = sum(m["booklets_issued"] for m in monthly)
    cents_now = sum(m["redeemed_cents"] for m in monthly)
    booklets_recent = sum(m["booklets_issued"] for m in window)
    cents_recent = sum(m["redeemed_cents"] for m in window)
    left = round(max((programme.ends_on - day).days, 0) / DAYS_PER_MONTH, 4)
    booklets_pace = booklets_recent / observed if observed else 0.0
    cents_pace = cents_recent / observed if observed else 0.0
    result = {
        "window_start": first.isoformat(), "window_end": (after - timedelta(days=1)).isoformat(),
        "months_observed": observed, "months_remaining": left,
        "booklets_in_window": booklets_recent, "cents_in_window": cents_recent,
        "booklets_current": booklets_now, "cents_current": cents_now,
        "booklets_per_month": round(booklets_pace, 1), "cents_per_month": round(cents_pace),
        "booklets_projected": booklets_now + round(booklets_pace * left),
        "cents_projected": cents_now + round(cents_pace * left),
        "ends_on": programme.ends_on.isoformat(),
    }
    result["method"] = (
        f"Projection au rythme moyen observé du {date_fr(first)} au "
        f"{date_fr(after - timedelta(days=1))} ({_months_fr(observed)})\u00a0: "
        f"{_decimal_fr(booklets_pace)} chéquiers et {euros(round(cents_pace))} encaissés par "
        f"mois, prolongé sur les {_months_fr(left)} restant jusqu'à la fin du programme le "
        f"{date_fr(programme.ends_on)} et ajouté aux chiffres actuels."
    )
    return result


def _decimal_fr(value: float) -> str:
    """``12,5`` (one decimal, French comma)."""
    return f"{value:.1f}".replace(".", ",")


def _months_fr(months: float) -> str:
    """``3 mois`` or ``2,4 mois``."""
    text = f"{months:.0f}" if float(months).is_integer() else _decimal_fr(months)
    return f"{text} mois"
