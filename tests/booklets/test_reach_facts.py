"""The day a booklet reached its holder and the holder's age that day: written by the
issue and the hand-out, rewritten when a birth date is corrected, blanked by the
purge, checked and mended by ``stats verify`` / ``rebuild`` (both databases)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import update

from passnum.beneficiaries.categories import AgeBand
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.retention import pseudonymise
from passnum.beneficiaries.services import update_beneficiary
from passnum.booklets import reach_facts
from passnum.booklets.models import Booklet
from passnum.booklets.services import hand_out, issue_stock
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.dashboard.indicators import programme_indicators
from passnum.extensions import db
from passnum.programmes.models import Programme
from tests.factories import World, beneficiary_data, issue, make_beneficiary

# 23:30 UTC on 31 March 2025 is already 1 April in Paris (summer time)
LATE_EVENING = datetime(2025, 3, 31, 22, 30, tzinfo=UTC)


def _ages(world: World) -> dict[str, int]:
    found = programme_indicators(world.programme.id)
    return {n.code: n.people for c in found.categories if c.key == "age_band"
            for n in c.counts if n.people}


def _open_since_2024() -> None:
    with unit_of_work():
        db.session.execute(update(Programme).values(starts_on=date(2024, 1, 1)))


def test_issue_writes_the_paris_day_and_the_age_that_day(app):
    world = World()
    _open_since_2024()
    person = make_beneficiary(world.issuer78, birth_date="1965-04-01")
    with clock.frozen(LATE_EVENING):
        booklet = issue(world.issuer78, person)
    assert (booklet.reached_on, booklet.holder_age) == (date(2025, 4, 1), 60)
    assert reach_facts.differences() == []


def test_a_stock_booklet_is_reached_on_the_day_it_is_handed_out(app):
    world = World()
    _open_since_2024()
    person = make_beneficiary(world.issuer78, birth_date="2007-06-15")
    with clock.frozen(datetime(2025, 1, 10, 9, tzinfo=UTC)), unit_of_work():
        stock = issue_stock(world.issuer78, world.s78, count=1).booklets[0]
    assert (stock.reached_on, stock.holder_age) == (date(2025, 1, 10), None)
    with clock.frozen(datetime(2025, 6, 16, 9, tzinfo=UTC)), unit_of_work():
        hand_out(world.issuer78, stock, person)
    assert (stock.reached_on, stock.holder_age) == (date(2025, 6, 16), 18)
    assert _ages(world) == {AgeBand.FROM_18_TO_24.value: 1}


def test_a_corrected_birth_date_moves_the_person_to_their_band(app):
    world = World()
    _open_since_2024()
    person = make_beneficiary(world.issuer78, birth_date="1990-05-05")
    with clock.frozen(LATE_EVENING):
        issue(world.issuer78, person)
    assert _ages(world) == {AgeBand.FROM_25_TO_39.value: 1}
    with unit_of_work():
        update_beneficiary(world.issuer78, person, {
            **beneficiary_data(first_name=person.first_name, last_name=person.last_name,
                               postal_code=person.postal_code),
            "birth_date": "1955-05-05"})
    assert _ages(world) == {AgeBand.FROM_60_TO_69.value: 1}
    assert reach_facts.differences() == []


def test_the_purge_blanks_the_age_and_keeps_the_day(app):
    world = World()
    _open_since_2024()
    person = make_beneficiary(world.issuer78, birth_date="1980-01-01")
    booklet = issue(world.issuer78, person)
    day = booklet.reached_on
    with unit_of_work():
        assert pseudonymise([person.id], actor_id=None, retention_months=0) == 1
    db.session.expire_all()
    stored = db.session.get(Booklet, booklet.id)
    assert (stored.reached_on, stored.holder_age) == (day, None)
    assert db.session.get(Beneficiary, person.id).birth_date is None
    assert reach_facts.differences() == []


def test_stats_verify_reports_and_rebuild_mends_wrong_reach_facts(app):
    world = World()
    _open_since_2024()
    person = make_beneficiary(world.issuer78, birth_date="1980-01-01")
    with clock.frozen(LATE_EVENING):
        booklet = issue(world.issuer78, person)
    with unit_of_work():
        db.session.execute(update(Booklet).where(Booklet.id == booklet.id)
                           .values(reached_on=date(2025, 3, 31), holder_age=None))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "verify"])
    assert result.exit_code == 1
    assert (f"chéquier {booklet.id}: atteint le 2025-03-31 (âge inconnu) enregistré, le "
            "2025-04-01 (45 ans) d'après ses dates") in result.output
    result = runner.invoke(args=["stats", "rebuild"])
    assert result.exit_code == 0, result.output
    assert "jour et âge d'atteinte corrigés sur 1 chéquier ;" in result.output
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0
    db.session.expire_all()
    stored = db.session.get(Booklet, booklet.id)
    assert (stored.reached_on, stored.holder_age) == (date(2025, 4, 1), 45)
