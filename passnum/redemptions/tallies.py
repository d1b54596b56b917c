"""Monthly tallies of live redemption lines, and the booklets' voucher counters.

The dashboard sums these few thousand rows instead of joining every redemption line to
its voucher and booklet. They are derived data kept exact by the only code that changes
what they sum: ``redeem`` adds, ``undo`` subtracts, in the same transaction.
``differences()`` compares them with the rows they summarise (``flask --app passnum
stats verify``) and ``rebuild()`` recomputes them (``stats rebuild``, the seed).

Lock order, shared by every writer: vouchers, workshop, tally rows (sorted keys),
booklets (sorted ids), then the audit head; so these writes cannot deadlock.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from passnum.booklets.models import Booklet, Voucher, VoucherStatus
from passnum.core.clock import PARIS
from passnum.extensions import db
from passnum.redemptions.models import (
    NO_THEME,
    Redemption,
    RedemptionLine,
    StructureMonthTally,
    VenueMonthTally,
)
from passnum.venues.models import Workshop

log = logging.getLogger(__name__)

VenueKey = tuple[int, int, date, int, int]  # programme, département, month, venue, theme
StructureKey = tuple[int, date, int]  # programme, month, structure
VenueSums = dict[VenueKey, list[int]]  # redemptions, vouchers, cents
StructureSums = dict[StructureKey, list[int]]  # département, vouchers, cents


def month_of(at: datetime) -> date:
    """First day of the Paris month of the UTC instant ``at``."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    local = at.astimezone(PARIS)
    return date(local.year, local.month, 1)


class _Sums:
    """Tally deltas of a set of lines, a redemption counted once per (programme,
    paying département) it touches."""

    def __init__(self) -> None:
        """Start empty."""
        self.venues: VenueSums = defaultdict(lambda: [0, 0, 0])
        self.structures: StructureSums = defaultdict(lambda: [0, 0, 0])
        self._seen: set[tuple[int, int, int]] = set()

    def add(self, *, redemption_id: int, programme_id: int, departement_id: int,
            structure_id: int, venue_id: int, theme_id: int | None, at: datetime,
            cents: int) -> None:
        """Count one live line."""
        month = month_of(at)
        venue = self.venues[(programme_id, departement_id, month, venue_id,
                             theme_id or NO_THEME)]
        if (redemption_id, programme_id, departement_id) not in self._seen:
            self._seen.add((redemption_id, programme_id, departement_id))
            venue[0] += 1
        venue[1] += 1
        venue[2] += cents
        structure = self.structures[(programme_id, month, structure_id)]
        structure[0] = departement_id
        structure[1] += 1
        structure[2] += cents


@dataclass(frozen=True)
class Taken:
    """What the tallies need of one voucher taken: its booklet, the booklet's programme,
    paying département and issuing structure, and the voucher's value."""

    booklet_id: int
    programme_id: int
    departement_id: int
    structure_id: int
    value_cents: int


VENUE_KEY = ("programme_id", "departement_id", "month", "venue_id", "theme_key")
STRUCTURE_KEY = ("programme_id", "month", "structure_id")


@dataclass(frozen=True)
class Deltas:
    """What one redemption adds to each table (its undo: the same, negated), as
    statement parameters sorted by key: the lock order of the module docstring."""

    venues: list[dict[str, Any]]
    structures: list[dict[str, Any]]
    booklets: list[dict[str, int]]


def deltas(*, venue_id: int, theme_id: int | None, at: datetime, taken: Iterable[Taken],
           sign: int = 1) -> Deltas:
    """The tally and counter changes of a redemption at ``at`` taking ``taken``."""
    sums = _Sums()
    per_booklet: dict[int, int] = defaultdict(int)
    for item in taken:
        sums.add(redemption_id=0, programme_id=item.programme_id,
                 departement_id=item.departement_id, structure_id=item.structure_id,
                 venue_id=venue_id, theme_id=theme_id, at=at, cents=item.value_cents)
        per_booklet[item.booklet_id] += 1
    return Deltas(
        venues=[{**dict(zip(VENUE_KEY, key, strict=True)), "redemptions": sign * acts,
                 "vouchers": sign * vouchers, "cents": sign * cents}
                for key, (acts, vouchers, cents) in sorted(sums.venues.items())],
        structures=[{"programme_id": programme_id, "month": month,
                     "structure_id": structure_id, "departement_id": dep,
                     "vouchers": sign * vouchers, "cents": sign * cents}
                    for (programme_id, month, structure_id), (dep, vouchers, cents)
                    in sorted(sums.structures.items())],
        booklets=[{"b_id": booklet_id, "delta": sign * count}
                  for booklet_id, count in sorted(per_booklet.items())])


def _stored_deltas(redemption: Redemption, sign: int) -> Deltas:
    """The deltas of a stored redemption (lines loaded with their vouchers and booklets)."""
    theme_id = redemption.workshop.theme_id if redemption.workshop_id else None
    taken = [Taken(booklet_id=line.voucher.booklet_id,
                   programme_id=line.voucher.booklet.programme_id,
                   departement_id=line.departement_id,
                   structure_id=line.voucher.booklet.structure_id,
                   value_cents=line.value_cents) for line in redemption.lines]
    return deltas(venue_id=redemption.venue_id, theme_id=theme_id, at=redemption.redeemed_at,
                  taken=taken, sign=sign)


@cache
def _upserts(dialect: str) -> tuple[Any, Any, Any]:
    """The two tally upserts and the booklet counter update, built once per dialect
    (building them costs more than running them) and run with parameters."""
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    venue = insert(VenueMonthTally).values(
        {name: bindparam(name) for name in (*VENUE_KEY, "redemptions", "vouchers", "cents")})
    venue = venue.on_conflict_do_update(index_elements=list(VENUE_KEY), set_={
        "redemptions": VenueMonthTally.redemptions + venue.excluded.redemptions,
        "vouchers": VenueMonthTally.vouchers + venue.excluded.vouchers,
        "cents": VenueMonthTally.cents + venue.excluded.cents})
    structure = insert(StructureMonthTally).values(
        {name: bindparam(name) for name in (*STRUCTURE_KEY, "departement_id", "vouchers",
                                            "cents")})
    structure = structure.on_conflict_do_update(index_elements=list(STRUCTURE_KEY), set_={
        "vouchers": StructureMonthTally.vouchers + structure.excluded.vouchers,
        "cents": StructureMonthTally.cents + structure.excluded.cents})
    table = Booklet.__table__
    booklets = (table.update().where(table.c.id == bindparam("b_id"))
                .values(vouchers_redeemed=table.c.vouchers_redeemed + bindparam("delta")))
    return venue, structure, booklets


def count(changes: Deltas) -> None:
    """Add a new redemption's deltas to the tallies and its booklets' counters: one
    statement per table, whatever the number of rows it touches."""
    venue, structure, booklets = _upserts(db.session.get_bind().dialect.name)
    db.session.execute(venue, changes.venues)
    db.session.execute(structure, changes.structures)
    db.session.execute(booklets, changes.booklets)
    expire_counters(changes)


def uncount_redemption(redemption: Redemption) -> None:
    """Take an undone redemption out of the tallies and its booklets' counters."""
    changes = _stored_deltas(redemption, -1)
    missing = 0
    # an UPDATE's result is a CursorResult: Session.execute() is typed for any statement
    for row in changes.venues:
        missing += cast(CursorResult[Any], db.session.execute(
            update(VenueMonthTally)
            .where(*(getattr(VenueMonthTally, name) == row[name] for name in VENUE_KEY))
            .values(redemptions=VenueMonthTally.redemptions + row["redemptions"],
                    vouchers=VenueMonthTally.vouchers + row["vouchers"],
                    cents=VenueMonthTally.cents + row["cents"])
            .execution_options(synchronize_session=False))).rowcount == 0
    for row in changes.structures:
        missing += cast(CursorResult[Any], db.session.execute(
            update(StructureMonthTally)
            .where(*(getattr(StructureMonthTally, name) == row[name]
                     for name in STRUCTURE_KEY))
            .values(vouchers=StructureMonthTally.vouchers + row["vouchers"],
                    cents=StructureMonthTally.cents + row["cents"])
            .execution_options(synchronize_session=False))).rowcount == 0
    if missing:  # only if the tallies were edited by hand: `stats rebuild` mends them
        log.warning("redemption %s: %s tally rows missing on undo", redemption.id, missing)
    db.session.execute(_upserts(db.session.get_bind().dialect.name)[2], changes.booklets)
    expire_counters(changes)


def expire_counters(changes: Deltas) -> None:
    """Loaded booklets must not keep the counter the database just moved."""
    for row in changes.booklets:
        booklet = db.session.identity_map.get((Booklet, (row["b_id"],), None))
        if booklet is not None:
            db.session.expire(booklet, ["vouchers_redeemed", "first_used_at",
                                        "first_used_venue_id"])


# --- Verification and rebuilding ----------------------------------------------------------


def _from_lines() -> _Sums:
    """The tallies as the live lines say they should be."""
    sums = _Sums()
    rows = db.session.execute(
        select(Redemption.id, Booklet.programme_id, RedemptionLine.departement_id,
               Booklet.structure_id, Redemption.venue_id, Workshop.theme_id,
               Redemption.redeemed_at, RedemptionLine.value_cents)
        .select_from(RedemptionLine)
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
        .join(Booklet, Booklet.id == Voucher.booklet_id)
        .outerjoin(Workshop, Workshop.id == Redemption.workshop_id)
        .where(RedemptionLine.undone_at.is_(None))
        .execution_options(yield_per=10_000))
    for redemption_id, programme_id, dep, structure_id, venue_id, theme_id, at, cents in rows:
        sums.add(redemption_id=redemption_id, programme_id=programme_id, departement_id=dep,
                 structure_id=structure_id, venue_id=venue_id, theme_id=theme_id, at=at,
                 cents=cents)
    return sums


def _stored() -> tuple[VenueSums, StructureSums]:
    """The tallies as stored, zero rows left out."""
    venues = {(r.programme_id, r.departement_id, r.month, r.venue_id, r.theme_key):
              [r.redemptions, r.vouchers, r.cents]
              for r in db.session.scalars(select(VenueMonthTally))
              if r.redemptions or r.vouchers or r.cents}
    structures = {(r.programme_id, r.month, r.structure_id): [r.departement_id, r.vouchers,
                                                               r.cents]
                  for r in db.session.scalars(select(StructureMonthTally))
                  if r.vouchers or r.cents}
    return venues, structures


def _booklet_counts() -> Iterable[Any]:
    """(booklet id, stored total, counted total, stored redeemed, counted redeemed)."""
    counted = (select(Voucher.booklet_id, func.count().label("total"),
                      func.coalesce(func.sum(
                          (Voucher.status == VoucherStatus.REDEEMED).cast(db.Integer)), 0)
                      .label("redeemed"))
               .group_by(Voucher.booklet_id).subquery())
    return db.session.execute(
        select(Booklet.id, Booklet.vouchers_total, func.coalesce(counted.c.total, 0),
               Booklet.vouchers_redeemed, func.coalesce(counted.c.redeemed, 0))
        .outerjoin(counted, counted.c.booklet_id == Booklet.id)).all()


def _first_uses() -> list[Any]:
    """(booklet id, stored first use and venue, first live redemption and its venue) of
    the booklets whose stored first use differs from their live redemptions'."""
    ranked = (select(Voucher.booklet_id.label("booklet_id"),
                     Redemption.redeemed_at.label("at"), Redemption.venue_id.label("venue_id"),
                     func.row_number().over(partition_by=Voucher.booklet_id,
                                            order_by=(Redemption.redeemed_at, Redemption.id))
                     .label("n"))
              .select_from(RedemptionLine)
              .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
              .join(Voucher, Voucher.id == RedemptionLine.voucher_id)
              .where(RedemptionLine.undone_at.is_(None)).subquery())
    first = select(ranked).where(ranked.c.n == 1).subquery()
    rows = db.session.execute(
        select(Booklet.id, Booklet.first_used_at, Booklet.first_used_venue_id, first.c.at,
               first.c.venue_id)
        .outerjoin(first, first.c.booklet_id == Booklet.id)
        .where(or_(Booklet.first_used_at.is_not(None), first.c.booklet_id.is_not(None)))
    ).all()
    return [row for row in rows if (row[1], row[2]) != (row[3], row[4])]


def differences(limit: int = 20) -> list[str]:
    """Where the tallies or the booklet counters disagree with the rows (empty: exact)."""
    problems: list[str] = []
    expected = _from_lines()
    venues, structures = _stored()
    compared: tuple[tuple[str, Mapping[Any, list[int]], Mapping[Any, list[int]]], ...] = (
        ("lieu", dict(expected.venues), venues),
        ("structure", dict(expected.structures), structures))
    for kind, want, have in compared:
        for key in sorted(set(want) | set(have), key=str):
            if want.get(key) != have.get(key):
                problems.append(f"cumul {kind} {key}: attendu {want.get(key)}, "
                                f"enregistré {have.get(key)}")
    for booklet_id, total, total_rows, redeemed, redeemed_rows in _booklet_counts():
        if (total, redeemed) != (total_rows, redeemed_rows):
            problems.append(f"chéquier {booklet_id}: {total}/{redeemed} enregistrés, "
                            f"{total_rows}/{redeemed_rows} d'après les chèques")
    for booklet_id, at, venue_id, first_at, first_venue_id in _first_uses():
        problems.append(f"chéquier {booklet_id}: premier encaissement {at} au lieu "
                        f"{venue_id} enregistré, {first_at} au lieu {first_venue_id} "
                        "d'après les encaissements")
    return problems[:limit] if limit else problems


def rebuild() -> tuple[int, int]:
    """Recompute every tally and booklet counter from the rows (flushes, never commits).

    Returns the number of venue and structure tally rows written.
    """
    sums = _from_lines()
    db.session.execute(delete(VenueMonthTally))
    db.session.execute(delete(StructureMonthTally))
    venue_rows = [dict(programme_id=k[0], departement_id=k[1], month=k[2], venue_id=k[3],
                       theme_key=k[4], redemptions=v[0], vouchers=v[1], cents=v[2])
                  for k, v in sums.venues.items()]
    structure_rows = [dict(programme_id=k[0], month=k[1], structure_id=k[2],
                           departement_id=v[0], vouchers=v[1], cents=v[2])
                      for k, v in sums.structures.items()]
    if venue_rows:
        db.session.execute(VenueMonthTally.__table__.insert(), venue_rows)
    if structure_rows:
        db.session.execute(StructureMonthTally.__table__.insert(), structure_rows)
    stale = [{"b_id": booklet_id, "total": total_rows, "redeemed": redeemed_rows}
             for booklet_id, total, total_rows, redeemed, redeemed_rows in _booklet_counts()
             if (total, redeemed) != (total_rows, redeemed_rows)]
    if stale:
        table = Booklet.__table__
        db.session.execute(
            table.update().where(table.c.id == db.bindparam("b_id"))
            .values(vouchers_total=db.bindparam("total"),
                    vouchers_redeemed=db.bindparam("redeemed")), stale)
    firsts = [{"b_id": booklet_id, "at": first_at, "venue": venue_id}
              for booklet_id, _at, _venue, first_at, venue_id in _first_uses()]
    if firsts:
        table = Booklet.__table__
        db.session.execute(
            table.update().where(table.c.id == db.bindparam("b_id"))
            .values(first_used_at=db.bindparam("at", type_=table.c.first_used_at.type),
                    first_used_venue_id=db.bindparam("venue")), firsts)
    return len(venue_rows), len(structure_rows)
