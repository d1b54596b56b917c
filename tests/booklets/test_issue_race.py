"""Issuers racing for the last slot of an allocation or quota get exactly one booklet.

Each racer is a real thread with its own app context, session and database connection.
On PostgreSQL a barrier holds every racer just before its conditional UPDATE, so they
all run it together: one takes the row, the others wait for its commit and then find
the slot gone. On SQLite, ``BEGIN IMMEDIATE`` serialises the racers' transactions; the
test proves that none of them fails with "database is locked" instead of a refusal.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from passnum.audit.services import verify
from passnum.auth.models import Role, User
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.booklets.services import issue_booklet
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Allocation, ProgrammeQuota
from tests.factories import World, make_beneficiary, make_user

ROUNDS = 5
WAIT_SECONDS = 60  # a racer stuck this long is a deadlock: the test fails, never hangs

_racer = threading.local()


@dataclass
class Outcome:
    """What one racer got: a booklet, a refusal code, or an unexpected error."""

    booklet_id: int | None = None
    code: str | None = None
    error: str | None = None


def _issue(app: Flask, issuer_id: int, beneficiary_id: int,
           start: threading.Barrier | None) -> Outcome:
    """Issue one booklet in this thread's own app context and session."""
    _racer.active = True
    with app.app_context():
        actor = db.session.get(User, issuer_id)
        beneficiary = db.session.get(Beneficiary, beneficiary_id)
        db.session.commit()  # end this read transaction: on SQLite it holds the lock
        if start is not None:
            start.wait()
        try:
            with unit_of_work():
                return Outcome(booklet_id=issue_booklet(actor, beneficiary).id)
        except DomainError as err:
            return Outcome(code=err.code)


@contextmanager
def barrier_before(statement_prefix: str, barrier: threading.Barrier) -> Iterator[None]:
    """Make each racer wait for the others right before it runs ``statement_prefix``."""

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(_racer, "active", False) and statement.lstrip().startswith(statement_prefix):
            barrier.wait()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)


def race(app: Flask, entrants: list[tuple[int, ...]], *, at: str | None = None,
         contender: Callable[..., Outcome] | None = None) -> list[Outcome]:
    """Run one thread per ``(issuer_id, beneficiary_id)`` at once; return their outcomes.

    With ``at`` the racers meet right before that SQL statement (PostgreSQL); without
    it they meet before starting their transactions (SQLite, where a transaction holds
    the write lock from its first statement). ``contender(app, *entrant)`` replaces
    issuing with another operation; it must set ``_racer.active`` and needs ``at``.
    """
    db.session.commit()  # the test's own session must hold no lock while they race
    barrier = threading.Barrier(len(entrants), timeout=WAIT_SECONDS)
    outcomes: list[Outcome] = [Outcome() for _ in entrants]

    def run(index: int, *entrant: int) -> None:
        try:
            outcomes[index] = (contender(app, *entrant) if contender else
                               _issue(app, *entrant, None if at else barrier))
        except Exception as err:  # reported by the assertions below, with its type
            outcomes[index] = Outcome(error=f"{type(err).__name__}: {err}")

    threads = [threading.Thread(target=run, args=(i, *entrant), name=f"racer-{i}")
               for i, entrant in enumerate(entrants)]
    with barrier_before(at, barrier) if at else nullcontext():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    assert [o.error for o in outcomes if o.error] == []
    return outcomes


def _winners_and_codes(outcomes: list[Outcome]) -> tuple[list[int], list[str]]:
    winners = [o.booklet_id for o in outcomes if o.booklet_id is not None]
    return winners, sorted(o.code for o in outcomes if o.code is not None)


def _allocation(structure_id: int) -> Allocation:
    return db.session.scalar(select(Allocation).where(Allocation.structure_id == structure_id))


def _booklets_of(**where: int) -> int:
    query = select(func.count()).select_from(Booklet).filter_by(**where)
    return db.session.scalar(query)


def _allocation_race(app: Flask, *, at: str | None) -> None:
    """Each round opens one more slot in a structure; two of its issuers race for it."""
    world = World()
    issuers = [world.issuer78, make_user(Role.ISSUER, structure_id=world.s78.id)]
    for _ in range(ROUNDS):
        allocation = _allocation(world.s78.id)
        allocation.booklets_allocated = allocation.booklets_issued + 1
        db.session.commit()
        entrants = [(issuer.id, make_beneficiary(issuer).id) for issuer in issuers]

        winners, codes = _winners_and_codes(race(app, entrants, at=at))

        assert len(winners) == 1
        assert codes == ["allocation_exhausted"]
        db.session.expire_all()
        allocation = _allocation(world.s78.id)
        assert allocation.booklets_issued == allocation.booklets_allocated
        assert _booklets_of(structure_id=world.s78.id) == allocation.booklets_issued
    assert _allocation(world.s78.id).booklets_issued == ROUNDS
    assert verify().ok  # concurrent appends did not fork the audit chain


def _quota_race(app: Flask, *, at: str | None) -> None:
    """Each round opens one more slot in the département's quota; two structures race."""
    world = World(allocation=ROUNDS * 2)
    issuers = [world.issuer78, world.issuer78b]
    quota = db.session.scalar(select(ProgrammeQuota).where(
        ProgrammeQuota.departement_id == world.d78.id))
    quota_id = quota.id
    for _ in range(ROUNDS):
        quota = db.session.get(ProgrammeQuota, quota_id)
        quota.booklet_quota = quota.booklets_issued + 1
        db.session.commit()
        entrants = [(issuer.id, make_beneficiary(issuer).id) for issuer in issuers]

        winners, codes = _winners_and_codes(race(app, entrants, at=at))

        assert len(winners) == 1
        assert codes == ["quota_exhausted"]
        db.session.expire_all()
        quota = db.session.get(ProgrammeQuota, quota_id)
        assert quota.booklets_issued == quota.booklet_quota
        assert _booklets_of(departement_id=world.d78.id) == quota.booklets_issued
        # the loser's allocation slot was given back with its rolled-back transaction
        taken = sum(_allocation(s.id).booklets_issued for s in (world.s78, world.s78b))
        assert taken == quota.booklets_issued
    assert db.session.get(ProgrammeQuota, quota_id).booklets_issued == ROUNDS
    assert verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_issuers_race_for_the_last_allocation_slot_on_postgres(app: Flask) -> None:
    _allocation_race(app, at="UPDATE allocations")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_structures_race_for_the_last_quota_slot_on_postgres(app: Flask) -> None:
    _quota_race(app, at="UPDATE programme_quotas")


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_three_issuers_race_for_two_slots_on_postgres(app: Flask) -> None:
    """N slots and N + 1 racers: N booklets, one refusal, the allocation exactly full."""
    world = World()
    issuers = [world.issuer78, *(make_user(Role.ISSUER, structure_id=world.s78.id)
                                 for _ in range(2))]
    allocation = _allocation(world.s78.id)
    allocation.booklets_allocated = 2
    db.session.commit()
    entrants = [(issuer.id, make_beneficiary(issuer).id) for issuer in issuers]

    winners, codes = _winners_and_codes(race(app, entrants, at="UPDATE allocations"))

    assert len(set(winners)) == 2
    assert codes == ["allocation_exhausted"]
    db.session.expire_all()
    assert _allocation(world.s78.id).booklets_issued == 2
    assert _booklets_of(structure_id=world.s78.id) == 2


def test_two_issuers_race_for_the_last_allocation_slot_on_sqlite(sqlite_app: Flask) -> None:
    _allocation_race(sqlite_app, at=None)


def test_two_structures_race_for_the_last_quota_slot_on_sqlite(sqlite_app: Flask) -> None:
    _quota_race(sqlite_app, at=None)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_issuers_for_one_person_give_one_booklet_and_a_conflict(app: Flask) -> None:
    """Concurrent issues for one person: one booklet and a clean 409, never a 500."""
    world = World(allocation=5)
    person = make_beneficiary(world.issuer78)
    entrants = [(world.issuer78.id, person.id), (world.admin.id, person.id)]

    winners, codes = _winners_and_codes(race(app, entrants, at="SELECT beneficiaries.id"))

    assert len(winners) == 1
    assert codes == ["booklet_already_issued"]
    assert _booklets_of(beneficiary_id=person.id) == 1
