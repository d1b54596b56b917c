"""Shared set-up of the notices' tests: a world frozen on a Monday, consenting people,
booklets handed out from stock, chèques used, jobs run as the jobs command runs them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.booklets.services import hand_out, issue_stock
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.models import OutboxMessage
from passnum.redemptions.services import redeem
from passnum.venues.models import Venue
from tests.factories import World, make_beneficiary

T0 = datetime(2026, 3, 2, 9, 30, tzinfo=PARIS)  # a Monday: the booklets are handed out then
SMS_CONFIG = {"SMS_PROVIDER": "brevo", "SMS_API_KEY": "key", "SMS_SENDER": "PassNum"}


def person(issuer, *, email: str | None = "jeanne@example.org", phone: str | None = None,
           consent: bool = True, **over: Any) -> Beneficiary:
    """A beneficiary of the issuer's structure, with or without consent to messages."""
    contact = {key: value for key, value in (("email", email), ("phone", phone)) if value}
    beneficiary = make_beneficiary(issuer, first_name="Jeanne", **contact, **over)
    with unit_of_work():
        beneficiary = db.session.get(Beneficiary, beneficiary.id)
        beneficiary.messages_consent_at = clock.now() if consent else None
    return beneficiary


def given(world: World, beneficiary: Beneficiary) -> Booklet:
    """A stock booklet of the issuer's structure handed out to ``beneficiary``."""
    with unit_of_work():
        booklet = issue_stock(world.issuer78, world.s78, count=1).booklets[0]
    with unit_of_work():
        return hand_out(world.issuer78, booklet, beneficiary)


def messages(event_prefix: str = "") -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.event_key.startswith(event_prefix))
        .order_by(OutboxMessage.id)))


def use(world: World, booklet: Booklet, count: int) -> None:
    """Redeem ``count`` chèques of the booklet at the world's venue."""
    codes = [v.manual_code for v in db.session.get(Booklet, booklet.id).vouchers[:count]]
    with unit_of_work():
        redeem(codes, venue=world.venue78, workshop=None, actor=world.agent78, channel="test")


def job(function, at: datetime) -> int:
    """Run a job function as the jobs command does: in its own unit of work."""
    with clock.frozen(at), unit_of_work():
        return function(at)


def frozen_world() -> Iterator[World]:
    """The body of each module's ``world`` fixture: a ``World`` built at ``T0`` whose
    venue has a name and an address, the clock frozen at ``T0`` meanwhile."""
    with clock.frozen(T0):
        world = World()
        with unit_of_work():
            venue = db.session.get(Venue, world.venue78.id)
            venue.name, venue.address = "Médiathèque des Sablons", "3 rue des Écoles"
        yield world
