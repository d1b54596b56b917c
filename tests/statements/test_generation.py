"""Generating statements: totals per venue, paying département and Paris month."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.core.clock import PARIS, paris_day_bounds
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.services import undo
from passnum.statements import queries, services
from passnum.statements.models import Statement, StatementStatus
from passnum.statements.services import generate_all
from tests.statements.helpers import at, build, generate, paris, validate

MARCH, APRIL = date(2024, 3, 1), date(2024, 4, 1)


def _expected() -> dict[tuple[int, int, date], tuple[int, int]]:
    """(venue, paying département, Paris month) → (vouchers, cents), from the lines."""
    sums: dict[tuple[int, int, date], list[int]] = defaultdict(lambda: [0, 0])
    rows = db.session.execute(
        select(Redemption.venue_id, RedemptionLine.departement_id, Redemption.redeemed_at,
               RedemptionLine.value_cents)
        .join(Redemption).where(RedemptionLine.undone_at.is_(None)))
    for venue_id, dep_id, when, cents in rows:
        day = when.astimezone(PARIS).date().replace(day=1)
        sums[(venue_id, dep_id, day)][0] += 1
        sums[(venue_id, dep_id, day)][1] += cents
    return {k: (v[0], v[1]) for k, v in sums.items()}


def test_totals_equal_the_months_redemptions_per_venue_and_paying_departement(app):
    sw = build()
    sw.take("a", paris(2024, 2, 10, 11), "78", "92")
    sw.take("a", paris(2024, 3, 1, 0, 0, 5), "78")
    sw.take("a", paris(2024, 3, 15, 14), "78", "78", "92")
    sw.take("b", paris(2024, 3, 20, 9), "92")
    sw.take("b", paris(2024, 3, 31, 23, 30), "78", "92")
    sw.take("b", paris(2024, 4, 2, 10), "92", "92")
    undone = sw.take("a", paris(2024, 3, 16, 10), "92")
    with at(paris(2024, 3, 16, 11)), unit_of_work():
        undo(undone.id, actor=sw.places["a"].agent)

    for month in (date(2024, 2, 1), MARCH, APRIL):
        with at(paris(month.year, month.month + 1, 3, 8)), unit_of_work():
            generate_all(None, month)

    expected = _expected()
    statements = db.session.scalars(select(Statement)).all()
    got = {(s.venue_id, s.departement_id, s.period_start): (s.voucher_count, s.total_cents)
           for s in statements}
    assert got == expected
    assert len(statements) == 7  # February: 2, March: 4, April: 1
    attached = db.session.scalar(select(func.count()).select_from(RedemptionLine).where(
        RedemptionLine.statement_id.is_not(None)))
    live = db.session.scalar(select(func.count()).select_from(RedemptionLine).where(
        RedemptionLine.undone_at.is_(None)))
    assert attached == live == sum(v[0] for v in expected.values())


@pytest.mark.parametrize(("last", "first"), [
    (paris(2024, 1, 31, 23, 59, 59), paris(2024, 2, 1, 0, 0, 0)),   # winter, UTC+1
    (paris(2024, 3, 31, 23, 59, 59), paris(2024, 4, 1, 0, 0, 0)),   # the day DST starts
    (paris(2024, 10, 31, 23, 59, 59), paris(2024, 11, 1, 0, 0, 0)),  # after DST ends
])
def test_a_voucher_at_the_month_boundary_lands_in_exactly_the_right_statement(app, last,
                                                                              first):
    sw = build()
    before = sw.take("a", last, "78")
    after = sw.take("a", first, "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    month = last.date().replace(day=1)
    assert paris_day_bounds(first.date())[0] == first  # the boundary is Paris midnight

    earlier = generate(sw.world.manager78, venue, dep, month)
    later = generate(sw.world.manager78, venue, dep, first.date().replace(day=1))

    assert (earlier.voucher_count, later.voucher_count) == (1, 1)
    lines = {line.redemption_id: line.statement_id for line in
             db.session.scalars(select(RedemptionLine))}
    assert lines == {before.id: earlier.id, after.id: later.id}


def test_generation_is_idempotent_and_a_draft_follows_new_redemptions(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    first = generate(sw.world.manager78, venue, dep, MARCH, paris(2024, 3, 6, 9))
    assert (first.voucher_count, first.total_cents) == (1, 1000)
    sw.take("a", paris(2024, 3, 7, 10), "78", "78")

    again = generate(sw.world.manager78, venue, dep, MARCH, paris(2024, 3, 8, 9))

    assert again.id == first.id and again.status == StatementStatus.DRAFT
    assert (again.voucher_count, again.total_cents) == (3, 3000)
    assert generate(sw.world.admin, venue, dep, MARCH).voucher_count == 3
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "statement.generated")).all()
    assert len(events) == 3


def test_a_straggler_of_a_validated_month_lands_in_the_next_draft(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    march = validate(sw.world.manager78, generate(sw.world.manager78, venue, dep, MARCH))
    late = sw.take("a", paris(2024, 3, 31, 23, 50), "78")  # committed after the validation

    april = generate(sw.world.manager78, venue, dep, APRIL)

    assert march.voucher_count == 1
    assert april.voucher_count == 1
    assert db.session.scalar(select(RedemptionLine.statement_id).where(
        RedemptionLine.redemption_id == late.id)) == april.id


def test_a_month_whose_draft_is_open_keeps_its_lines(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    march = generate(sw.world.manager78, venue, dep, MARCH, paris(2024, 3, 6, 9))
    sw.take("a", paris(2024, 3, 20, 10), "78")
    sw.take("a", paris(2024, 4, 2, 10), "78")

    april = generate(sw.world.manager78, venue, dep, APRIL)
    march = generate(sw.world.manager78, venue, dep, MARCH)

    assert (march.voucher_count, april.voucher_count) == (2, 1)


def test_refusals_of_generation(app):
    sw = build()
    venue, dep78, dep92 = sw.places["a"].venue, sw.dep("78"), sw.dep("92")
    sw.take("a", paris(2024, 3, 5, 10), "78")
    cases = [
        (sw.world.manager92, dep78, MARCH, "forbidden"),
        (sw.places["a"].agent, dep78, MARCH, "forbidden"),
        (sw.world.issuer78, dep78, MARCH, "forbidden"),
        (sw.world.manager78, dep78, date(2024, 5, 1), "period_not_started"),
        (sw.world.manager92, dep92, MARCH, "nothing_to_state"),
    ]
    for actor, dep, month, code in cases:
        with pytest.raises(DomainError) as err, at(paris(2024, 4, 10, 9)):
            services.generate(actor, venue, dep, month)
        assert err.value.code == code, (actor.role, code)
        db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 0


def test_generate_all_skips_validated_statements_and_empty_pairs(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "92")
    venue = sw.places["a"].venue
    validate(sw.world.manager78, generate(sw.world.manager78, venue, sw.dep("78"), MARCH))
    with at(paris(2024, 4, 3, 8)), unit_of_work():
        results = generate_all(None, MARCH)
    outcomes = sorted((r.departement_id, r.outcome) for r in results)
    assert outcomes == [(sw.dep("78").id, "frozen"), (sw.dep("92").id, "created")]
    assert queries.reference(results[0].statement).startswith("RL-")
