"""The rows a redemption writes, in as few round trips as the database allows.

Called by ``services.redeem`` only, once the vouchers are locked and every rule has
passed: the vouchers' conditional update, the redemption and its lines, the monthly
tallies and the booklets' counters. On PostgreSQL all of it is one statement (one round
trip, where a dozen cost more than the work itself); elsewhere (SQLite, in-process) one
statement per table. Both follow the lock order of ``tallies``: vouchers, tally rows
(sorted keys), booklets (sorted ids).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, insert, text, update

from passnum.booklets.models import Voucher, VoucherStatus
from passnum.core.db import UTCDateTime, driver_rows
from passnum.errors import Conflict
from passnum.extensions import db
from passnum.redemptions import tallies
from passnum.redemptions.models import Redemption, RedemptionLine

_VOUCHERS = Voucher.__table__
_REDEMPTIONS = Redemption.__table__
_LINES = RedemptionLine.__table__
REDEMPTION_COLUMNS = ("venue_id", "workshop_id", "actor_id", "idempotency_key", "redeemed_at")
LINE_COLUMNS = ("voucher_id", "departement_id", "value_cents")


def _params(table: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Typed bind parameters named after these columns."""
    return {name: bindparam(name, type_=table.c[name].type) for name in names}


# Built once: constructing statements costs more than running them on this hot path.
_TAKE = (
    update(_VOUCHERS)
    .where(_VOUCHERS.c.id.in_(bindparam("ids", expanding=True)),
           _VOUCHERS.c.status == VoucherStatus.ISSUED.value)
    .values(status=VoucherStatus.REDEEMED.value, **_params(_VOUCHERS, ("redeemed_at",)))
)
_INSERT_REDEMPTION = (insert(_REDEMPTIONS).values(_params(_REDEMPTIONS, REDEMPTION_COLUMNS))
                      .returning(_REDEMPTIONS.c.id))
_INSERT_LINES = (insert(_LINES).values(_params(
    _LINES, ("redemption_id", *LINE_COLUMNS, "created_at")))
    .returning(_LINES.c.id, sort_by_parameter_order=True))

# Each step reads the one before (EXISTS, count), so PostgreSQL runs them in this order
# (data-modifying CTEs otherwise run in no promised order): the lock order holds. The
# redemption is inserted only if every voucher was still 'issued'; the caller checks
# ``taken`` and rolls everything back otherwise.
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
    RETURNING id, voucher_id
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
       (SELECT count(*) FROM counter) AS booklets,
       ARRAY(SELECT ARRAY[voucher_id, id] FROM line) AS lines
""").bindparams(bindparam("redeemed_at", type_=UTCDateTime()))


def write(redemption: dict[str, Any], lines: list[dict[str, Any]],
          changes: tallies.Deltas) -> tuple[int, list[int]]:
    """Take the vouchers of ``lines`` (still 'issued', else ``Conflict``) and write the
    redemption, its lines, the tallies and the counters; return the redemption's id and
    its lines' ids (in the order of ``lines``). Flushes nothing else, commits nothing."""
    if db.session.get_bind().dialect.name == "postgresql":
        return _write_in_one(redemption, lines, changes)
    taken = db.session.execute(_TAKE, {"ids": [line["voucher_id"] for line in lines],
                                       "redeemed_at": redemption["redeemed_at"]}).rowcount
    _check_taken(taken, lines)
    redemption_id = db.session.execute(_INSERT_REDEMPTION, redemption).scalar_one()
    line_ids = db.session.execute(_INSERT_LINES, [
        {**line, "redemption_id": redemption_id, "created_at": redemption["redeemed_at"]}
        for line in lines]).scalars().all()
    tallies.count(changes)
    return redemption_id, list(line_ids)


def _write_in_one(redemption: dict[str, Any], lines: list[dict[str, Any]],
                  changes: tallies.Deltas) -> tuple[int, list[int]]:
    """PostgreSQL: everything ``write`` does, in one statement."""
    params: dict[str, Any] = {
        **redemption,
        "voucher_ids": [line["voucher_id"] for line in lines],
        "departement_ids": [line["departement_id"] for line in lines],
        "values_cents": [line["value_cents"] for line in lines]}
    for prefix, rows in (("v", changes.venues), ("s", changes.structures)):
        for name in rows[0]:
            params[f"{prefix}_{name}"] = [row[name] for row in rows]
    params["b_id"] = [row["b_id"] for row in changes.booklets]
    params["b_delta"] = [row["delta"] for row in changes.booklets]
    taken, redemption_id, _, pairs = driver_rows(_ALL_IN_ONE, params)[0]
    _check_taken(taken, lines)
    line_id = {voucher_id: line_id for voucher_id, line_id in pairs}
    tallies.expire_counters(changes)
    return redemption_id, [line_id[line["voucher_id"]] for line in lines]


def _check_taken(taken: int, lines: list[dict[str, Any]]) -> None:
    """Every voucher must have gone from 'issued' to 'redeemed' here."""
    if taken != len(lines):  # cannot happen under the row locks; the money says check
        raise Conflict("Un chèque vient d'être encaissé ailleurs.", code="already_redeemed")

