"""Two desks (or a desk and a scanner) racing for a workshop's last seat: exactly one
gets it, on both databases.

Each racer is a real thread with its own app context, session and database connection.
On PostgreSQL a barrier holds every racer right before it locks the workshop's row, so
they all ask for it together: one takes it, the others wait for its commit and then
find the workshop full. On SQLite, ``BEGIN IMMEDIATE`` serialises the transactions: the
racers meet before starting theirs, and none fails with "database is locked".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select

from passnum.audit.services import verify
from passnum.auth.models import Role, User
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Voucher
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.redemptions.models import Redemption
from passnum.redemptions.services import redeem
from passnum.venues.bookings import book
from passnum.venues.capacity import seats_taken
from passnum.venues.models import Venue, Workshop, WorkshopBooking
from tests.factories import World, issue, make_beneficiary, make_user, make_workshop

ROUNDS = 4
WAIT_SECONDS = 60  # a racer stuck this long is a deadlock: the test fails, never hangs

_racer = threading.local()


def _is_workshop_lock(statement: str) -> bool:
    return "FROM workshops" in statement and statement.rstrip().endswith("FOR UPDATE")


@contextmanager
def meeting_at_the_workshop_lock(barrier: threading.Barrier) -> Iterator[None]:
    """Hold each racer right before it locks the workshop's row, until all are there."""

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if getattr(_racer, "waiting", False) and _is_workshop_lock(statement):
            _racer.waiting = False
            barrier.wait()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)


def _booking(app: Flask, actor_id: int, beneficiary_id: int, workshop_id: int
             ) -> Callable[[], object]:
    """A racer's act: book the workshop for that person."""
    def act() -> object:
        actor = db.session.get(User, actor_id)
        return book(actor, db.session.get(Beneficiary, beneficiary_id),
                    db.session.get(Workshop, workshop_id))
    return act


def _scan(app: Flask, actor_id: int, voucher_id: int, workshop_id: int) -> Callable[[], object]:
    """A racer's act: redeem one voucher for the workshop."""
    def act() -> object:
        actor = db.session.get(User, actor_id)
        workshop = db.session.get(Workshop, workshop_id)
        code = db.session.get(Voucher, voucher_id).manual_code
        return redeem([code], venue=db.session.get(Venue, workshop.venue_id),
                      workshop=workshop, actor=actor, channel="test")
    return act


def race(app: Flask, backend: str, acts: list[Callable[[Flask], Callable[[], object]]]
         ) -> list[str]:
    """Run the acts at once, one thread each; return each one's "ok" or refusal code."""
    db.session.commit()  # the test's own session holds no lock while they race
    barrier = threading.Barrier(len(acts), timeout=WAIT_SECONDS)
    outcomes = ["unfinished"] * len(acts)

    def run(index: int) -> None:
        with app.app_context():
            act = acts[index](app)
            try:
                if backend == "postgres":
                    _racer.waiting = True
                else:
                    barrier.wait()
                with unit_of_work():
                    act()
                outcomes[index] = "ok"
            except DomainError as err:
                outcomes[index] = err.code
            except Exception as err:  # reported by the assertion below, with its type
                outcomes[index] = f"{type(err).__name__}: {err}"

    threads = [threading.Thread(target=run, args=(i,), name=f"racer-{i}")
               for i in range(len(acts))]
    with meeting_at_the_workshop_lock(barrier):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS * 2)
    assert not any(thread.is_alive() for thread in threads), "a racer never finished"
    return sorted(outcomes)


@pytest.fixture
def world(app):
    world = World()
    world.issuer78bis = make_user(Role.ISSUER, structure_id=world.s78.id)
    return world


def test_two_desks_race_for_the_last_seat(app, backend, world):
    for _ in range(ROUNDS):
        workshop = make_workshop(world.venue78, capacity=1, days=1)
        people = [make_beneficiary(world.issuer78) for _ in range(2)]
        acts = [lambda a, u=user.id, p=person.id, w=workshop.id: _booking(a, u, p, w)
                for user, person in zip((world.issuer78, world.issuer78bis), people,
                                        strict=True)]

        assert race(app, backend, acts) == ["ok", "workshop_full"]

        db.session.expire_all()
        assert seats_taken(workshop.id) == 1
        assert db.session.scalar(select(func.count()).select_from(WorkshopBooking).where(
            WorkshopBooking.workshop_id == workshop.id)) == 1
    assert verify().ok  # concurrent appends did not fork the audit chain


def test_a_desk_and_a_scanner_race_for_the_last_seat(app, backend, world):
    # ids read here: a racer touching the test's own objects would use its session
    issuer_id, agent_id = world.issuer78.id, world.agent78.id
    for _ in range(ROUNDS):
        workshop = make_workshop(world.venue78, capacity=1)
        booked_person = make_beneficiary(world.issuer78)
        holder = make_beneficiary(world.issuer78)
        voucher = issue(world.issuer78, holder).vouchers[0]
        acts = [lambda a, p=booked_person.id, w=workshop.id: _booking(a, issuer_id, p, w),
                lambda a, v=voucher.id, w=workshop.id: _scan(a, agent_id, v, w)]

        outcomes = race(app, backend, acts)

        assert outcomes == ["ok", "workshop_full"], outcomes
        db.session.expire_all()
        redeemed = db.session.scalar(select(func.count()).select_from(Redemption).where(
            Redemption.workshop_id == workshop.id, Redemption.undone_at.is_(None)))
        bookings = db.session.scalar(select(func.count()).select_from(WorkshopBooking).where(
            WorkshopBooking.workshop_id == workshop.id))
        assert redeemed + bookings == 1 == seats_taken(workshop.id)
    assert verify().ok
