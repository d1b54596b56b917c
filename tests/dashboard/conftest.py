"""The indicators' hand-built scene, shared by their tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update

from passnum.beneficiaries import priority_key
from passnum.beneficiaries.models import Beneficiary, beneficiary_priority_publics
from passnum.booklets.models import Booklet
from passnum.booklets.services import issue_stock, revoke_booklet
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.programmes.models import PriorityPublic, Programme
from passnum.redemptions.services import redeem
from passnum.venues.models import Venue
from tests.factories import Role, World, issue, make_beneficiary, make_user, make_venue

T0 = datetime.combine(clock.today() - timedelta(days=60), datetime.min.time(),
                      PARIS).replace(hour=10).astimezone(UTC)
CATEGORIES = {"gender": "female", "social_status": "retired", "commune_insee": "78646",
              "priority_area": "yes"}


def take(vouchers: list[Any], venue: Venue, agent: Any, at: datetime) -> int:
    with clock.frozen(at), unit_of_work():
        return redeem([v.manual_code for v in vouchers], venue=venue, workshop=None,
                      actor=agent, channel="test").id


def person(issuer: Any, **categories: Any) -> Beneficiary:
    """A beneficiary recorded through the service, then given their categories."""
    beneficiary = make_beneficiary(issuer)
    if categories:
        with unit_of_work():
            db.session.execute(update(Beneficiary).where(Beneficiary.id == beneficiary.id)
                               .values(**categories))
    return beneficiary


@pytest.fixture
def scene(app) -> dict[str, Any]:
    """Five people and a stock booklet, issued 60 days ago; chèques used at two venues."""
    world = World()
    venue92 = make_venue(world.d92)
    agent92 = make_user(Role.VENUE_AGENT, venue_id=venue92.id)
    with unit_of_work():
        public = PriorityPublic(programme_id=world.programme.id, code="minima",
                                label="Bénéficiaire des minima sociaux", position=1)
        db.session.add(public)
        db.session.add(PriorityPublic(programme_id=world.programme.id, code="jeune",
                                      label="Jeune sans qualification", position=2))
        db.session.execute(update(Programme).where(Programme.id == world.programme.id)
                           .values(priority_target_percent=30))
    first = person(world.issuer78, birth_date=date(1950, 1, 2), **CATEGORIES)
    with unit_of_work():
        db.session.execute(insert(beneficiary_priority_publics).values(
            beneficiary_id=first.id, priority_public_id=public.id))
        priority_key.rebuild()  # the copy the services keep with the links
    people = [first, person(world.issuer78), person(world.issuer78b),
              person(world.issuer92), person(world.issuer78)]
    with clock.frozen(T0):
        a, b, c, d, e = (issue(world.issuer78 if p.structure_id == world.s78.id else
                               world.issuer78b if p.structure_id == world.s78b.id else
                               world.issuer92, p) for p in people)
        with unit_of_work():
            issue_stock(world.issuer78, world.s78, count=1)
            revoke_booklet(world.issuer78, db.session.get(Booklet, e.id), reason="lost")
    take(a.vouchers[:1], world.venue78, world.agent78, T0 + timedelta(days=3))
    take(b.vouchers, venue92, agent92, T0 + timedelta(days=5))
    take(d.vouchers[:2], world.venue78, world.agent78, T0 + timedelta(days=10))
    take(d.vouchers[2:3], venue92, agent92, T0 + timedelta(days=12))
    return {"world": world, "venue92": venue92, "agent92": agent92, "booklets": (a, b, c, d),
            "people": people}


