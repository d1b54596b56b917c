"""The demo with a history: ``flask --app passnum demo``.

The demo set of ``passnum.sample.demo`` is loaded as it stood 18 months ago, then 18 months of
activity are played through the services, one event at a time, with the clock set to
the event's instant: people registered and given a booklet (issued, or handed out from a
structure's stock), vouchers redeemed at venues and their workshops, one booklet lost
and replaced, refused scans, monthly statements generated, validated and paid, one
venue's label suspended. The same rules as the application apply (allocations and
quotas, the audit chain, the dashboard's tallies), so ``stats verify`` and ``audit
verify`` pass. Dates and the random choices come from the seed (``DEMO_SEED``); the
shape of the activity (issue dates, names, communes) is the generated data set's
(``passnum.sample.shapes``).
"""

from __future__ import annotations

import bisect
import heapq
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from passnum.audit.services import record_note
from passnum.auth.models import Role, User
from passnum.auth.services import create_user
from passnum.beneficiaries.services import create_beneficiary
from passnum.beneficiaries.validation import identity_key
from passnum.booklets.models import Booklet, VoucherStatus
from passnum.booklets.services import (
    hand_out,
    issue_booklet,
    issue_replacement,
    issue_stock,
    revoke_booklet,
)
from passnum.communes.reference import communes_for_postal_code
from passnum.core.clock import PARIS, frozen, now, today
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Allocation, Structure
from passnum.programmes.services import set_allocation
from passnum.redemptions.services import redeem
from passnum.sample.demo import DEMO_DOMAIN, DEMO_PASSWORD, load_demo
from passnum.sample.mixes import draw
from passnum.sample.shapes import (
    COMMUNES,
    FIRST_NAMES,
    LAST_NAMES,
    NEEDS,
    SAME_DEPARTEMENT_VENUE,
    WORKSHOP_EVERY_DAYS,
    add_months,
    issue_days,
    paris_instant,
)
from passnum.statements.models import Statement, StatementStatus
from passnum.statements.services import generate_all, mark_paid, validate
from passnum.venues.labels import change_label
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme
from passnum.venues.services import create_workshop

DEMO_SEED = 16
HISTORY_MONTHS = 18
PEOPLE = 250
STOCK_BATCH = 4  # booklets each structure prints for its stock, twice a year
STOCK_SHARE = 0.3  # people given a stock booklet when their structure has one
WORKSHOP_SHARE = 0.85  # redemptions made at a workshop (the others: individual help)
WORKSHOP_CAPACITY = 12
UPCOMING_WORKSHOPS = 4  # per active venue, over the coming weeks
SUSPENDED_DAYS_AGO = 40
REALLOCATION_REASONS = {
    True: "Demande soutenue : allocation complétée sur le quota du département.",
    False: "Redéploiement vers les structures les plus sollicitées.",
}
SUSPENSION_REASON = ("Contrôle du syndicat : attestations de présence manquantes, label "
                     "suspendu dans l'attente des pièces.")


@dataclass
class _Workshop:
    """A workshop of the history: planned first, created three weeks before it starts."""

    venue: int
    starts_at: datetime
    price: int
    theme: int
    seats: int = WORKSHOP_CAPACITY
    row: Workshop | None = None


@dataclass
class _Person:
    """One beneficiary to register, and what becomes of their booklet."""

    structure: int
    issued_at: datetime
    special: str = ""  # "lost": declared lost then replaced
    booklet: Booklet | None = None


@dataclass(order=True)
class _Event:
    at: datetime
    seq: int
    act: Callable[[], object] = field(compare=False)  # what it returns is dropped


class _History:
    """Plans the events and plays them in order, the clock set to each one's instant."""

    def __init__(self, rng_seed: int, day: date, at: datetime) -> None:
        """The real day and instant the demo is loaded."""
        self.rng = random.Random(rng_seed)  # noqa: S311  (reproducible demo data)
        self.mixes = random.Random(rng_seed + 1)  # noqa: S311  (the people's categories)
        self.day, self.at = day, at
        self.starts_on = add_months(day.replace(day=1), -HISTORY_MONTHS)
        self.events: list[_Event] = []
        self.seq = 0
        self.identities: set[str] = set()
        self.stock: dict[int, list[Booklet]] = {}
        users = {u.email.split("@")[0]: u for u in db.session.scalars(
            select(User).where(User.email.like(f"%@{DEMO_DOMAIN}")))}
        self.admin = users["admin"]
        self.managers = {u.departement_id: u for u in users.values() if u.role == Role.MANAGER}
        self.structures = list(db.session.scalars(select(Structure).order_by(Structure.id)))
        self.venues = list(db.session.scalars(
            select(Venue).where(Venue.label_status == LabelStatus.ACTIVE).order_by(Venue.id)))
        self.issuers = {u.structure_id: u for u in users.values() if u.role == Role.ISSUER}
        self.agents = {u.venue_id: u for u in users.values() if u.role == Role.VENUE_AGENT}
        self.themes = list(db.session.scalars(select(WorkshopTheme.id)))
        # the last venue of the Hauts-de-Seine has its label suspended near the end
        self.suspended = self.venues[-1]
        self.suspended_at = paris_instant(day - timedelta(days=SUSPENDED_DAYS_AGO), 600)
        self.workshops: dict[int, list[_Workshop]] = {}

    # -- the event queue ------------------------------------------------------------------

    def at_time(self, at: datetime, act: Callable[[], object]) -> None:
        """Queue ``act`` at ``at``; what would happen after the real now never happens."""
        if at < self.at:
            self.seq += 1
            heapq.heappush(self.events, _Event(at, self.seq, act))

    def play(self) -> None:
        """Run the events in time order, each with the clock at its instant."""
        while self.events:
            event = heapq.heappop(self.events)
            with frozen(event.at):
                event.act()

    # -- plan -----------------------------------------------------------------------------

    def plan(self) -> None:
        """Workshops, stock printing, people, a suspension, the statements' workflow."""
        # first of all, so that every venue's scans are its own agent's
        self.at_time(datetime.combine(self.starts_on, datetime.min.time(), PARIS),
                     self._front_desks)
        for index, venue in enumerate(self.venues):
            self._plan_workshops(index, venue)
        for structure in self.structures:
            for months in (0, HISTORY_MONTHS // 3, 2 * HISTORY_MONTHS // 3):
                day = _weekday(add_months(self.starts_on, months))
                self.at_time(paris_instant(day, 540), self._printer(structure))
        days = issue_days(self.rng, self.starts_on, HISTORY_MONTHS, self.day, PEOPLE)
        lost_day, lost = self.day - timedelta(days=200), False
        for day in days:
            person = _Person(self.rng.randrange(len(self.structures)),
                             paris_instant(day, self.rng.randrange(540, 1050)))
            if day >= lost_day and not lost:
                # the first person registered about seven months ago loses their booklet
                person.structure, person.special, lost = 0, "lost", True
            self.at_time(person.issued_at, self._registration(person))
        self.at_time(self.suspended_at, self._suspension)
        for months, share in ((HISTORY_MONTHS // 2, 40), (HISTORY_MONTHS - 4, 20)):
            at = paris_instant(_weekday(add_months(self.starts_on, months)), 660)
            for structure in self.structures:
                self.at_time(at, self._reallocation(structure, share))
        month = self.starts_on
        while month < self.day.replace(day=1):
            self._plan_statements(month)
            month = add_months(month, 1)

    def _plan_workshops(self, index: int, venue: Venue) -> None:
        """A workshop every two weeks or so, each created three weeks ahead."""
        day = self.starts_on + timedelta(days=self.rng.randrange(WORKSHOP_EVERY_DAYS))
        planned = []
        while day < self.day:
            starts = paris_instant(_weekday(day), self.rng.choice((570, 840)))
            if venue is self.suspended and starts >= self.suspended_at:
                break
            planned.append(_Workshop(index, starts, self.rng.choice((1, 1, 2, 2, 3)),
                                     self.rng.choice(self.themes)))
            day += timedelta(days=WORKSHOP_EVERY_DAYS + self.rng.randrange(-2, 3))
        self.workshops[index] = planned
        first = datetime.combine(self.starts_on, datetime.min.time(), PARIS)
        for workshop in planned:
            created = max(workshop.starts_at - timedelta(days=21), first)
            self.at_time(created, self._workshop_creation(venue, workshop))

    def _plan_statements(self, month: date) -> None:
        """The month's statements: generated, validated, then paid, early next month."""
        after = add_months(month, 1)
        self.at_time(paris_instant(_weekday(after + timedelta(days=1)), 540),
                     lambda: generate_all(self.admin, month))
        self.at_time(paris_instant(_weekday(after + timedelta(days=2)), 600),
                     lambda: self._settle(month, paid=False))
        self.at_time(paris_instant(_weekday(after + timedelta(days=18)), 600),
                     lambda: self._settle(month, paid=True))

    # -- actions --------------------------------------------------------------------------

    def _issuer(self, structure: Structure) -> User:
        """The structure's demo issuer, or the administrator where the demo has none."""
        return self.issuers.get(structure.id, self.admin)

    def _agent(self, venue: Venue) -> User:
        """The venue's agent (``_front_desks`` gave one to every venue)."""
        return self.agents[venue.id]

    def _front_desks(self) -> None:
        """An agent account for each venue the demo gives none: only a venue's own
        agents take vouchers there."""
        for venue in self.venues:
            if venue.id not in self.agents:
                self.agents[venue.id] = create_user(
                    email=f"accueil-{venue.slug}@{DEMO_DOMAIN}", password=DEMO_PASSWORD,
                    role=Role.VENUE_AGENT.value, full_name="Accueil", venue_id=venue.id,
                    actor_id=self.admin.id)

    def _printer(self, structure: Structure) -> Callable[[], None]:
        def act() -> None:
            batch = issue_stock(self._issuer(structure), structure, count=STOCK_BATCH)
            self.stock.setdefault(structure.id, []).extend(batch.booklets)
        return act

    def _workshop_creation(self, venue: Venue, workshop: _Workshop) -> Callable[[], None]:
        def act() -> None:
            theme = db.session.get_one(WorkshopTheme, workshop.theme)
            workshop.row = create_workshop(
                self._agent(venue), venue, theme_id=workshop.theme, title=theme.name,
                description="Atelier collectif, matériel fourni.",
                starts_at=workshop.starts_at, duration_minutes=120,
                capacity=WORKSHOP_CAPACITY, price_vouchers=workshop.price)
        return act

    def _registration(self, person: _Person) -> Callable[[], None]:
        def act() -> None:
            structure = self.structures[person.structure]
            actor = self._issuer(structure)
            beneficiary = create_beneficiary(actor, self._identity(structure, person.issued_at),
                                             structure_id=structure.id)
            stock = self.stock.get(structure.id)
            if stock and self.rng.random() < STOCK_SHARE:
                person.booklet = hand_out(actor, stock.pop(0), beneficiary)
            else:
                person.booklet = issue_booklet(actor, beneficiary)
            if person.special == "lost":
                self._plan_loss(person, structure)
            else:
                self._plan_redemptions(person, structure, person.booklet, person.issued_at)
        return act

    def _identity(self, structure: Structure, at: datetime) -> dict[str, object]:
        """A consenting person living in the structure's département, never met before,
        with the category mix of ``mixes`` for the day they are reached."""
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            birth = date(1940, 1, 1) + timedelta(days=self.rng.randrange(65 * 365))
            key = identity_key(last, first, birth)
            if key not in self.identities:
                self.identities.add(key)
                break
        commune = self.rng.choice(COMMUNES[structure.departement.code])
        # the categories come from their own generator: the history stays the same
        mix = draw(self.mixes, commune[1], at.astimezone(PARIS).date(), birth)
        return {"first_name": first, "last_name": last, "birth_date": birth.isoformat(),
                "postal_code": commune[1], "commune_insee": _insee(*commune),
                "phone": mix.phone or "", "email": mix.email or "",
                "gender": mix.gender, "social_status": mix.social_status,
                "priority_area": mix.priority_area,
                "priority_publics": list(mix.priority_publics),
                "messages_consent": mix.messages_consent,
                "need": self.rng.choice(NEEDS), "consent": True}

    def _plan_redemptions(self, person: _Person, structure: Structure, booklet: Booklet,
                          start: datetime, wanted: int | None = None) -> None:
        """Vouchers used in groups at venues until the wanted number or the expiry."""
        if wanted is None:
            wanted = self.rng.choices((0, 10, self.rng.randint(1, 9)), (12, 35, 53))[0]
        wanted = min(wanted, booklet.vouchers_total)
        limit = min(paris_instant(booklet.expires_on, 1200), self.at)
        home = self._pick_venue(structure)
        at, planned = start, 0
        while planned < wanted:
            venue = home if self.rng.random() < 0.7 else self._pick_venue(structure)
            at += timedelta(days=self.rng.randrange(2, 45))
            if venue is self.suspended and at >= self.suspended_at:
                venue = self.venues[0]
            workshop, count, when = self._seat(venue, at, wanted - planned)
            if when >= limit:
                break
            at = when
            self.at_time(when, self._redemption(person, booklet, venue, workshop, count))
            planned += count

    def _seat(self, venue: Venue, at: datetime, left: int
              ) -> tuple[_Workshop | None, int, datetime]:
        """The next workshop at ``venue`` with a seat and a price within ``left``, or
        individual help on the day (one voucher or more)."""
        planned = self.workshops[self.venues.index(venue)]
        i = bisect.bisect_left([w.starts_at for w in planned], at)
        if i < len(planned) and self.rng.random() < WORKSHOP_SHARE:
            workshop = planned[i]
            if workshop.seats > 0 and workshop.price <= left:
                workshop.seats -= 1
                return workshop, workshop.price, workshop.starts_at + timedelta(minutes=5)
        when = paris_instant(_weekday(at.astimezone(PARIS).date()),
                             self.rng.randrange(600, 1020))
        return None, self.rng.randint(1, min(2, left)), when

    def _pick_venue(self, structure: Structure) -> Venue:
        """A venue, mostly of the person's département."""
        code = structure.departement.code
        same = [v for v in self.venues if v.departement.code == code]
        other = [v for v in self.venues if v.departement.code != code]
        return self.rng.choice(same if self.rng.random() < SAME_DEPARTEMENT_VENUE else other)

    def _redemption(self, person: _Person, booklet: Booklet, venue: Venue,
                    workshop: _Workshop | None, count: int) -> Callable[[], None]:
        def act() -> None:
            left = sorted((v for v in booklet.vouchers if v.status == VoucherStatus.ISSUED),
                          key=lambda v: v.position)
            if len(left) < count:
                return
            redeem([v.manual_code for v in left[:count]], venue=venue,
                   workshop=workshop.row if workshop else None, actor=self._agent(venue),
                   channel="api")
        return act

    def _plan_loss(self, person: _Person, structure: Structure) -> None:
        """Three vouchers used, the booklet lost, replaced, the replacement used, and a
        scan of a lost voucher refused at the venue."""
        booklet, start = person.booklet, person.issued_at
        assert booklet is not None
        self._plan_redemptions(person, structure, booklet, start, wanted=3)
        lost_at = start + timedelta(days=60)
        actor = self._issuer(structure)

        def declare() -> None:
            revoke_booklet(actor, booklet, reason="lost",
                           note="Sac perdu dans les transports, déclaré par la personne.")

        def replace() -> None:
            replacement = issue_replacement(actor, booklet)
            self._plan_redemptions(person, structure, replacement, now(), wanted=2)

        lost_voucher = booklet.vouchers[-1]
        self.at_time(lost_at, declare)
        self.at_time(lost_at + timedelta(days=3), replace)
        self.at_time(lost_at + timedelta(days=5, hours=2),
                     lambda: self._refused_scan(self.venues[0], lost_voucher.manual_code))

    def _refused_scan(self, venue: Venue, code: str) -> None:
        """A scan the rules refuse: rolled back, its audit note kept (as at the edge)."""
        try:
            with db.session.begin_nested():
                redeem([code], venue=venue, workshop=None, actor=self._agent(venue),
                       channel="api")
        except DomainError as err:
            if err.audit is not None:
                record_note(err.audit)

    def _reallocation(self, structure: Structure, share: int) -> Callable[[], None]:
        """The département's manager moves allocations towards the busiest structures."""
        def act() -> None:
            allocation = db.session.scalars(select(Allocation).where(
                Allocation.structure_id == structure.id)).one()
            busy = allocation.booklets_issued * 100 // allocation.booklets_allocated >= share
            booklets = allocation.booklets_allocated + (50 if busy else -20)
            set_allocation(self.managers[structure.departement_id], allocation.programme,
                           structure, booklets=booklets,
                           reason=REALLOCATION_REASONS[busy])
        return act

    def _suspension(self) -> None:
        manager = self.managers[self.suspended.departement_id]
        change_label(manager, self.suspended, "suspend", SUSPENSION_REASON)

    def _settle(self, month: date, *, paid: bool) -> None:
        """Validate the month's drafts, or record their payment."""
        wanted = StatementStatus.VALIDATED if paid else StatementStatus.DRAFT
        statements = db.session.scalars(
            select(Statement).where(Statement.period_start == month,
                                    Statement.status == wanted).order_by(Statement.id))
        for statement in statements:
            manager = self.managers[statement.departement_id]
            if paid:
                mark_paid(manager, statement, today(),
                          f"VIR-{month:%Y%m}-{statement.venue_id:03d}")
            else:
                validate(manager, statement)

    # -- the present ----------------------------------------------------------------------

    def finish(self) -> None:
        """At the real instant: an already-used voucher scanned, stock on the shelf,
        today's and upcoming workshops, this month's drafts."""
        used = db.session.scalars(
            select(Booklet).where(Booklet.vouchers_redeemed == Booklet.vouchers_total)
            .order_by(Booklet.id)).first()
        if used is not None:
            self._refused_scan(self.venues[0], used.vouchers[0].manual_code)
        for structure in self.structures[:2]:
            self._printer(structure)()
        # today's workshop, for the scanner, when the day leaves time for one
        today_at = max(paris_instant(self.day, 840), self.at + timedelta(hours=1))
        for index, venue in enumerate(self.venues):
            if venue is self.suspended:
                continue
            if today_at.astimezone(PARIS).date() == self.day:
                self._workshop_creation(venue, _Workshop(index, today_at, 1, self.themes[0]))()
            for n in range(UPCOMING_WORKSHOPS):
                day = _weekday(self.day + timedelta(days=2 + 7 * n + index))
                workshop = _Workshop(index, paris_instant(day, (570, 840)[n % 2]),
                                     1 + n % 3, self.rng.choice(self.themes))
                self._workshop_creation(venue, workshop)()
        generate_all(self.admin, self.day.replace(day=1))


def _weekday(day: date) -> date:
    """``day``, or the Monday after when it falls on a weekend."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def load_demo_with_history(rng_seed: int = DEMO_SEED) -> bool:
    """Load the demo as it stood 18 months ago, then play its history up to now.

    Returns False when the demo is already there; raises ``DemoRefused`` on a database
    holding other data (see ``load_demo``). Flushes, never commits.
    """
    at, day = now(), today()
    start = add_months(day.replace(day=1), -HISTORY_MONTHS)
    with frozen(paris_instant(start, 480)):
        if not load_demo(day):
            return False
        history = _History(rng_seed, day, at)
        history.plan()
    history.play()
    history.finish()
    return True


def _insee(name: str, postal_code: str) -> str | None:
    """The code INSEE of the commune ``name`` among those of ``postal_code`` (a postal
    code such as 78200 serves several communes); None when the reference lacks it."""
    found = [c.insee for c in communes_for_postal_code(postal_code) if c.name == name]
    return found[0] if found else None
