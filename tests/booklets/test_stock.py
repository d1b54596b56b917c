"""Stock booklets printed in bulk, found by their typed number, then handed out."""

import json

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.auth.models import User
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.services import override_duplicate
from passnum.booklets.models import Booklet, BookletStatus
from passnum.booklets.queries import (
    booklet_number,
    booklet_state,
    find_booklet_by_number,
    stock_batch_ids,
    stock_of,
)
from passnum.booklets.services import add_months, hand_out, issue_stock, revoke_booklet
from passnum.core import codes
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Allocation, ProgrammeQuota
from passnum.redemptions.services import check
from tests.booklets.test_issue_race import Outcome, _racer, race
from tests.factories import World, issue, make_beneficiary

WAIT_SECONDS = 60


def stock(actor, structure, count):
    """Issue a stock batch through the service, committed."""
    with unit_of_work():
        return issue_stock(actor, structure, count=count)


def give(actor, booklet, person, **kw):
    """Hand a booklet out through the service, committed."""
    with unit_of_work():
        return hand_out(actor, booklet, person, **kw)


def refused(fn, *args, **kw) -> DomainError:
    """The error code a committed service call is refused with."""
    with pytest.raises(DomainError) as err:
        fn(*args, **kw)
    return err.value


def slots(structure_id: int, departement_id: int) -> tuple[int, int]:
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.structure_id == structure_id))
    quota = db.session.scalar(select(ProgrammeQuota).where(
        ProgrammeQuota.departement_id == departement_id))
    return allocation.booklets_issued, quota.booklets_issued


def booklets_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Booklet))


def test_stock_batch_creates_booklets_without_beneficiary_and_one_audit_event(app):
    world = World()
    batch = stock(world.issuer78, world.s78, 3)
    assert len(batch.booklets) == 3
    expires = min(add_months(today(), 12), world.programme.ends_on)
    for booklet in batch.booklets:
        assert booklet.status == BookletStatus.IN_STOCK and booklet.beneficiary_id is None
        assert booklet.handed_out_at is None and booklet_state(booklet) == "in_stock"
        assert (booklet.valid_from, booklet.expires_on) == (today(), expires)
        assert len(booklet.vouchers) == 10
    assert slots(world.s78.id, world.d78.id) == (3, 3)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "booklet.stock_issued")).all()
    assert len(events) == 1 and events[0].id == batch.event_id
    details = json.loads(events[0].details)
    assert details["count"] == 3
    assert details["numbers"] == [b.number for b in batch.booklets]
    assert [b.id for b in stock_of(world.issuer78, world.s78)] == [b.id for b in batch.booklets]
    assert stock_batch_ids(world.issuer78, batch.event_id) == (
        world.s78, [b.id for b in batch.booklets])
    assert verify().ok


@pytest.mark.parametrize("bad", [0, -1, 201, True])
def test_count_must_be_between_1_and_200(app, bad):
    world = World(allocation=300, quota=300)
    assert refused(stock, world.issuer78, world.s78, bad).code == "invalid_count"
    assert booklets_count() == 0


def test_batch_of_200_is_accepted(app):
    world = World(allocation=200, quota=200)
    assert len(stock(world.issuer78, world.s78, 200).booklets) == 200
    assert slots(world.s78.id, world.d78.id) == (200, 200)


def test_batch_larger_than_the_allocation_left_creates_none(app):
    world = World(allocation=5)
    stock(world.issuer78, world.s78, 3)
    assert refused(stock, world.issuer78, world.s78, 3).code == "allocation_exhausted"
    assert booklets_count() == 3 and slots(world.s78.id, world.d78.id) == (3, 3)
    stock(world.issuer78, world.s78, 2)  # exactly what is left
    assert slots(world.s78.id, world.d78.id) == (5, 5)


def test_batch_larger_than_the_quota_left_creates_none(app):
    world = World(allocation=50, quota=6)
    stock(world.issuer78, world.s78, 4)
    error = refused(stock, world.issuer78b, world.s78b, 3)
    assert error.code == "quota_exhausted"
    assert booklets_count() == 4
    # the allocation's slots went back with the rolled-back transaction
    assert slots(world.s78b.id, world.d78.id) == (0, 4)


def test_scope_of_stock_printing(app):
    world = World()
    assert refused(stock, world.issuer78, world.s78b, 1).code == "not_found"
    assert refused(stock, world.issuer92, world.s78, 1).code == "not_found"
    assert refused(stock, world.agent78, world.s78, 1).code == "forbidden"
    assert refused(stock, world.manager78, world.s78b, 1).code == "forbidden"  # docs/product.md
    stock(world.issuer78b, world.s78b, 1)
    stock(world.admin, world.s92, 1)
    assert booklets_count() == 2


def test_typed_numbers_are_forgiving_and_check_symbol_is_verified(app):
    world = World()
    booklet = stock(world.issuer78, world.s78, 1).booklets[0]
    number = booklet.number
    squashed = number.replace("-", "").lower()
    variants = [number, squashed, f"  {number.lower()}  ", " ".join(number.split("-")),
                number.replace("0", "O").replace("1", "l")]
    for typed in variants:
        assert find_booklet_by_number(world.issuer78, typed).id == booklet.id, typed
    assert booklet_number("78k7m29qx" + codes.check_symbol("K7M29QX")) == \
        f"78-K7M2-9QX{codes.check_symbol('K7M29QX')}"
    body = number.replace("-", "")[2:]
    wrong = next(s for s in codes.ALPHABET if s != body[-1])
    for typed in [f"78-{body[:-1]}{wrong}", "78-K7M2-9QX", "", "78-K7M2-9QX4-ÉÉ", "K7M29QX4"]:
        error = refused(find_booklet_by_number, world.issuer78, typed)
        assert error.code == "invalid_booklet_number", typed
        assert "Numéro de chéquier invalide" in error.message
    assert refused(find_booklet_by_number, world.issuer78b, number).code == "not_found"
    assert refused(find_booklet_by_number, world.manager92, number).code == "not_found"
    assert find_booklet_by_number(world.manager78, squashed).id == booklet.id


def test_vouchers_are_not_activated_until_handed_out(app):
    world = World()
    booklet = stock(world.issuer78, world.s78, 1).booklets[0]
    codes_ = [v.manual_code for v in booklet.vouchers]
    assert {check(c, actor_id=None, channel="test").reason for c in codes_} == {"not_activated"}
    person = make_beneficiary(world.issuer78)
    given = give(world.issuer78, booklet, person)
    assert given.status == BookletStatus.HANDED_OUT and given.beneficiary_id == person.id
    assert given.handed_out_at is not None and booklet_state(given) == "handed_out"
    assert (given.valid_from, given.expires_on) == (booklet.valid_from, booklet.expires_on)
    assert all(check(c, actor_id=None, channel="test").is_valid for c in codes_)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booklet.handed_out"))
    assert event.object_id == str(booklet.id)
    assert json.loads(event.details)["beneficiary_id"] == person.id
    # a hand-out takes no further slot: the booklet was counted when printed
    assert slots(world.s78.id, world.d78.id) == (1, 1)


def test_hand_out_rules(app):
    world = World()
    first, second, third = stock(world.issuer78, world.s78, 3).booklets
    person = make_beneficiary(world.issuer78)
    give(world.issuer78, first, person)
    # the same booklet again, to anyone
    other = make_beneficiary(world.issuer78)
    assert refused(give, world.issuer78, first, other).code == "not_in_stock"
    # a second booklet for the same person
    error = refused(give, world.issuer78, second, person)
    assert error.code == "booklet_already_issued" and first.number in error.message
    # a person who already got a booklet directly
    issued = make_beneficiary(world.issuer78)
    issue(world.issuer78, issued)
    assert refused(give, world.issuer78, second, issued).code == "booklet_already_issued"
    # the same person recorded in another structure, who already has a booklet there
    twin = make_beneficiary(world.issuer92, last_name="Durand", first_name="Léa",
                            birth_date="1960-01-01")
    issue(world.issuer92, twin)
    double = make_beneficiary(world.issuer78, last_name="DURAND", first_name="lea",
                              birth_date="1960-01-01")
    assert refused(give, world.issuer78, second, double).code == "duplicate_beneficiary"
    # an issuer cannot override; a manager sets the duplicate aside, with a reason, on
    # the person's record (managers never hand out), then the issuer hands out
    assert refused(give, world.issuer78, second, double,
                   override_reason="autre personne").code == "duplicate_beneficiary"
    assert refused(give, world.manager78, second, double,
                   override_reason="Homonyme vérifié").code == "forbidden"
    with unit_of_work():
        override_duplicate(world.manager78, double, reason="Homonyme vérifié")
    give(world.issuer78, second, double)
    assert db.session.get(Booklet, second.id).duplicate_override_reason == "Homonyme vérifié"
    # scope: another structure's booklet, or a person of another structure
    stranger = make_beneficiary(world.issuer78b)
    assert refused(give, world.issuer78b, third, stranger).code == "not_found"
    assert refused(give, world.issuer78, third, stranger).code == "not_found"
    assert refused(give, world.admin, third, stranger).code == "other_structure"
    assert refused(give, world.manager92, third, other).code == "forbidden"
    # a revoked stock booklet cannot be handed out
    with unit_of_work():
        revoke_booklet(world.issuer78, db.session.get(Booklet, third.id), reason="lost")
    assert refused(give, world.issuer78, third, other).code == "not_in_stock"
    assert db.session.get(Booklet, third.id).beneficiary_id is None


def _hand_out_racer(app: Flask, actor_id: int, booklet_id: int, person_id: int,
                    ) -> Outcome:
    """Hand a booklet out in this thread's own app context and session."""
    with app.app_context():
        actor = db.session.get(User, actor_id)
        booklet = db.session.get(Booklet, booklet_id)
        person = db.session.get(Beneficiary, person_id)
        _ = person.structure.departement_id, booklet.programme.ends_on
        db.session.commit()
        _racer.active = True  # from here on the racers meet at the barrier
        try:
            with unit_of_work():
                return Outcome(booklet_id=hand_out(actor, booklet, person).id)
        except DomainError as err:
            return Outcome(code=err.code)
        finally:
            _racer.active = False


def _race_hand_outs(app: Flask, entrants: list[tuple[int, int, int]], at: str) -> list[Outcome]:
    """Run one hand-out per ``(actor_id, booklet_id, person_id)`` at once."""
    return race(app, entrants, at=at, contender=_hand_out_racer)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_hand_outs_of_one_booklet_give_one_success_on_postgres(app):
    world = World()
    for _ in range(3):
        booklet = stock(world.issuer78, world.s78, 1).booklets[0]
        people = [make_beneficiary(world.issuer78) for _ in range(2)]
        entrants = [(world.issuer78.id, booklet.id, people[0].id),
                    (world.admin.id, booklet.id, people[1].id)]

        outcomes = _race_hand_outs(app, entrants, at="SELECT booklets.id, booklets.status")

        assert [o.booklet_id for o in outcomes if o.booklet_id] == [booklet.id]
        assert [o.code for o in outcomes if o.code] == ["not_in_stock"]
        db.session.expire_all()
        holder = db.session.get(Booklet, booklet.id).beneficiary_id
        assert holder in {p.id for p in people}
    assert verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_booklets_for_one_person_at_once_give_one_on_postgres(app):
    world = World()
    first, second = stock(world.issuer78, world.s78, 2).booklets
    person = make_beneficiary(world.issuer78)
    entrants = [(world.issuer78.id, first.id, person.id),
                (world.admin.id, second.id, person.id)]

    outcomes = _race_hand_outs(app, entrants, at="SELECT beneficiaries.id")

    assert len([o for o in outcomes if o.booklet_id]) == 1
    assert [o.code for o in outcomes if o.code] == ["booklet_already_issued"]
    assert db.session.scalar(select(func.count()).select_from(Booklet).where(
        Booklet.beneficiary_id == person.id)) == 1
