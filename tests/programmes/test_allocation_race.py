"""Two managers raising allocations at once cannot push the département past its quota."""

from __future__ import annotations

import threading

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.auth.models import User
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Allocation, Programme, Structure
from passnum.programmes.services import set_allocation
from tests.booklets.test_issue_race import _racer, barrier_before
from tests.factories import World, make_user

ROUNDS = 3


def _allot(app: Flask, actor_id: int, structure_id: int, booklets: int,
           results: list[str], index: int) -> None:
    with app.app_context():
        actor = db.session.get(User, actor_id)
        structure = db.session.get(Structure, structure_id)
        programme = db.session.scalar(select(Programme))
        db.session.commit()
        _racer.active = True
        try:
            with unit_of_work():
                set_allocation(actor, programme, structure, booklets=booklets, reason="course")
            results[index] = "ok"
        except DomainError as err:
            results[index] = err.code
        finally:
            _racer.active = False


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_concurrent_allocations_stay_within_the_quota(app: Flask) -> None:
    world = World(allocation=0, quota=100)  # 78 has two structures with 0 each
    second_manager = make_user("manager", departement_id=world.d78.id)
    for round_ in range(ROUNDS):
        for allocation in db.session.scalars(select(Allocation)):
            allocation.booklets_allocated = 0
        db.session.commit()
        results = ["", ""]
        barrier = threading.Barrier(2, timeout=30)
        entrants = [(world.manager78.id, world.s78.id), (second_manager.id, world.s78b.id)]
        # each asks for 60 of the 100: both fit alone, not together
        with barrier_before("SELECT programme_quotas", barrier):
            threads = [threading.Thread(target=_allot, args=(app, actor, structure, 60,
                                                             results, i))
                       for i, (actor, structure) in enumerate(entrants)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(60)
        assert sorted(results) == ["ok", "quota_exceeded"], (round_, results)
        db.session.expire_all()
        allotted = db.session.scalar(
            select(func.sum(Allocation.booklets_allocated))
            .join(Structure, Structure.id == Allocation.structure_id)
            .where(Structure.departement_id == world.d78.id))
        assert allotted == 60
