"""The redemption path's SQL, per database, behind a few typed functions.

``services.redeem`` decides (codes, rules, refusals, replays) the same way on every
database; this module only reads and writes rows: ``lock_basket`` (the vouchers of a
basket, locked, with what the rules need of them), ``write_redemption`` (the vouchers'
conditional update, the redemption, its lines, the tallies and the booklets' counters)
and ``find_redemption`` / ``find_redemption_by_key`` (a stored redemption as a
``RedemptionResult``).

On PostgreSQL the hot path runs straight on the driver, one round trip per step, where
a dozen cost more than the work itself; elsewhere (SQLite, in-process) through the
session, one statement per table. Both take a voucher only from 'issued' (the same
conditional update), both refuse with the same error when a voucher was taken
meanwhile, and both follow the lock order of ``tallies``: vouchers, tally rows (sorted
keys), booklets (sorted ids).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ARRAY, String, any_, bindparam, exists, insert, or_, select, text, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm.util import identity_key

from passnum.booklets.models import Booklet, Voucher, VoucherStatus
from passnum.core.db import UTCDateTime, driver_rows, fetch
from passnum.errors import Conflict
from passnum.extensions import db
from passnum.programmes.models import Programme
from passnum.redemptions import tallies
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.tallies import Taken
from passnum.venues.models import WorkshopBooking

# --- Results -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RedeemedLine:
    """One voucher a redemption took: what it is paid and by which département."""

    voucher_id: int
    serial: str
    value_cents: int
    departement_id: int


@dataclass(frozen=True)
class RedemptionResult:
    """A redemption as the service returns it: plain values, no database object.

    ``replayed``: returned again for a known Idempotency-Key, nothing taken this time.
    """

    id: int
    venue_id: int
    workshop_id: int | None
    redeemed_at: datetime
    undone_at: datetime | None
    lines: tuple[RedeemedLine, ...]
    replayed: bool = False

    @property
    def total_cents(self) -> int:
        """The value of every voucher taken."""
        return sum(line.value_cents for line in self.lines)


# --- Lock a basket -------------------------------------------------------------------------


@dataclass(frozen=True)
class HeldVoucher:
    """A voucher of the basket, locked, with what the rules and the tallies need of its
    booklet and programme (read with it, in the same statement)."""

    id: int
    serial: str
    manual_code: str
    status: str
    value_cents: int
    booklet_id: int
    booklet_status: str
    programme_id: int
    departement_id: int
    structure_id: int
    valid_from: date
    expires_on: date
    programme_closed: bool

    @property
    def taken(self) -> Taken:
        """What taking this voucher adds to the tallies."""
        return Taken(self.booklet_id, self.programme_id, self.departement_id,
                     self.structure_id, self.value_cents)


@dataclass(frozen=True)
class LockedBasket:
    """The vouchers a basket names (locked, in id order) and the id of the redemption
    the actor already made with the request's Idempotency-Key, if any."""

    vouchers: tuple[HeldVoucher, ...]
    known_redemption_id: int | None


_V, _B, _P, _R = (Voucher.__table__, Booklet.__table__, Programme.__table__,
                  Redemption.__table__)
_L = RedemptionLine.__table__


def _lock_basket_statement(wanted: Any) -> Any:
    """The locking read of a basket, in one round trip: the vouchers ``wanted`` names
    with their booklets and programmes, locked in id order (two overlapping baskets
    cannot deadlock), and the redemption this actor already made with this
    Idempotency-Key, if any."""
    known_key = select(_R.c.id).where(_R.c.actor_id == bindparam("actor_id"),
                                      _R.c.idempotency_key == bindparam("key"))
    return (
        select(_V.c.id, _V.c.serial, _V.c.manual_code, _V.c.status, _V.c.value_cents,
               _V.c.booklet_id, _B.c.status, _B.c.programme_id, _B.c.departement_id,
               _B.c.structure_id, _B.c.valid_from, _B.c.expires_on,
               _P.c.closed_at.is_not(None), known_key.scalar_subquery())
        .select_from(_V.join(_B, _B.c.id == _V.c.booklet_id)
                     .join(_P, _P.c.id == _B.c.programme_id))
        .where(wanted).order_by(_V.c.id).with_for_update(of=_V)
    )


# Built once: constructing statements costs more than running them on this hot path.
# Any basket: expanded ``IN`` lists (SQLite), or two array parameters (``= ANY``: one
# statement text for any basket, PostgreSQL).
_LOCK_BASKET = _lock_basket_statement(
    or_(_V.c.serial.in_(bindparam("serials", expanding=True)),
        _V.c.manual_code.in_(bindparam("manuals", expanding=True))))
_LOCK_BASKET_POSTGRESQL = _lock_basket_statement(
    or_(_V.c.serial == any_(bindparam("serials", type_=ARRAY(String))),
        _V.c.manual_code == any_(bindparam("manuals", type_=ARRAY(String)))))
# PostgreSQL, a basket of one code (nearly every scan): the arrays' plan depends on
# their lengths, so PostgreSQL plans that statement again at every execution (a
# quarter of a redemption's time in the database); with one scalar code the prepared
# statement keeps its plan.
_LOCK_ONE_SERIAL = _lock_basket_statement(_V.c.serial == bindparam("code", type_=String))
_LOCK_ONE_MANUAL = _lock_basket_statement(_V.c.manual_code == bindparam("code", type_=String))


def lock_basket(serials: Sequence[str], manuals: Sequence[str], *, actor_id: int,
                key: str | None) -> LockedBasket:
    """Lock and read the vouchers of these serials and manual codes, and find the
    redemption ``actor_id`` already made with ``key`` (None: no key, or none made).

    Rows are read once locked, so a redemption committed meanwhile is seen. Pending
    changes of the session are flushed first, as an ORM query's autoflush would.
    """
    db.session.flush()
    params: dict[str, Any] = {"serials": list(serials), "manuals": list(manuals),
                              "actor_id": actor_id, "key": key}
    postgresql = _LOCK_BASKET_POSTGRESQL
    if len(serials) + len(manuals) == 1:
        postgresql, params["code"] = ((_LOCK_ONE_SERIAL, serials[0]) if serials
                                      else (_LOCK_ONE_MANUAL, manuals[0]))
    rows = fetch(_LOCK_BASKET, params, postgresql=postgresql)
    return LockedBasket(tuple(_held(row) for row in rows), rows[0][-1] if rows else None)


def _held(row: Sequence[Any]) -> HeldVoucher:
    """A row of the locking read as a ``HeldVoucher``."""
    (voucher_id, serial, manual_code, status, value_cents, booklet_id, booklet_status,
     programme_id, departement_id, structure_id, valid_from, expires_on, closed, _) = row
    return HeldVoucher(voucher_id, serial, manual_code, status, value_cents, booklet_id,
                       booklet_status, programme_id, departement_id, structure_id,
                       valid_from, expires_on, bool(closed))


# --- Write a redemption --------------------------------------------------------------------


@dataclass(frozen=True)
class NewLine:
    """A voucher to take: its id, the département that pays it and its value."""

    voucher_id: int
    departement_id: int
    value_cents: int


@dataclass(frozen=True)
class NewRedemption:
    """A redemption to write, once every rule has passed."""

    venue_id: int
    workshop_id: int | None
    actor_id: int
    idempotency_key: str | None
    redeemed_at: datetime
    lines: tuple[NewLine, ...]


_TAKE = (
    update(_V)
    .where(_V.c.id.in_(bindparam("ids", expanding=True)),
           _V.c.status == VoucherStatus.ISSUED.value)
    .values(status=VoucherStatus.REDEEMED.value,
            redeemed_at=bindparam("redeemed_at", type_=_V.c.redeemed_at.type))
)
_REDEMPTION_COLUMNS = ("venue_id", "workshop_id", "actor_id", "idempotency_key", "redeemed_at")
_INSERT_REDEMPTION = (insert(_R).values({name: bindparam(name, type_=_R.c[name].type)
                                         for name in _REDEMPTION_COLUMNS})
                      .returning(_R.c.id))
_INSERT_LINES = insert(_L).values({name: bindparam(name, type_=_L.c[name].type) for name in (
    "redemption_id", "voucher_id", "departement_id", "value_cents", "created_at")})

# Each step reads the one before (EXISTS, count), so PostgreSQL runs them in this order
# (data-modifying CTEs otherwise run in no promised order): the lock order holds. The
# redemption is inserted only if every voucher was still 'issued' (the conditional
# update of ``_TAKE``); the caller checks ``taken`` and rolls everything back otherwise.
_ALL_IN_ONE = text("""
WITH taken AS (
    UPDATE vouchers SET status = 'redeemed', redeemed_at = :redeemed_at
    WHERE id = ANY(CAST(:voucher_ids AS INTEGER[])) AND status = 'issued'
    RETURNING id
), redemption AS (
    INSERT INTO redemptions (venue_id, workshop_id, actor_id, idempotency_key, redeemed_at)
    SELECT CAST(:venue_id AS INTEGER), CAST(:workshop_id AS INTEGER),
           CAST(:actor_id AS INTEGER), CAST(:idempotency_key AS VARCHAR), :redeemed_at
    WHERE (SELECT count(*) FROM taken) = cardinality(CAST(:voucher_ids AS INTEGER[]))
    RETURNING id
), line AS (
    INSERT INTO redemption_lines
        (redemption_id, voucher_id, departement_id, value_cents, created_at)
    SELECT redemption.id, given.voucher_id, given.departement_id, given.value_cents,
           :redeemed_at
    FROM redemption, unnest(CAST(:voucher_ids AS INTEGER[]),
                            CAST(:departement_ids AS INTEGER[]),
                            CAST(:values_cents AS INTEGER[]))
                     AS given(voucher_id, departement_id, value_cents)
    RETURNING id
), venue_tally AS (
    INSERT INTO venue_month_tallies AS tally
        (programme_id, departement_id, month, venue_id, theme_key, redemptions, vouchers,
         cents)
    SELECT * FROM unnest(CAST(:v_programme_id AS INTEGER[]),
                         CAST(:v_departement_id AS INTEGER[]), CAST(:v_month AS DATE[]),
                         CAST(:v_venue_id AS INTEGER[]), CAST(:v_theme_key AS INTEGER[]),
                         CAST(:v_redemptions AS INTEGER[]), CAST(:v_vouchers AS INTEGER[]),
                         CAST(:v_cents AS INTEGER[]))
    WHERE EXISTS (SELECT FROM line)
    ON CONFLICT (programme_id, departement_id, month, venue_id, theme_key) DO UPDATE
    SET redemptions = tally.redemptions + excluded.redemptions,
        vouchers = tally.vouchers + excluded.vouchers, cents = tally.cents + excluded.cents
    RETURNING 1
), structure_tally AS (
    INSERT INTO structure_month_tallies AS tally
        (programme_id, month, structure_id, departement_id, vouchers, cents)
    SELECT * FROM unnest(CAST(:s_programme_id AS INTEGER[]), CAST(:s_month AS DATE[]),
                         CAST(:s_structure_id AS INTEGER[]),
                         CAST(:s_departement_id AS INTEGER[]),
                         CAST(:s_vouchers AS INTEGER[]), CAST(:s_cents AS INTEGER[]))
    WHERE EXISTS (SELECT FROM venue_tally)
    ON CONFLICT (programme_id, month, structure_id) DO UPDATE
    SET vouchers = tally.vouchers + excluded.vouchers, cents = tally.cents + excluded.cents
    RETURNING 1
), counter AS (
    UPDATE booklets SET vouchers_redeemed = booklets.vouchers_redeemed + bump.delta
    FROM unnest(CAST(:b_id AS INTEGER[]), CAST(:b_delta AS INTEGER[])) AS bump(id, delta)
    WHERE booklets.id = bump.id AND EXISTS (SELECT FROM structure_tally)
    RETURNING 1
)
SELECT (SELECT count(*) FROM taken) AS taken,
       (SELECT id FROM redemption) AS redemption_id,
       (SELECT count(*) FROM counter) AS booklets
""").bindparams(bindparam("redeemed_at", type_=UTCDateTime()))


def write_redemption(new: NewRedemption, changes: tallies.Deltas) -> int:
    """Take the vouchers of ``new`` (each still 'issued', else ``Conflict``
    ``already_redeemed``) and write the redemption, its lines, the tallies and the
    counters; return the redemption's id. Flushes nothing else, commits nothing.

    Objects of those vouchers already in the session are told their new state (expired),
    as are the booklets' counters.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        taken, redemption_id = _write_in_one(new, changes)
        _check_taken(taken, new)
        tallies.expire_counters(changes)
    else:
        taken = cast(CursorResult[Any], db.session.execute(_TAKE, {
            "ids": [line.voucher_id for line in new.lines],
            "redeemed_at": new.redeemed_at})).rowcount
        _check_taken(taken, new)
        redemption_id = db.session.execute(_INSERT_REDEMPTION, {
            name: getattr(new, name) for name in _REDEMPTION_COLUMNS}).scalar_one()
        db.session.execute(_INSERT_LINES, [
            {"redemption_id": redemption_id, "voucher_id": line.voucher_id,
             "departement_id": line.departement_id, "value_cents": line.value_cents,
             "created_at": new.redeemed_at} for line in new.lines])
        tallies.count(changes)
    _expire_vouchers(line.voucher_id for line in new.lines)
    return redemption_id


def _write_in_one(new: NewRedemption, changes: tallies.Deltas) -> tuple[int, int]:
    """PostgreSQL: everything ``write_redemption`` writes, in one statement; return how
    many vouchers the conditional update took and the redemption's id (None if not
    every voucher was taken)."""
    params: dict[str, Any] = {
        **{name: getattr(new, name) for name in _REDEMPTION_COLUMNS},
        "voucher_ids": [line.voucher_id for line in new.lines],
        "departement_ids": [line.departement_id for line in new.lines],
        "values_cents": [line.value_cents for line in new.lines]}
    for prefix, rows in (("v", changes.venues), ("s", changes.structures)):
        for name in rows[0]:
            params[f"{prefix}_{name}"] = [row[name] for row in rows]
    params["b_id"] = [row["b_id"] for row in changes.booklets]
    params["b_delta"] = [row["delta"] for row in changes.booklets]
    taken, redemption_id, _ = driver_rows(_ALL_IN_ONE, params)[0]
    return taken, redemption_id


def _check_taken(taken: int, new: NewRedemption) -> None:
    """Every voucher must have gone from 'issued' to 'redeemed' here."""
    if taken != len(new.lines):  # cannot happen under the row locks; the money says check
        raise Conflict("Un chèque vient d'être encaissé ailleurs.", code="already_redeemed")


def _expire_vouchers(voucher_ids: Any) -> None:
    """Objects of these vouchers in the session reload their state on next access."""
    identity_map = db.session.identity_map
    for voucher_id in voucher_ids:
        known = identity_map.get(identity_key(Voucher, voucher_id))
        if known is not None:
            db.session.expire(known, ["status", "redeemed_at"])


# --- Find a redemption ---------------------------------------------------------------------

_STORED = (
    select(_R.c.id, _R.c.venue_id, _R.c.workshop_id, _R.c.redeemed_at, _R.c.undone_at,
           _L.c.voucher_id, _V.c.serial, _L.c.value_cents, _L.c.departement_id)
    .select_from(_R.join(_L, _L.c.redemption_id == _R.c.id)
                 .join(_V, _V.c.id == _L.c.voucher_id))
    .order_by(_L.c.id)
)
_BY_ID = _STORED.where(_R.c.id == bindparam("redemption_id"))
_BY_KEY = _STORED.where(_R.c.actor_id == bindparam("actor_id"),
                        _R.c.idempotency_key == bindparam("key"))


def _result(rows: Sequence[Any]) -> RedemptionResult | None:
    """The redemption of these rows (one per line), or None without rows."""
    if not rows:
        return None
    first = rows[0]
    return RedemptionResult(
        id=first[0], venue_id=first[1], workshop_id=first[2], redeemed_at=first[3],
        undone_at=first[4], lines=tuple(RedeemedLine(*row[5:]) for row in rows))


def find_redemption(redemption_id: int) -> RedemptionResult | None:
    """The stored redemption ``redemption_id`` with its lines, or None."""
    return _result(db.session.execute(_BY_ID, {"redemption_id": redemption_id}).all())


def find_redemption_by_key(actor_id: int, key: str) -> RedemptionResult | None:
    """The redemption ``actor_id`` made with the Idempotency-Key ``key``, or None."""
    return _result(db.session.execute(_BY_KEY, {"actor_id": actor_id, "key": key}).all())


# --- Bookings attended ---------------------------------------------------------------------

_K = WorkshopBooking.__table__
_HOLDERS = select(_B.c.beneficiary_id).where(_B.c.id.in_(bindparam("booklet_ids",
                                                                     expanding=True)))
_ATTEND = (update(_K)
           .where(_K.c.workshop_id == bindparam("booked_workshop"), _K.c.cancelled_at.is_(None),
                  _K.c.attended_at.is_(None), _K.c.beneficiary_id.in_(_HOLDERS))
           .values(attended_at=bindparam("at", type_=_K.c.attended_at.type)))
# the person still has a live redemption for the workshop (another basket of theirs)
_STILL_CAME = exists().select_from(
    _R.join(_L, _L.c.redemption_id == _R.c.id).join(_V, _V.c.id == _L.c.voucher_id)
    .join(_B, _B.c.id == _V.c.booklet_id)
).where(_R.c.workshop_id == _K.c.workshop_id, _R.c.undone_at.is_(None),
        _L.c.undone_at.is_(None), _B.c.beneficiary_id == _K.c.beneficiary_id)
_UNATTEND = (update(_K)
             .where(_K.c.workshop_id == bindparam("booked_workshop"),
                    _K.c.attended_at.is_not(None), _K.c.beneficiary_id.in_(_HOLDERS),
                    ~_STILL_CAME)
             .values(attended_at=None))


def mark_attended(workshop_id: int, booklet_ids: Sequence[int], at: datetime) -> None:
    """Mark attended, at ``at``, the live booking for the workshop of the person holding
    one of ``booklet_ids`` (a basket just redeemed for it), if there is one: one
    statement, run only when a redemption names a workshop."""
    db.session.execute(_ATTEND, {"booked_workshop": workshop_id, "booklet_ids": list(booklet_ids),
                                 "at": at})


def unmark_attended(workshop_id: int, booklet_ids: Sequence[int]) -> None:
    """Undo ``mark_attended`` for an undone redemption (already flushed as undone),
    unless the person still has another live redemption for the workshop."""
    db.session.execute(_UNATTEND, {"booked_workshop": workshop_id,
                                   "booklet_ids": list(booklet_ids)})
