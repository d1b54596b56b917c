"""The dashboard's stored sums follow every redemption and undo exactly, and can be
verified against, and rebuilt from, the rows they summarise."""

from datetime import UTC, date, datetime, time, timedelta

import flask_migrate
import pytest
from sqlalchemy import select, update

from passnum.booklets.models import Booklet
from passnum.booklets.services import revoke_booklet
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions import tallies
from passnum.redemptions.models import NO_THEME, StructureMonthTally, VenueMonthTally
from passnum.redemptions.services import redeem, undo
from tests.factories import World, issue, make_beneficiary, make_workshop


def take(world, vouchers, *, workshop=None):
    with unit_of_work():
        return redeem([v.manual_code for v in vouchers], venue=world.venue78,
                      workshop=workshop, actor=world.agent78, channel="test")


def venue_tallies() -> dict[tuple, tuple]:
    return {(t.departement_id, t.month.isoformat(), t.theme_key):
            (t.redemptions, t.vouchers, t.cents)
            for t in db.session.scalars(select(VenueMonthTally))}


@pytest.fixture
def world(app):
    return World()


def next_month_start() -> datetime:
    """Midnight in Paris on the first day of next month, as a UTC instant."""
    day = clock.today()
    first = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return datetime.combine(first, time.min, clock.PARIS).astimezone(UTC)


def test_redeem_and_undo_move_the_tallies_and_counters(world):
    boundary = next_month_start()
    next_month = boundary.astimezone(clock.PARIS).date()
    month = (next_month - timedelta(days=1)).replace(day=1)
    with clock.frozen(boundary - timedelta(hours=3)):
        b78 = issue(world.issuer78, make_beneficiary(world.issuer78))
        b92 = issue(world.issuer92, make_beneficiary(world.issuer92))
    with clock.frozen(boundary - timedelta(seconds=1)):  # last second of the month
        take(world, b78.vouchers[:2])
    with clock.frozen(boundary):  # first instant of the next one
        workshop = make_workshop(world.venue78, price=3, capacity=5)
        mixed = take(world, [b78.vouchers[2], b92.vouchers[0], b92.vouchers[1]],
                     workshop=workshop)
    theme = workshop.theme_id
    assert venue_tallies() == {
        (world.d78.id, month.isoformat(), NO_THEME): (1, 2, 2000),
        (world.d78.id, next_month.isoformat(), theme): (1, 1, 1000),
        (world.d92.id, next_month.isoformat(), theme): (1, 2, 2000),  # once per département
    }
    structures = {(t.structure_id, t.month.isoformat()): (t.departement_id, t.vouchers, t.cents)
                  for t in db.session.scalars(select(StructureMonthTally))}
    assert structures == {(world.s78.id, month.isoformat()): (world.d78.id, 2, 2000),
                          (world.s78.id, next_month.isoformat()): (world.d78.id, 1, 1000),
                          (world.s92.id, next_month.isoformat()): (world.d92.id, 2, 2000)}
    db.session.expire_all()
    assert (b78.vouchers_total, b78.vouchers_redeemed) == (10, 3)
    assert (b92.vouchers_total, b92.vouchers_redeemed) == (10, 2)
    assert tallies.differences() == []

    with clock.frozen(boundary + timedelta(hours=1)), unit_of_work():
        undo(mixed.id, actor=world.agent78)
    assert venue_tallies()[(world.d92.id, next_month.isoformat(), theme)] == (0, 0, 0)
    db.session.expire_all()
    assert (b78.vouchers_redeemed, b92.vouchers_redeemed) == (2, 0)
    assert tallies.differences() == []


def test_undo_after_revocation_leaves_the_voucher_revoked(world):
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    redemption = take(world, booklet.vouchers[:1])
    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="stolen", note="")
    with unit_of_work():
        undo(redemption.id, actor=world.agent78)
    db.session.expire_all()
    assert {v.status for v in booklet.vouchers} == {"revoked"}
    assert booklet.vouchers_redeemed == 0
    assert tallies.differences() == []


def test_verify_names_a_wrong_tally_and_rebuild_mends_it(app, world):
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    take(world, booklet.vouchers[:4])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0
    db.session.execute(update(VenueMonthTally).values(cents=VenueMonthTally.cents + 1))
    db.session.execute(update(Booklet).values(vouchers_redeemed=1))
    db.session.commit()
    result = runner.invoke(args=["stats", "verify"])
    assert result.exit_code == 1
    assert "cumul lieu" in result.output and f"chéquier {booklet.id}" in result.output
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert tallies.differences() == [] and booklet.vouchers_redeemed == 4
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0


def test_the_migration_fills_tallies_and_counters_from_existing_rows(app, world):
    """Downgrading below the revision and upgrading again recomputes everything."""
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    workshop = make_workshop(world.venue78, price=2, capacity=5)
    take(world, booklet.vouchers[:2], workshop=workshop)
    take(world, booklet.vouchers[2:3])
    expected, booklet_id = venue_tallies(), booklet.id
    db.session.commit()
    db.session.close()
    flask_migrate.stamp(revision="head")
    flask_migrate.downgrade(revision="352458ad056d")
    flask_migrate.upgrade()
    db.session.close()
    assert venue_tallies() == expected
    assert tallies.differences() == []
    assert db.session.get(Booklet, booklet_id).vouchers_redeemed == 3
