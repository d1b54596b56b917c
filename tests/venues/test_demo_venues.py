"""The demo's venues pass the qualification checks; one application awaits a decision."""

from sqlalchemy import select

from passnum.auth.models import Role, User
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.sample.demo import load_demo
from passnum.venues.models import LabelStatus, Venue, VenueLabelChange
from passnum.venues.validation import check_iban, check_siret


def test_demo_venues_are_valid_and_their_agents_lead_them(app):
    with unit_of_work():
        load_demo()
    venues = db.session.scalars(select(Venue)).all()
    for venue in venues:
        assert check_siret(venue.siret) == venue.siret
        assert check_iban(venue.iban) == venue.iban
    statuses = sorted(v.label_status for v in venues)
    assert statuses.count(LabelStatus.PENDING) == 1
    assert statuses.count(LabelStatus.ACTIVE) == len(venues) - 1
    agents = db.session.scalars(select(User).where(User.role == Role.VENUE_AGENT)).all()
    assert agents and all(agent.is_venue_lead for agent in agents)
    approvals = db.session.scalars(select(VenueLabelChange)).all()
    assert len(approvals) == len(venues) - 1 and all(c.reason for c in approvals)
    with unit_of_work():
        assert load_demo() is False
    assert len(db.session.scalars(select(Venue)).all()) == len(venues)
