"""What the live redemption lines of a scope add up to, per venue, workshop theme,
structure and Paris month (SQL, SQLite and PostgreSQL alike).

Whole months of a period come from the monthly tallies (``redemptions.tallies``); the
days of a period that starts or ends inside a month come from the lines themselves.
``Scope`` holds the SQL conditions of one dashboard request; ``queries`` builds the
dashboard's figures on both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    cast,
    func,
    literal,
    select,
    true,
    union_all,
)

from passnum.booklets.models import Booklet, Voucher
from passnum.core.clock import PARIS, paris_day_bounds
from passnum.extensions import db
from passnum.redemptions.models import (
    NO_THEME,
    Redemption,
    RedemptionLine,
    StructureMonthTally,
    VenueMonthTally,
)
from passnum.venues.models import Workshop


def paris_window(column: Any, start: date | None, end: date | None) -> ColumnElement[bool]:
    """``column`` (UTC instant) within Paris days ``start``..``end`` inclusive."""
    condition: ColumnElement[bool] = true()
    if start is not None:
        condition = and_(condition, column >= paris_day_bounds(start)[0])
    if end is not None:
        condition = and_(condition, column < paris_day_bounds(end)[1])
    return condition


class Scope:
    """The SQL conditions of one request: programme, département, period."""

    def __init__(self, programme_id: int, departement_id: int | None,
                 start: date | None, end: date | None) -> None:
        """Keep the filters; ``None`` means no restriction."""
        self.programme_id, self.departement_id = programme_id, departement_id
        self.start, self.end = start, end

    def booklets(self) -> ColumnElement[bool]:
        """Booklets of the programme, the département and the period."""
        condition = and_(Booklet.programme_id == self.programme_id,
                         paris_window(Booklet.issued_at, self.start, self.end))
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
                        paris_window(Redemption.redeemed_at, self.start, self.end)))
        if self.departement_id is not None:
            query = query.where(RedemptionLine.departement_id == self.departement_id)
        return query


Facts = dict[str, dict[Any, tuple[int, int, int]]]


def line_facts(scope: Scope) -> Facts:
    """(redemptions, vouchers, cents) per venue, theme, structure and Paris month.

    Whole months of the period come from the monthly tallies (``redemptions.tallies``);
    the days of a period that starts or ends inside a month come from the lines.
    """
    first, last = _whole_months(scope.start, scope.end)
    facts = _tallied_facts(scope, first, last)
    for start, end in _partial_windows(scope.start, scope.end, first, last):
        edge = _raw_line_facts(Scope(scope.programme_id, scope.departement_id, start, end))
        for kind, values in edge.items():
            for key, (acts, count, cents) in values.items():
                old = facts[kind].get(key, (0, 0, 0))
                facts[kind][key] = (old[0] + acts, old[1] + count, old[2] + cents)
    return facts


def month_end(month: date) -> date:
    """Last day of ``month``'s month."""
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _whole_months(start: date | None, end: date | None) -> tuple[date | None, date | None]:
    """First and last month (first days) that the period covers entirely; ``None`` for
    no bound. The first may come after the last: no whole month."""
    first = last = None
    if start is not None:
        first = start if start.day == 1 else month_end(start) + timedelta(days=1)
    if end is not None:
        last = end.replace(day=1) if end == month_end(end) else (
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
    if end is not None and last is not None and end > month_end(last):
        windows.append((month_end(last) + timedelta(days=1), end))
    return windows


def _tallied_facts(scope: Scope, first: date | None, last: date | None) -> Facts:
    """``line_facts`` of the months ``first``..``last`` from the monthly tallies."""
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


def _raw_line_facts(scope: Scope) -> Facts:
    """``line_facts`` computed from the lines themselves: used for the days of a
    period that do not cover whole months (an index on ``redeemed_at`` keeps it small).

    One statement: the live lines in scope are joined once (a CTE) and aggregated four
    ways with UNION ALL.
    """
    bucket, is_month = month_key(Redemption.redeemed_at)
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
            month = to_month(key, is_month)
            old = result["month"].get(month, (0, 0, 0))
            result["month"][month] = (old[0] + int(acts), old[1] + int(count),
                                      old[2] + int(cents))
        else:
            result[kind][None if key is None else int(key)] = (int(acts), int(count),
                                                               int(cents))
    return result


def month_key(column: Any) -> tuple[Any, bool]:
    """A SQL expression bucketing a UTC instant: the Paris month on PostgreSQL, the UTC
    hour on SQLite (no time zones there; Paris offsets are whole hours, so an hour
    bucket falls in exactly one Paris month). Second item: True when already a month."""
    if db.session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("Europe/Paris", column), "YYYY-MM"), True
    return func.strftime("%Y-%m-%d %H", column), False


def to_month(key: str, is_month: bool) -> str:
    """``YYYY-MM`` in Paris for a bucket of ``month_key``."""
    if is_month:
        return key
    hour = datetime.strptime(key, "%Y-%m-%d %H").replace(tzinfo=UTC)
    return hour.astimezone(PARIS).strftime("%Y-%m")
