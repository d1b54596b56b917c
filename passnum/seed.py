"""A generated data set for measuring: ``flask --app passnum seed --scale small|full``.

``full`` is the programme at its real size: 36,000 beneficiaries over four years across
both départements, their booklets (360,000 vouchers), ~60 % of vouchers redeemed within
months of issue, ~2 % of booklets revoked (lost and stolen ones replaced) and the rest
partly expired. ``small`` has the same shape at 1/100 of the size.

Everything is built in memory with precomputed ids and written with bulk inserts in
batches: no ORM object per row and no audit event per row (one ``seed.loaded`` event at
the end). The same ``--seed`` gives the same data set, dated from the day it is loaded.
"""

from __future__ import annotations

import bisect
import calendar
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import click
from flask.cli import with_appcontext
from sqlalchemy import func, select, text

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.services import create_user
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.validation import CONSENT_TEXT_VERSION, identity_key
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.core import codes
from passnum.core.clock import PARIS, now, today
from passnum.core.db import unit_of_work
from passnum.demo import SAMPLE_CODE_HELP, THEMES, enable_sample_second_factor
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.redemptions import tallies
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme

SEED_PASSWORD = "passnum-seed"  # noqa: S105  (generated data for measuring, documented)
SEED_DOMAIN = "seed.passnum.fr"
PROGRAMME_NAME = "Pass numérique 78-92 (données générées)"
FULL_BENEFICIARIES = 36_000
SCALES = {"full": FULL_BENEFICIARIES, "small": FULL_BENEFICIARIES // 100}
DEPARTEMENTS = [("78", "Yvelines", 20_000), ("92", "Hauts-de-Seine", 16_000)]
PROGRAMME_MONTHS = 48
ELAPSED_MONTHS = 45  # the data set is loaded three months before the programme ends
RAMP_UP_MONTHS = 9
VOUCHERS_PER_BOOKLET = 10
VOUCHER_VALUE_CENTS = 1000
VALIDITY_MONTHS = 12
QUOTA_MARGIN = 1.05  # quota above target: room for stock and for browsing the data set
REVOKED_SHARE = 0.02
STOCK_SHARE = 0.005
SAME_DEPARTEMENT_VENUE = 0.85
WORKSHOP_EVERY_DAYS = 14
BATCH = 5000
STRUCTURE_KINDS = ["dgas", "ccas", "mission_locale", "association"]
EXTRA_THEMES = ["Découvrir internet", "Protéger ses données personnelles",
                "Faire ses courses en ligne"]
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Fatou", "Aïcha",
               "Marie", "Nathalie", "Sylvie", "Isabelle", "Hélène", "Amina", "Julie",
               "Lucas", "Hugo", "Thomas", "Nicolas", "Mohamed", "Karim", "Jean", "Pierre",
               "Michel", "Philippe", "Alain", "Bernard", "Moussa", "Éric", "François"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
              "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
              "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
              "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
              "Diallo", "Traoré", "Benali", "Nguyen", "Da Silva", "Haddad", "Kone"]
COMMUNES = {
    "78": [("Versailles", "78000"), ("Sartrouville", "78500"), ("Mantes-la-Jolie", "78200"),
           ("Saint-Quentin-en-Yvelines", "78180"), ("Poissy", "78300"),
           ("Les Mureaux", "78130"), ("Trappes", "78190"), ("Houilles", "78800")],
    "92": [("Nanterre", "92000"), ("Gennevilliers", "92230"),
           ("Boulogne-Billancourt", "92100"), ("Colombes", "92700"),
           ("Asnières-sur-Seine", "92600"), ("Clichy", "92110"), ("Bagneux", "92220"),
           ("Villeneuve-la-Garenne", "92390")],
}
NEEDS = ["Démarches en ligne", "Recherche d'emploi", "Premiers pas", "Smartphone", ""]


Progress = Callable[[str, int, int], None]  # (stage label, units just done, stage total)


def _no_progress(_label: str, _done: int, _total: int) -> None:
    """Progress sink when nobody watches."""


class SeedRefused(RuntimeError):
    """The database is not empty."""


@dataclass
class _Ids:
    """Next id of each table: the database is empty, so ids are assigned here."""

    counters: dict[str, int] = field(default_factory=dict)

    def next(self, table: str) -> int:
        """Return the next id of ``table``."""
        self.counters[table] = self.counters.get(table, 0) + 1
        return self.counters[table]


@dataclass
class _Data:
    """Rows to insert, per model, in foreign-key order."""

    rows: dict[type, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type, row: dict[str, Any]) -> None:
        """Queue one row of ``model``."""
        self.rows.setdefault(model, []).append(row)


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_days(rng: random.Random, starts_on: date, months: int, day: date,
               count: int) -> list[date]:
    """``count`` sorted issue dates over ``months`` months from ``starts_on``, before
    ``day``: a ramp-up over the first months, then a plateau; weekdays only."""
    weights = [min(1.0, (m + 1) / RAMP_UP_MONTHS) * rng.uniform(0.85, 1.15)
               for m in range(months)]
    chosen = rng.choices(range(months), weights=weights, k=count)
    days = []
    for m in chosen:
        first = add_months(starts_on, m)
        last = min(add_months(first, 1) - timedelta(days=1), day - timedelta(days=1))
        issued = first + timedelta(days=rng.randrange((last - first).days + 1))
        while issued.weekday() >= 5:
            issued -= timedelta(days=1)
        days.append(max(issued, starts_on))
    return sorted(days)


def paris_instant(day: date, minutes: int) -> datetime:
    """UTC instant of ``day`` at ``minutes`` past midnight (under 24 h), Paris time."""
    return datetime.combine(day, time(minutes // 60, minutes % 60), PARIS).astimezone(UTC)


class _Codes:
    """Booklet numbers and manual codes from the seeded generator, unique in memory."""

    def __init__(self, rng: random.Random) -> None:
        """Draw symbols from ``rng``."""
        self.rng = rng
        self.seen: set[str] = set()

    def _symbols(self, length: int) -> str:
        """``length`` Crockford symbols from the seeded generator."""
        return "".join(self.rng.choices(codes.ALPHABET, k=length))

    def number(self, departement_code: str) -> str:
        """A booklet number ``78-K7M2-9QX4`` (7 symbols and a check symbol)."""
        while True:
            data = self._symbols(7)
            number = f"{departement_code}-{codes.group(data + codes.check_symbol(data))}"
            if number not in self.seen:
                self.seen.add(number)
                return number

    def manual(self) -> str:
        """A canonical manual code (11 symbols and a check symbol)."""
        while True:
            data = self._symbols(codes.MANUAL_CODE_DATA_LENGTH)
            code = data + codes.check_symbol(data)
            if code not in self.seen:
                self.seen.add(code)
                return code


class _Generator:
    """Builds the whole data set in memory from one random generator."""

    def __init__(self, beneficiaries: int, rng_seed: int, day: date, at: datetime) -> None:
        """Size, seed, the load day (Paris) and instant (UTC)."""
        self.rng = random.Random(rng_seed)  # noqa: S311  (reproducible test data)
        self.codes = _Codes(self.rng)
        self.ids = _Ids()
        self.data = _Data()
        self.size = beneficiaries
        self.day, self.at = day, at
        self.starts_on = add_months(day.replace(day=1), -ELAPSED_MONTHS)
        self.ends_on = add_months(self.starts_on, PROGRAMME_MONTHS) - timedelta(days=1)
        self.counted: dict[int, int] = {}  # structure id -> booklets counted in allocation
        self.venues: dict[str, list[int]] = {}
        self.workshops: dict[int, tuple[list[datetime], list[tuple[int, int]]]] = {}
        self.dep_ids: dict[str, int] = {}
        self.users: dict[str, int] = {}

    # -- reference data ---------------------------------------------------------------

    def build_reference(self) -> None:
        """Programme, quotas, structures, venues, themes and workshops."""
        self.programme_id = self.ids.next("programmes")
        factor = self.size / FULL_BENEFICIARIES
        self.targets = {code: max(1, round(target * factor)) for code, _, target in DEPARTEMENTS}
        # adjust so that the targets add up to the number of beneficiaries
        self.targets["78"] += self.size - sum(self.targets.values())
        self.data.add(Programme, {
            "id": self.programme_id, "name": PROGRAMME_NAME, "starts_on": self.starts_on,
            "ends_on": self.ends_on, "target_beneficiaries": self.size,
            "budget_cents": self.size * VOUCHERS_PER_BOOKLET * VOUCHER_VALUE_CENTS,
            "vouchers_per_booklet": VOUCHERS_PER_BOOKLET,
            "voucher_value_cents": VOUCHER_VALUE_CENTS, "validity_months": VALIDITY_MONTHS,
            "created_at": self.at,
        })
        self.structures: dict[str, list[int]] = {}
        n_structures = min(30, max(6, self.size // 1200))
        n_venues = min(60, max(6, self.size // 600))
        for code, _name, _target in DEPARTEMENTS:
            share = self.targets[code] / self.size
            self.structures[code] = [self._structure(code, i)
                                     for i in range(max(2, round(n_structures * share)))]
            self.venues[code] = [self._venue(code, i)
                                 for i in range(max(2, round(n_venues * share)))]
        self.theme_ids = []
        for name in [*THEMES, *EXTRA_THEMES]:
            self.theme_ids.append(self.ids.next("workshop_themes"))
            self.data.add(WorkshopTheme, {"id": self.theme_ids[-1], "name": name,
                                          "is_active": True})
        for venue_ids in self.venues.values():
            for venue_id in venue_ids:
                self._workshops(venue_id)

    def _structure(self, code: str, i: int) -> int:
        """One structure of département ``code``; returns its id."""
        structure_id = self.ids.next("structures")
        commune, postal = self.rng.choice(COMMUNES[code])
        kind = STRUCTURE_KINDS[i % len(STRUCTURE_KINDS)]
        label = {"dgas": "DGAS", "ccas": "CCAS", "mission_locale": "Mission locale",
                 "association": "Association numérique"}[kind]
        self.data.add(Structure, {
            "id": structure_id, "name": f"{label} {commune} n° {structure_id}", "kind": kind,
            "departement_id": self.dep_ids[code], "address": f"{i + 1} place de la Mairie",
            "postal_code": postal, "commune": commune, "is_active": True,
            "created_at": self.at,
        })
        self.counted[structure_id] = 0
        return structure_id

    def _venue(self, code: str, i: int) -> int:
        """One labelled venue of département ``code``; returns its id."""
        venue_id = self.ids.next("venues")
        commune, postal = self.rng.choice(COMMUNES[code])
        kind = ["Médiathèque", "Espace numérique", "Centre social"][i % 3]
        self.data.add(Venue, {
            "id": venue_id, "slug": f"lieu-{code}-{venue_id}", "name": f"{kind} de {commune}",
            "departement_id": self.dep_ids[code], "address": f"{i + 2} rue de la République",
            "postal_code": postal, "commune": commune, "siret": f"{21000000000000 + venue_id}",
            "legal_representative": "Direction de l'établissement",
            "services": "Ateliers collectifs, accompagnement individuel", "phone": "",
            "label_status": LabelStatus.ACTIVE.value, "label_changed_at": self.at,
            "charter_accepted_at": self.at, "created_at": self.at,
        })
        return venue_id

    def _workshops(self, venue_id: int) -> None:
        """A workshop every two weeks or so over the whole programme."""
        starts: list[datetime] = []
        details: list[tuple[int, int]] = []
        day = self.starts_on + timedelta(days=self.rng.randrange(WORKSHOP_EVERY_DAYS))
        while day <= self.ends_on:
            workshop_id = self.ids.next("workshops")
            theme_id = self.rng.choice(self.theme_ids)
            price = self.rng.choice((1, 1, 2, 2, 3))
            starts_at = paris_instant(day, self.rng.choice((570, 840)))
            self.data.add(Workshop, {
                "id": workshop_id, "venue_id": venue_id, "theme_id": theme_id,
                "title": f"Atelier n° {workshop_id}", "description": "",
                "starts_at": starts_at, "duration_minutes": 120, "capacity": 12,
                "price_vouchers": price, "cancelled_at": None, "created_at": self.at,
            })
            starts.append(starts_at)
            details.append((workshop_id, price))
            day += timedelta(days=WORKSHOP_EVERY_DAYS + self.rng.randrange(-2, 3))
        self.workshops[venue_id] = (starts, details)

    # -- people, booklets, redemptions --------------------------------------------------

    def issue_days(self, count: int) -> list[date]:
        """Issue dates of the whole programme so far (see ``issue_days``)."""
        return issue_days(self.rng, self.starts_on, ELAPSED_MONTHS, self.day, count)

    def build_people(self, users: dict[str, int], progress: Progress) -> None:
        """Beneficiaries, their booklets and vouchers, redemptions and revocations."""
        self.users = users
        people = [code for code, _, _ in DEPARTEMENTS for _ in range(self.targets[code])]
        self.rng.shuffle(people)
        days = self.issue_days(len(people))
        for n, (code, day) in enumerate(zip(people, days, strict=True), 1):
            if n % 1000 == 0 or n == len(people):
                progress("Génération des données", n % 1000 or 1000, len(people))
            structure_id = self.rng.choice(self.structures[code])
            issued_at = paris_instant(day, self.rng.randrange(540, 1050))
            beneficiary_id = self._beneficiary(structure_id, issued_at)
            self._booklet(code, structure_id, beneficiary_id, issued_at, None, None)
        for code, structure_ids in self.structures.items():
            # recently printed stock, not handed out yet
            for _ in range(max(2, round(self.targets[code] * STOCK_SHARE))):
                day = self.day - timedelta(days=self.rng.randrange(1, 30))
                self._booklet(code, self.rng.choice(structure_ids), None, paris_instant(day, 600),
                              None, None)

    def _beneficiary(self, structure_id: int, issued_at: datetime) -> int:
        """One person, registered (with consent) just before the booklet; returns the id."""
        beneficiary_id = self.ids.next("beneficiaries")
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        birth = date(1940, 1, 1) + timedelta(days=self.rng.randrange(65 * 365))
        created = issued_at - timedelta(minutes=self.rng.randrange(5, 60))
        self.data.add(Beneficiary, {
            "id": beneficiary_id, "structure_id": structure_id, "first_name": first,
            "last_name": last, "birth_date": birth,
            "postal_code": self._postal(structure_id), "phone": None, "email": None,
            "need": self.rng.choice(NEEDS), "identity_key": identity_key(last, first, birth),
            "consent_at": created, "consent_text_version": CONSENT_TEXT_VERSION,
            "duplicate_override_reason": None, "eligibility_override_reason": None,
            "created_by_id": self.users.get(f"issuer-{structure_id}"), "created_at": created,
            "pseudonymised_at": None,
        })
        return beneficiary_id

    def _postal(self, structure_id: int) -> str:
        """A postal code of the structure's département."""
        code = next(c for c, ids in self.structures.items() if structure_id in ids)
        return self.rng.choice(COMMUNES[code])[1]

    def _booklet(self, code: str, structure_id: int, beneficiary_id: int | None,
                 issued_at: datetime, replaces: int | None, expires_on: date | None,
                 moved: Sequence[dict[str, Any]] = ()) -> None:
        """One booklet, its vouchers and their fate (redeemed, revoked, left to expire).

        A replacement (``replaces``) carries one voucher per ``moved`` (revoked) voucher.
        """
        booklet_id = self.ids.next("booklets")
        number = self.codes.number(code)
        day = issued_at.astimezone(PARIS).date()
        expires_on = expires_on or min(add_months(day, VALIDITY_MONTHS), self.ends_on)
        stock = beneficiary_id is None
        if replaces is None:
            self.counted[structure_id] += 1
        revoked_at = None
        if not stock and replaces is None and self.rng.random() < REVOKED_SHARE:
            revoked_at = issued_at + timedelta(days=self.rng.randrange(3, 150),
                                               hours=self.rng.randrange(1, 6))
            revoked_at = revoked_at if revoked_at < self.at else None
        reason = None
        if revoked_at is not None:
            reason = self.rng.choices(("lost", "stolen", "cancelled"), (45, 35, 20))[0]
        status = (BookletStatus.IN_STOCK if stock else
                  BookletStatus.REVOKED if revoked_at else BookletStatus.HANDED_OUT)
        row = {
            "id": booklet_id, "number": number, "programme_id": self.programme_id,
            "structure_id": structure_id, "departement_id": self.dep_ids[code],
            "beneficiary_id": beneficiary_id, "status": status.value, "valid_from": day,
            "expires_on": expires_on, "issued_at": issued_at,
            "issued_by_id": self.users.get(f"issuer-{structure_id}"),
            "handed_out_at": None if stock else issued_at, "printed_count": 1,
            "revoked_at": revoked_at, "revoke_reason": reason,
            "revoke_note": "" if reason else None, "replaces_booklet_id": replaces,
            "duplicate_override_reason": None,
            "vouchers_total": len(moved) if replaces else VOUCHERS_PER_BOOKLET,
            "vouchers_redeemed": 0,
        }
        self.data.add(Booklet, row)
        sources = moved if replaces else [None] * VOUCHERS_PER_BOOKLET
        for position, source in enumerate(sources, 1):
            self.data.add(Voucher, {
                "id": self.ids.next("vouchers"), "booklet_id": booklet_id, "position": position,
                "serial": f"{number}-{position:02d}", "manual_code": self.codes.manual(),
                "value_cents": source["value_cents"] if source else VOUCHER_VALUE_CENTS,
                "status": VoucherStatus.ISSUED.value, "redeemed_at": None, "revoked_at": None,
                "replaces_voucher_id": source["id"] if source else None,
            })
        if stock:
            return
        limit = min(revoked_at or self.at, self.at,
                    datetime.combine(expires_on + timedelta(days=1), time.min, PARIS))
        mine = self.data.rows[Voucher][-len(sources):]
        used = self._redeem(code, mine, issued_at, limit)
        row["vouchers_redeemed"] = used
        if revoked_at is None:
            return
        for voucher in mine[used:]:
            voucher.update(status=VoucherStatus.REVOKED.value, revoked_at=revoked_at)
        if reason != "cancelled" and used < len(mine):  # nothing revoked: nothing to replace
            replaced_at = revoked_at + timedelta(days=self.rng.randrange(1, 8))
            if replaced_at < self.at:
                self._booklet(code, structure_id, beneficiary_id, replaced_at, booklet_id,
                              expires_on, mine[used:])

    def _redeem(self, code: str, vouchers: list[dict[str, Any]], issued_at: datetime,
                limit: datetime) -> int:
        """Redeem the first vouchers of a booklet in groups at venues; return how many."""
        wanted = min(self.rng.choices((0, 10, self.rng.randint(1, 9)), (12, 35, 53))[0],
                     len(vouchers))
        home = self._pick_venue(code)
        at, used = issued_at, 0
        while used < wanted:
            venue_id = home if self.rng.random() < 0.7 else self._pick_venue(code)
            at += timedelta(days=self.rng.randrange(2, 45))
            starts, details = self.workshops[venue_id]
            i = bisect.bisect_left(starts, at)
            workshop_id, count = None, 1
            if i < len(starts) and self.rng.random() < 0.85:
                workshop_id, count = details[i]
                at = starts[i]
            if count > wanted - used:
                workshop_id, count = None, wanted - used
            if at >= limit:
                break
            taken = vouchers[used:used + count]
            self._redemption(venue_id, workshop_id, [v["id"] for v in taken], at, code)
            for voucher in taken:
                voucher.update(status=VoucherStatus.REDEEMED.value, redeemed_at=at)
            used += count
        return used

    def _pick_venue(self, code: str) -> int:
        """A venue, mostly of the same département."""
        if self.rng.random() < SAME_DEPARTEMENT_VENUE:
            return self.rng.choice(self.venues[code])
        other = [c for c in self.venues if c != code]
        return self.rng.choice(self.venues[self.rng.choice(other)])

    def _redemption(self, venue_id: int, workshop_id: int | None, voucher_ids: list[int],
                    at: datetime, code: str) -> None:
        """One redemption and its lines, paid by the booklet's département."""
        redemption_id = self.ids.next("redemptions")
        self.data.add(Redemption, {
            "id": redemption_id, "venue_id": venue_id, "workshop_id": workshop_id,
            "actor_id": self.users[f"agent-{venue_id}"], "idempotency_key": None,
            "redeemed_at": at, "undone_at": None, "undone_by_id": None,
        })
        for voucher_id in voucher_ids:
            self.data.add(RedemptionLine, {
                "id": self.ids.next("redemption_lines"), "redemption_id": redemption_id,
                "voucher_id": voucher_id, "departement_id": self.dep_ids[code],
                "value_cents": VOUCHER_VALUE_CENTS, "undone_at": None, "statement_id": None,
                "created_at": at,
            })

    def quotas_and_allocations(self) -> None:
        """Counters equal to the booklets counted; allocations and quotas leave room."""
        for code, _name, _target in DEPARTEMENTS:
            target = self.targets[code]
            issued = sum(self.counted[s] for s in self.structures[code])
            self.data.add(ProgrammeQuota, {
                "id": self.ids.next("programme_quotas"), "programme_id": self.programme_id,
                "departement_id": self.dep_ids[code], "target_beneficiaries": target,
                "budget_cents": target * VOUCHERS_PER_BOOKLET * VOUCHER_VALUE_CENTS,
                "booklet_quota": max(issued, round(target * QUOTA_MARGIN)),
                "booklets_issued": issued,
            })
            for structure_id in self.structures[code]:
                counted = self.counted[structure_id]
                self.data.add(Allocation, {
                    "id": self.ids.next("allocations"), "programme_id": self.programme_id,
                    "structure_id": structure_id, "booklets_issued": counted,
                    "booklets_allocated": counted + counted * 3 // 100, "updated_at": self.at,
                })


INSERT_ORDER = [Programme, Structure, Venue, WorkshopTheme, Workshop, ProgrammeQuota,
                Allocation, Beneficiary, Booklet, Voucher, Redemption, RedemptionLine]


def _is_empty() -> bool:
    """True when no programme, structure, venue, user or beneficiary exists."""
    return not any(db.session.scalar(select(func.count()).select_from(model))
                   for model in (Programme, Departement, Structure, Venue, User, Beneficiary))


def _create_accounts(dep_ids: dict[str, int]) -> None:
    """Départements first (accounts refer to them), then the admin and managers."""
    admin = create_user(email=f"admin@{SEED_DOMAIN}", password=SEED_PASSWORD,
                        role=Role.ADMIN.value, full_name="Administrateur (données générées)")
    enable_sample_second_factor(admin)
    for code, _name, _target in DEPARTEMENTS:
        manager = create_user(email=f"manager{code}@{SEED_DOMAIN}", password=SEED_PASSWORD,
                              role=Role.MANAGER.value, departement_id=dep_ids[code],
                              full_name=f"Gestionnaire {code}")
        enable_sample_second_factor(manager)


def _bulk_users(gen: _Generator) -> tuple[dict[str, int], list[dict[str, Any]]]:
    """One issuer per structure and one agent per venue, sharing the seed password."""
    password_hash = db.session.scalar(
        select(User.password_hash).where(User.email == f"admin@{SEED_DOMAIN}"))
    first_id = (db.session.scalar(select(func.max(User.id))) or 0) + 1
    users, rows = {}, []
    owners = [("issuer", s, "structure_id") for ids in gen.structures.values() for s in ids]
    owners += [("agent", v, "venue_id") for ids in gen.venues.values() for v in ids]
    for offset, (kind, owner_id, column) in enumerate(owners):
        users[f"{kind}-{owner_id}"] = first_id + offset
        rows.append({
            "id": first_id + offset, "email": f"{kind}-{column[0]}{owner_id}@{SEED_DOMAIN}",
            "full_name": f"{'Travailleur social' if kind == 'issuer' else 'Agent'} {owner_id}",
            "password_hash": password_hash,
            "role": Role.ISSUER.value if kind == "issuer" else Role.VENUE_AGENT.value,
            "departement_id": None, "structure_id": None, "venue_id": None,
            column: owner_id, "is_active_account": True,
            "created_at": gen.at,
        })
    return users, rows


def _sqlite_value(value: Any) -> Any:
    """A Python value as SQLAlchemy stores it in SQLite (naive UTC text for instants)."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def _insert(model: type, rows: list[dict[str, Any]], advance: Callable[[int], None]) -> None:
    """Bulk insert ``rows`` in batches on the session's connection (same transaction).

    The DBAPI is used directly: COPY on PostgreSQL, ``executemany`` on SQLite. Going
    through SQLAlchemy's per-value processing made loading 360,000 vouchers several
    times slower. Every row of a model carries the same keys.
    """
    if not rows:
        return
    table, columns = model.__table__.name, list(rows[0])
    names = ", ".join(columns)
    cursor = db.session.connection().connection.cursor()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    statement = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"  # noqa: S608
    for start in range(0, len(rows), BATCH):
        batch = rows[start:start + BATCH]
        if postgres:
            with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in batch:
                    copy.write_row([row[c] for c in columns])
        else:
            cursor.executemany(statement, [[_sqlite_value(row[c]) for c in columns]
                                           for row in batch])
        advance(len(batch))
    cursor.close()


def _reset_sequences(models: list[type]) -> None:
    """PostgreSQL: move each id sequence past the ids assigned here."""
    if db.session.get_bind().dialect.name != "postgresql":
        return
    for model in models:
        table = model.__tablename__
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
            f"(SELECT COALESCE(MAX(id), 1) FROM {table}))"))


def seed(*, beneficiaries: int, rng_seed: int = 1,
         progress: Progress = _no_progress) -> dict[str, int]:
    """Generate the data set into an empty database (flushes, never commits).

    ``beneficiaries`` sets the size (36,000 is the real programme); the same
    ``rng_seed`` yields the same data. Raises ``SeedRefused`` on a non-empty database.
    Returns the number of rows written per table.
    """
    if not _is_empty():
        raise SeedRefused("La base contient déjà des données : données générées non chargées. "
                          "Utilisez une base vide.")
    if db.session.get_bind().dialect.name == "sqlite":
        # one large transaction: keep the index pages in memory rather than spill them
        db.session.execute(text("PRAGMA cache_size = -262144"))
    at = now().replace(microsecond=0)
    gen = _Generator(beneficiaries, rng_seed, today(), at)
    for code, name, _target in DEPARTEMENTS:
        dep = Departement(code=code, name=name)
        db.session.add(dep)
        db.session.flush()
        gen.dep_ids[code] = dep.id
    gen.build_reference()
    for model in (Programme, Structure, Venue):
        _insert(model, gen.data.rows.pop(model), lambda _n: None)
    _create_accounts(gen.dep_ids)
    users, user_rows = _bulk_users(gen)
    _insert(User, user_rows, lambda _n: None)
    gen.build_people(users, progress)
    gen.quotas_and_allocations()
    _create_browsing_accounts(gen, users)
    total = sum(len(gen.data.rows.get(m, [])) for m in INSERT_ORDER)
    for model in INSERT_ORDER:
        _insert(model, gen.data.rows.get(model, []),
                lambda n: progress("Écriture des données", n, total))
    _reset_sequences([*INSERT_ORDER, User])
    progress("Cumuls du tableau de bord", 0, 1)
    tallies.rebuild()
    progress("Cumuls du tableau de bord", 1, 1)
    counts = {model.__tablename__: len(gen.data.rows.get(model, [])) for model in INSERT_ORDER}
    counts["structures"] = sum(len(ids) for ids in gen.structures.values())
    counts["venues"] = sum(len(ids) for ids in gen.venues.values())
    counts["programmes"] = 1
    counts["users"] = db.session.scalar(select(func.count()).select_from(User))
    record("seed.loaded", actor_id=None, object_type="programme", object_id=gen.programme_id,
           details={"seed": rng_seed, **counts})
    return counts


def _create_browsing_accounts(gen: _Generator, users: dict[str, int]) -> None:
    """Name one issuer and one venue agent per département like the demo does."""
    for code, _name, _target in DEPARTEMENTS:
        aliases = {f"issuer{code}": users[f"issuer-{gen.structures[code][0]}"],
                   f"venue{code}": users[f"agent-{gen.venues[code][0]}"]}
        for alias, user_id in aliases.items():
            db.session.execute(
                User.__table__.update().where(User.id == user_id)
                .values(email=f"{alias}@{SEED_DOMAIN}"))


def seed_accounts() -> list[tuple[str, str]]:
    """The logins of the generated data set and what they are."""
    return [
        (f"admin@{SEED_DOMAIN}", "administrateur du syndicat"),
        (f"manager78@{SEED_DOMAIN}", "gestionnaire DGAS des Yvelines"),
        (f"manager92@{SEED_DOMAIN}", "gestionnaire DGAS des Hauts-de-Seine"),
        (f"issuer78@{SEED_DOMAIN}", "travailleur social d'une structure des Yvelines"),
        (f"issuer92@{SEED_DOMAIN}", "travailleur social d'une structure des Hauts-de-Seine"),
        (f"venue78@{SEED_DOMAIN}", "agent d'un lieu des Yvelines"),
        (f"venue92@{SEED_DOMAIN}", "agent d'un lieu des Hauts-de-Seine"),
    ]


class _Bars:
    """One ``click.progressbar`` per stage of the seed."""

    def __init__(self) -> None:
        """No bar until the first report."""
        self.label: str | None = None
        self.bar: Any = None

    def __call__(self, label: str, done: int, total: int) -> None:
        """Advance the bar of ``label``, opening it (and closing the previous) if new."""
        if label != self.label:
            self.close()
            self.label, self.bar = label, click.progressbar(length=total, label=label)
            self.bar.__enter__()
        self.bar.update(done)

    def close(self) -> None:
        """Close the current bar, if any."""
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@click.command("seed")
@click.option("--scale", type=click.Choice(sorted(SCALES)), default="small", show_default=True,
              help="full : le programme à sa taille réelle ; small : 1/100.")
@click.option("--seed", "rng_seed", type=int, default=1, show_default=True,
              help="Graine du générateur : même graine, mêmes données.")
@with_appcontext
def seed_command(scale: str, rng_seed: int) -> None:
    """Load a generated data set into an empty database, with a progress bar."""
    bars = _Bars()
    try:
        with unit_of_work():
            counts = seed(beneficiaries=SCALES[scale], rng_seed=rng_seed, progress=bars)
    except SeedRefused as err:
        raise click.ClickException(str(err)) from None
    finally:
        bars.close()
    # fresh planner statistics: the tables grew from nothing in one transaction
    with unit_of_work():
        db.session.execute(text("ANALYZE"))
    click.echo(f"Données générées : {counts['beneficiaries']} bénéficiaires, "
               f"{counts['booklets']} chéquiers, {counts['vouchers']} chèques, "
               f"{counts['redemption_lines']} chèques encaissés.")
    click.echo(f"Comptes (mot de passe : {SEED_PASSWORD}) :")
    for email, what in seed_accounts():
        click.echo(f"  {email:<30} {what}")
    click.echo(SAMPLE_CODE_HELP)
