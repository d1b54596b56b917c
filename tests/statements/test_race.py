"""Concurrent generations on PostgreSQL: one statement, no voucher counted twice.

Each racer is a real thread with its own session and connection; a barrier holds them
right before the contended statement so that they really run it together.
"""

from __future__ import annotations

from datetime import date

import pytest
from flask import Flask
from sqlalchemy import func, select

from passnum.audit.services import verify
from passnum.auth.models import User
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.redemptions.models import RedemptionLine
from passnum.statements import services
from passnum.statements.models import Statement
from passnum.venues.models import Venue
from tests.booklets import test_issue_race
from tests.booklets.test_issue_race import Outcome, race
from tests.statements.helpers import at, build, paris

MARCH, APRIL = date(2024, 3, 1), date(2024, 4, 1)
NOW = paris(2024, 4, 10, 9)  # frozen by the test's thread: the clock is process-wide


def _generator(month: dict[int, date]):
    """A contender generating the statement of ``month[index]`` in its own session."""

    def contend(app: Flask, index: int, actor_id: int, venue_id: int, dep_id: int) -> Outcome:
        test_issue_race._racer.active = True
        with app.app_context():
            actor = db.session.get(User, actor_id)
            venue, dep = db.session.get(Venue, venue_id), db.session.get(Departement, dep_id)
            db.session.commit()
            try:
                with unit_of_work():
                    result = services.generate(actor, venue, dep, month[index])
                    return Outcome(booklet_id=result.statement.id,
                                   code="created" if result.created else "updated")
            except DomainError as err:
                return Outcome(code=err.code)

    return contend


def _lines_attached_once(total: int) -> None:
    db.session.expire_all()
    attached = db.session.scalar(select(func.count()).select_from(RedemptionLine).where(
        RedemptionLine.statement_id.is_not(None)))
    counted = db.session.scalar(select(func.sum(Statement.voucher_count)))
    assert attached == counted == total


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_concurrent_generations_of_one_month_make_one_statement(app: Flask) -> None:
    sw = build()
    for day in range(3, 9):
        sw.take("a", paris(2024, 3, day, 10), "78", "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    actors = [sw.world.manager78.id, sw.world.admin.id, sw.world.manager78.id]
    entrants = [(i, actor, venue.id, dep.id) for i, actor in enumerate(actors)]

    with at(NOW):
        outcomes = race(app, entrants, at="INSERT INTO statements",
                        contender=_generator(dict.fromkeys(range(3), MARCH)))

    assert len({o.booklet_id for o in outcomes}) == 1
    assert sorted(o.code for o in outcomes) == ["created", "updated", "updated"]
    assert db.session.scalar(select(func.count()).select_from(Statement)) == 1
    _lines_attached_once(12)
    assert db.session.scalar(select(Statement.total_cents)) == 12_000
    assert verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_concurrent_generations_of_two_months_share_the_lines_without_double_count(
        app: Flask) -> None:
    sw = build()
    for day in range(3, 7):
        sw.take("a", paris(2024, 3, day, 10), "78")
        sw.take("a", paris(2024, 4, day, 10), "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    manager = sw.world.manager78.id
    entrants = [(0, manager, venue.id, dep.id), (1, manager, venue.id, dep.id)]

    with at(NOW):
        outcomes = race(app, entrants, at="SELECT redemptions.id",
                        contender=_generator({0: MARCH, 1: APRIL}))

    assert sorted(o.code for o in outcomes) == ["created", "created"]
    _lines_attached_once(8)


def test_repeated_generations_on_sqlite_make_one_statement(sqlite_app: Flask) -> None:
    """SQLite serialises writers (BEGIN IMMEDIATE): racers simply take turns."""
    sw = build()
    sw.take("a", paris(2024, 3, 3, 10), "78", "78")
    venue, dep = sw.places["a"].venue, sw.dep("78")
    entrants = [(i, sw.world.manager78.id, venue.id, dep.id) for i in range(3)]

    with at(NOW):
        outcomes = race(sqlite_app, entrants,
                        contender=_generator(dict.fromkeys(range(3), MARCH)))

    assert sorted(o.code for o in outcomes) == ["created", "updated", "updated"]
    _lines_attached_once(2)
