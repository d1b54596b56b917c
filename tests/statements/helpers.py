"""Statement test data: a world frozen in 2024, vouchers redeemed at chosen Paris times."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime

from passnum.auth.models import Role, User
from passnum.booklets.models import Voucher
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.programmes.models import Departement
from passnum.redemptions.models import Redemption
from passnum.redemptions.services import redeem
from passnum.statements import services
from passnum.statements.models import Statement
from passnum.venues.models import Venue, Workshop
from tests.factories import World, issue, make_beneficiary, make_user, make_venue

START = datetime(2024, 1, 2, 10, 0, tzinfo=PARIS)  # the world is built then


def paris(*args: int) -> datetime:
    """An aware datetime in Paris time."""
    return datetime(*args, tzinfo=PARIS)


@contextmanager
def at(when: datetime) -> Iterator[None]:
    """Freeze the clock at ``when``."""
    with clock.frozen(when):
        yield


@dataclass
class Place:
    """A venue and its agent."""

    venue: Venue
    agent: User


@dataclass
class StatementWorld:
    """Two départements, two venues (one in each), a pool of fresh vouchers per département."""

    world: World
    places: dict[str, Place]
    pools: dict[str, list[Voucher]] = field(default_factory=dict)

    def dep(self, code: str) -> Departement:
        """The département of ``code``."""
        return self.world.d78 if code == "78" else self.world.d92

    def voucher(self, code: str) -> Voucher:
        """A fresh voucher paid by département ``code`` (a new booklet when needed)."""
        if not self.pools.get(code):
            issuer = self.world.issuer78 if code == "78" else self.world.issuer92
            with at(START):
                booklet = issue(issuer, make_beneficiary(issuer))
            self.pools[code] = list(booklet.vouchers)
        return self.pools[code].pop(0)

    def take(self, place: str, when: datetime, *deps: str,
             workshop: Workshop | None = None) -> Redemption:
        """Redeem one voucher per code in ``deps`` at venue ``place`` at ``when``."""
        vouchers = [self.voucher(code) for code in deps]
        with at(when), unit_of_work():
            spot = self.places[place]
            return redeem([v.manual_code for v in vouchers], venue=spot.venue,
                          workshop=workshop, actor=spot.agent, channel="test")


def build() -> StatementWorld:
    """The world, built on 2 January 2024 (Paris); vouchers valid for a year."""
    with at(START):
        world = World(allocation=200, quota=400)
        venue92 = make_venue(world.d92)
        places = {"a": Place(world.venue78, world.agent78),
                  "b": Place(venue92, make_user(Role.VENUE_AGENT, venue_id=venue92.id))}
    return StatementWorld(world, places)


def generate(actor: User | None, venue: Venue, dep: Departement, month: date,
             when: datetime | None = None) -> Statement:
    """Generate a statement (committed), at ``when`` (default: the 5th of the next month)."""
    when = when or paris(month.year + month.month // 12, month.month % 12 + 1, 5, 9)
    with at(when), unit_of_work():
        return services.generate(actor, venue, dep, month).statement


def validate(actor: User, statement: Statement, when: datetime | None = None) -> Statement:
    """Validate (committed) on the 5th of the month after the statement's."""
    end = statement.period_end
    with at(when or paris(end.year, end.month, 5, 10)), unit_of_work():
        return services.validate(actor, statement)
