"""The indicators: people by category and the booklets' funnel match hand counts on a
hand-built scene (both databases), the first use follows redemptions and their undo,
the age band in SQL is ``categories.age_band``, and the purge keeps every figure."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select, update

from passnum.beneficiaries import priority_key
from passnum.beneficiaries.categories import AgeBand, age_band
from passnum.beneficiaries.models import Beneficiary, ReachTally, beneficiary_priority_publics
from passnum.beneficiaries.retention import months_before, pseudonymise
from passnum.beneficiaries.services import update_beneficiary
from passnum.booklets.models import Booklet
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.dashboard.indicators import Indicators, median, programme_indicators
from passnum.extensions import db
from passnum.programmes.models import PriorityPublic, Programme
from passnum.redemptions.services import undo
from tests.dashboard.conftest import T0, person, take
from tests.factories import World, beneficiary_data, issue, make_programme


def _funnel(row: Any) -> tuple:
    return (row.issued, row.handed_out, row.first_used, row.fully_used, row.expired,
            row.median_days_to_first_use)


def test_the_funnel_matches_hand_counts(scene):
    world = scene["world"]
    found = programme_indicators(world.programme.id)
    # issued: a, b, c, d and the stock booklet (e revoked); used: a (day 3), b (all, day
    # 5), d (day 10)
    assert _funnel(found.funnel) == (5, 4, 3, 1, 0, 5.0)
    by_structure = {row.id: _funnel(row) for row in found.structures}
    assert by_structure == {world.s78.id: (3, 2, 2, 1, 0, 4.0),
                            world.s78b.id: (1, 1, 0, 0, 0, None),
                            world.s92.id: (1, 1, 1, 0, 0, 10.0)}
    by_venue = {row.id: _funnel(row) for row in found.venues}
    assert by_venue == {world.venue78.id: (None, None, 2, 0, 0, 6.5),
                        scene["venue92"].id: (None, None, 1, 1, 0, 5.0)}
    # once every booklet has expired: those with chèques left (a, c, d, the stock one)
    after = max(b.expires_on for b in scene["booklets"]) + timedelta(days=400)
    assert programme_indicators(world.programme.id, day=after).funnel.expired == 4
    # a manager's département: the booklets issued there, used wherever
    only92 = programme_indicators(world.programme.id, departement_id=world.d92.id)
    assert _funnel(only92.funnel) == (1, 1, 1, 0, 0, 10.0)
    assert [row.id for row in only92.venues] == [world.venue78.id]


def test_people_appear_in_each_category(scene):
    world = scene["world"]
    found = programme_indicators(world.programme.id)
    assert found.reached == 5  # the revoked booklet's person was reached too
    counts = {c.key: {n.code: n.people for n in c.counts} for c in found.categories}
    band = age_band(date(1950, 1, 2), (T0.astimezone(PARIS)).date()).value
    assert counts["age_band"][band] == 1 and counts["age_band"][AgeBand.FROM_60_TO_69] == 4
    assert counts["gender"] == {"female": 1, "male": 0, "": 4}
    assert counts["social_status"]["retired"] == 1 and counts["social_status"][""] == 4
    assert counts["priority_area"] == {"yes": 1, "no": 0, "unknown": 0, "": 4}
    assert counts["commune"] == {"78646": 1, "78586": 4, "": 0}  # 78500: Sartrouville
    assert counts["departement"] == {"78": 4, "92": 1}
    assert counts["priority_public"] == {"minima": 1, "jeune": 0}
    assert (found.priority_people, found.priority_share, found.priority_target_percent) \
        == (1, 0.2, 30)
    labels = {n.code: n.label for c in found.categories for n in c.counts}
    assert labels["78646"] == "Versailles (78646)" and labels["female"] == "féminin"
    shares = {c.key: sum(n.share for n in c.counts) for c in found.categories
              if c.key not in ("priority_public",)}
    assert all(abs(total - 1) < 1e-9 for total in shares.values()), shares


def test_priority_publics_count_each_public_and_each_person_once(scene):
    """A person ticking two publics counts once as priority and once in each; a public
    of another programme ticked by someone counts in none of this one's."""
    world = scene["world"]
    jeune = db.session.scalar(select(PriorityPublic.id).where(PriorityPublic.code == "jeune"))
    ticked = db.session.scalars(select(beneficiary_priority_publics.c.beneficiary_id)).one()
    other, third = db.session.scalars(select(Beneficiary.id).where(Beneficiary.id != ticked)
                                      .order_by(Beneficiary.id)).all()[:2]
    elsewhere = make_programme([world.d78])
    with unit_of_work():
        foreign = PriorityPublic(programme_id=elsewhere.id, code="ailleurs",
                                 label="Public d'un autre programme", position=1)
        db.session.add(foreign)
        db.session.flush()
        db.session.execute(insert(beneficiary_priority_publics).values(
            [{"beneficiary_id": ticked, "priority_public_id": jeune},
             {"beneficiary_id": other, "priority_public_id": jeune},
             {"beneficiary_id": third, "priority_public_id": foreign.id}]))
        assert priority_key.rebuild() == 3
    found = programme_indicators(world.programme.id)
    counts = {c.key: {n.code: n.people for n in c.counts} for c in found.categories}
    assert counts["priority_public"] == {"minima": 1, "jeune": 2}
    assert (found.reached, found.priority_people) == (5, 2)


def test_the_copy_of_the_priority_publics_follows_the_form_and_stats_verify_checks_it(
        scene, app):
    world = scene["world"]
    person_ = scene["people"][1]
    with unit_of_work():
        update_beneficiary(world.issuer78, person_, {
            **beneficiary_data(first_name=person_.first_name, last_name=person_.last_name,
                               birth_date=person_.birth_date.isoformat(),
                               postal_code=person_.postal_code),
            "priority_publics": ["jeune", "minima"]})
    ids = sorted(db.session.scalars(select(PriorityPublic.id).where(
        PriorityPublic.programme_id == world.programme.id)))
    assert person_.priority_public_ids == ",".join(map(str, ids))
    assert priority_key.differences() == []
    with unit_of_work():
        db.session.execute(update(Beneficiary).where(Beneficiary.id == person_.id)
                           .values(priority_public_ids=""))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["stats", "verify"])
    assert result.exit_code == 1 and f"bénéficiaire {person_.id}: publics" in result.output
    assert runner.invoke(args=["stats", "rebuild"]).exit_code == 0
    assert runner.invoke(args=["stats", "verify"]).exit_code == 0


def test_first_use_follows_redemptions_and_their_undo(scene):
    world = scene["world"]
    booklet = issue(world.issuer78, person(world.issuer78))
    now = clock.now()
    first = take(booklet.vouchers[:1], scene["venue92"], scene["agent92"], now)
    take(booklet.vouchers[1:2], world.venue78, world.agent78, now + timedelta(minutes=5))
    # an offline basket stamped earlier than the first one becomes the first use
    early = take(booklet.vouchers[2:3], world.venue78, world.agent78,
                 now - timedelta(minutes=5))

    def first_use() -> tuple:
        db.session.expire_all()
        row = db.session.get(Booklet, booklet.id)
        return row.first_used_at, row.first_used_venue_id

    assert first_use() == (now - timedelta(minutes=5), world.venue78.id)
    with clock.frozen(now + timedelta(minutes=6)), unit_of_work():
        undo(early, actor=world.agent78)
    assert first_use() == (now, scene["venue92"].id)
    with clock.frozen(now + timedelta(minutes=7)), unit_of_work():
        undo(first, actor=scene["agent92"])
    assert first_use() == (now + timedelta(minutes=5), world.venue78.id)
    remaining = db.session.scalar(select(Booklet.vouchers_redeemed)
                                  .where(Booklet.id == booklet.id))
    assert remaining == 1


@pytest.mark.parametrize("handed_out", [
    datetime(2025, 1, 14, 23, 30, tzinfo=UTC),  # 00:30 on 15 January in Paris (winter)
    datetime(2025, 7, 14, 22, 30, tzinfo=UTC),  # 00:30 on 15 July in Paris (summer)
    datetime(2025, 3, 30, 0, 30, tzinfo=UTC),   # the night summer time starts
    datetime(2025, 10, 26, 22, 30, tzinfo=UTC),  # the night after it ends
])
def test_the_age_band_in_sql_is_the_categories_one(app, handed_out):
    world = World()
    day = handed_out.astimezone(PARIS).date()
    births = {"seventy today": day.replace(year=day.year - 70),
              "seventy tomorrow": day.replace(year=day.year - 70) + timedelta(days=1),
              "eighteen today": day.replace(year=day.year - 18),
              "born later": day + timedelta(days=1)}
    with unit_of_work():
        db.session.execute(update(Programme).values(starts_on=date(2024, 1, 1)))
    for birth in births.values():
        beneficiary = person(world.issuer78)
        with unit_of_work():
            db.session.execute(update(Beneficiary).where(Beneficiary.id == beneficiary.id)
                               .values(birth_date=birth))
        with clock.frozen(handed_out):
            issue(world.issuer78, beneficiary)
    found = programme_indicators(world.programme.id)
    counts = {n.code: n.people for c in found.categories if c.key == "age_band"
              for n in c.counts if n.people}
    expected: dict[str, int] = {}
    for birth in births.values():
        band = age_band(birth, day)
        code = "" if band == AgeBand.UNKNOWN else band.value
        expected[code] = expected.get(code, 0) + 1
    assert counts == expected


def test_median_of_counted_values():
    from collections import Counter

    assert median(Counter()) is None
    assert median(Counter({3: 1})) == 3
    assert median(Counter({3: 1, 10: 1})) == 6.5
    assert median(Counter({1: 2, 7: 1})) == 1
    assert median(Counter({1: 1, 2: 1, 9: 2})) == 5.5


def _figures(found: Indicators) -> tuple:
    return (found.reached, found.categories, found.priority_people, found.funnel,
            found.structures, found.venues)


def test_the_purge_keeps_every_indicator(scene):
    world = scene["world"]
    programme = db.session.get(Programme, world.programme.id)
    whole = (date(2000, 1, 1), date(2100, 1, 1))
    month = (T0.astimezone(PARIS).date().replace(day=1), T0.astimezone(PARIS).date())
    before = [programme_indicators(programme.id, start=s, end=e, departement_id=d)
              for s, e in (whole, month) for d in (None, world.d78.id)]
    with unit_of_work():
        db.session.execute(update(Programme).where(Programme.id == programme.id).values(
            starts_on=date(2000, 1, 1), ends_on=months_before(clock.today(), 13)))
    ids = [p.id for p in scene["people"]]
    with unit_of_work():
        assert pseudonymise(ids, actor_id=None, retention_months=12) == 5
    db.session.expire_all()
    assert db.session.scalar(select(Beneficiary.gender).where(Beneficiary.id == ids[0])) \
        is None
    assert db.session.scalars(select(ReachTally.people)).all()
    after = [programme_indicators(programme.id, start=s, end=e, departement_id=d)
             for s, e in (whole, month) for d in (None, world.d78.id)]
    assert [_figures(f) for f in after] == [_figures(f) for f in before]
    # a second run changes nothing, the totals included
    tallies = db.session.execute(select(ReachTally)).all()
    with unit_of_work():
        assert pseudonymise(ids, actor_id=None, retention_months=12) == 0
    assert len(db.session.execute(select(ReachTally)).all()) == len(tallies)


def test_stats_verify_reports_and_rebuild_mends_a_wrong_first_use(scene):
    from passnum.redemptions.tallies import differences, rebuild

    a = scene["booklets"][0]
    assert differences() == []
    with unit_of_work():
        db.session.execute(update(Booklet).where(Booklet.id == a.id)
                           .values(first_used_at=None, first_used_venue_id=None))
    assert [p for p in differences() if p.startswith(f"chéquier {a.id}:")]
    with unit_of_work():
        rebuild()
    assert differences() == []
    db.session.expire_all()
    assert db.session.get(Booklet, a.id).first_used_venue_id == scene["world"].venue78.id
