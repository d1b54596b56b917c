"""draft → validated → paid → archived: every illegal step refused, validated ones frozen."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.redemptions.models import RedemptionLine
from passnum.redemptions.services import undo
from passnum.statements import services
from passnum.statements.models import Statement, StatementAdjustment, StatementStatus
from tests.statements.helpers import at, build, generate, paris, validate

MARCH, APRIL, MAY = date(2024, 3, 1), date(2024, 4, 1), date(2024, 5, 1)
AFTER = paris(2024, 4, 5, 10)


def refused(call, *args, when=AFTER, **kwargs) -> DomainError:
    """Run a service that must refuse; return the error (transaction rolled back)."""
    with pytest.raises(DomainError) as err, at(when), unit_of_work():
        call(*args, **kwargs)
    assert err.value.message and err.value.message[0].isupper()
    return err.value


@pytest.fixture
def march(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "78")
    statement = generate(sw.world.manager78, sw.places["a"].venue, sw.dep("78"), MARCH)
    return sw, statement


def test_every_illegal_transition_is_refused_with_its_code(march):
    sw, statement = march
    m78, m92 = sw.world.manager78, sw.world.manager92
    assert refused(services.mark_paid, m78, statement, date(2024, 4, 5), "MDT-1").code == \
        "illegal_transition"
    assert refused(services.archive, m78, statement).code == "illegal_transition"
    assert refused(services.add_adjustment, m78, statement, 100, "oubli").code == \
        "illegal_transition"
    assert refused(services.validate, m78, statement, when=paris(2024, 3, 31, 23)).code == \
        "period_not_over"
    assert refused(services.validate, m92, statement).code == "forbidden"
    assert refused(services.validate, sw.places["a"].agent, statement).code == "forbidden"

    validate(m78, statement)
    assert refused(services.validate, m78, statement).code == "illegal_transition"
    assert refused(services.generate, m78, statement.venue, statement.departement,
                   MARCH).code == "statement_frozen"
    assert refused(services.archive, m78, statement).code == "illegal_transition"
    assert refused(services.mark_paid, m92, statement, date(2024, 4, 5), "X").code == \
        "forbidden"
    for paid_on, ref, code in [(date(2024, 4, 5), "  ", "invalid_reference"),
                               (date(2024, 4, 5), "x" * 81, "invalid_reference"),
                               (date(2024, 4, 6), "MDT-1", "invalid_paid_on"),
                               (date(2024, 4, 4), "MDT-1", "invalid_paid_on"),
                               (None, "MDT-1", "invalid_paid_on")]:
        assert refused(services.mark_paid, m78, statement, paid_on, ref).code == code

    with at(AFTER), unit_of_work():
        services.mark_paid(m78, statement, date(2024, 4, 5), " MDT-2024-118 ")
    assert refused(services.mark_paid, m78, statement, date(2024, 4, 5), "B").code == \
        "illegal_transition"
    assert refused(services.validate, m78, statement).code == "illegal_transition"
    with at(AFTER), unit_of_work():
        services.archive(sw.world.admin, statement)
    assert refused(services.archive, m78, statement).code == "illegal_transition"

    db.session.expire_all()
    final = db.session.get(Statement, statement.id)
    assert final.status == StatementStatus.ARCHIVED
    assert final.payment_reference == "MDT-2024-118" and final.paid_on == date(2024, 4, 5)
    assert (final.voucher_count, final.total_cents) == (2, 2000)
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.object_type == "statement").order_by(AuditEvent.seq)).all()
    assert actions == ["statement.generated", "statement.validated",
                       "statement.paid", "statement.archived"]


def test_validation_brings_the_draft_up_to_date_then_freezes_it(march):
    sw, statement = march
    late = sw.take("a", paris(2024, 3, 31, 23), "78")
    validated = validate(sw.world.manager78, statement, paris(2024, 4, 1, 8))
    assert (validated.voucher_count, validated.total_cents) == (3, 3000)

    # undo within 24 hours is refused once the line is on a validated statement
    with pytest.raises(DomainError) as err, at(paris(2024, 4, 1, 9)), unit_of_work():
        undo(late.id, actor=sw.places["a"].agent)
    assert err.value.code == "statement_validated"

    sw.take("a", paris(2024, 3, 31, 23, 59), "78")  # a straggler: next statement
    with at(AFTER), unit_of_work():
        services.generate_all(None, MARCH)
    db.session.expire_all()
    frozen = db.session.get(Statement, statement.id)
    assert (frozen.voucher_count, frozen.total_cents) == (3, 3000)
    assert db.session.scalar(select(func.count()).select_from(RedemptionLine).where(
        RedemptionLine.statement_id == statement.id)) == 3


def test_undo_of_a_line_in_a_draft_takes_it_off_the_draft(march):
    sw, statement = march
    taken = sw.take("a", paris(2024, 3, 31, 22), "78")
    generate(sw.world.manager78, statement.venue, statement.departement, MARCH,
             paris(2024, 3, 31, 22, 30))
    with at(paris(2024, 4, 1, 8)), unit_of_work():
        undo(taken.id, actor=sw.places["a"].agent)

    validated = validate(sw.world.manager78, statement, paris(2024, 4, 1, 9))

    assert (validated.voucher_count, validated.total_cents) == (2, 2000)


def test_an_empty_draft_cannot_be_validated(app):
    sw = build()
    taken = sw.take("a", paris(2024, 3, 31, 22), "78")
    statement = generate(sw.world.manager78, sw.places["a"].venue, sw.dep("78"), MARCH,
                         paris(2024, 3, 31, 22, 30))
    with at(paris(2024, 4, 1, 8)), unit_of_work():
        undo(taken.id, actor=sw.places["a"].agent)
    assert refused(services.validate, sw.world.manager78, statement).code == \
        "nothing_to_state"


def test_adjustments_land_once_on_the_next_statement(march):
    sw, statement = march
    m78 = sw.world.manager78
    validate(m78, statement)
    for code, args in [("invalid_amount", (0, "oubli")), ("invalid_reason", (500, "  ")),
                       ("invalid_amount", (10**9, "faute de frappe")),
                       ("forbidden", (500, "oubli"))]:
        actor = sw.world.manager92 if code == "forbidden" else m78
        assert refused(services.add_adjustment, actor, statement, *args).code == code
    with at(AFTER), unit_of_work():
        services.add_adjustment(m78, statement, 1000, "Chèque oublié le 12 mars")
        services.add_adjustment(sw.world.admin, statement, -300, "Chèque compté deux fois")

    # April has no voucher, but the adjustments make a statement of their own
    april = generate(m78, statement.venue, statement.departement, APRIL, paris(2024, 4, 6, 9))
    april = generate(m78, statement.venue, statement.departement, APRIL, paris(2024, 4, 7, 9))
    assert (april.voucher_count, april.total_cents, april.adjustment_cents) == (0, 0, 700)
    validate(m78, april, paris(2024, 5, 2, 9))

    assert refused(services.generate, m78, statement.venue, statement.departement, MAY,
                   when=paris(2024, 6, 2, 9)).code == "nothing_to_state"
    adjustments = db.session.scalars(select(StatementAdjustment)).all()
    assert {a.statement_id for a in adjustments} == {april.id}
    assert {a.corrects_statement_id for a in adjustments} == {statement.id}
    assert db.session.get(Statement, statement.id).adjustment_cents == 0
    assert db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "statement.adjustment_added")) == 2
