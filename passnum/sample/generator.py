"""The data set at scale, built in memory: rows of every table with precomputed ids.

One random generator draws everything in a fixed order, so the same seed gives the same
rows, dated from the load day. ``seed`` writes them (see ``passnum.sample.seed``).
"""

from __future__ import annotations

import bisect
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.priority_key import key_of
from passnum.beneficiaries.validation import CONSENT_TEXT_VERSION, identity_key
from passnum.booklets.models import Booklet, BookletStatus, Voucher, VoucherStatus
from passnum.core import codes
from passnum.core.clock import PARIS
from passnum.extensions import Base
from passnum.programmes.eligibility import age_on
from passnum.programmes.models import (
    Allocation,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.sample.mixes import PRIORITY_PUBLICS, PRIORITY_TARGET_PERCENT, draw
from passnum.sample.profiles import seed_profile
from passnum.sample.shapes import (
    COMMUNES,
    DEPARTEMENTS,
    FIRST_NAMES,
    FULL_BENEFICIARIES,
    LAST_NAMES,
    NEEDS,
    SAME_DEPARTEMENT_VENUE,
    THEMES,
    VALIDITY_MONTHS,
    VOUCHER_VALUE_CENTS,
    VOUCHERS_PER_BOOKLET,
    WORKSHOP_EVERY_DAYS,
    add_months,
    issue_days,
    paris_instant,
)
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme

VENUE_KINDS = ("Médiathèque", "Espace numérique", "Centre social")

PROGRAMME_NAME = "Pass numérique 78-92 (données générées)"
PROGRAMME_MONTHS = 48
ELAPSED_MONTHS = 45  # the data set is loaded three months before the programme ends
QUOTA_MARGIN = 1.05  # quota above target: room for stock and for browsing the data set
REVOKED_SHARE = 0.02
STOCK_SHARE = 0.005
STRUCTURE_KINDS = ["dgas", "ccas", "mission_locale", "association"]
EXTRA_THEMES = ["Découvrir internet", "Protéger ses données personnelles",
                "Faire ses courses en ligne"]

Progress = Callable[[str, int, int], None]  # (stage label, units just done, stage total)


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

    rows: dict[type[Base], list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, model: type[Base], row: dict[str, Any]) -> None:
        """Queue one row of ``model``."""
        self.rows.setdefault(model, []).append(row)



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


class Generator:
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
            "priority_target_percent": PRIORITY_TARGET_PERCENT, "created_at": self.at,
        })
        self.publics: dict[str, int] = {}
        for position, (code, label) in enumerate(PRIORITY_PUBLICS, 1):
            self.publics[code] = self.ids.next("priority_publics")
            self.data.add(PriorityPublic, {
                "id": self.publics[code], "programme_id": self.programme_id, "code": code,
                "label": label, "position": position, "is_active": True})
        self.links: list[dict[str, Any]] = []  # beneficiary_priority_publics rows
        self.births: dict[int, date | None] = {}  # birth dates, for the booklets' ages
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
        kind = VENUE_KINDS[i % len(VENUE_KINDS)]
        self.data.add(Venue, {
            "id": venue_id, "slug": f"lieu-{code}-{venue_id}", "name": f"{kind} de {commune}",
            "departement_id": self.dep_ids[code], "address": f"{i + 2} rue de la République",
            "postal_code": postal, "commune": commune, "siret": f"{21000000000000 + venue_id}",
            "legal_representative": "Direction de l'établissement",
            "phone": "", **seed_profile(kind), "profile_updated_at": self.at,
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
        """One person, registered (with consent) just before the booklet, with the
        category mix of ``mixes``; returns the id."""
        beneficiary_id = self.ids.next("beneficiaries")
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        created = issued_at - timedelta(minutes=self.rng.randrange(5, 60))
        postal = self._postal(structure_id)
        mix = draw(self.rng, postal, issued_at.astimezone(PARIS).date())
        self.data.add(Beneficiary, {
            "id": beneficiary_id, "structure_id": structure_id, "first_name": first,
            "last_name": last, "birth_date": mix.birth_date,
            "postal_code": postal, "phone": mix.phone, "email": mix.email,
            "need": self.rng.choice(NEEDS),
            "identity_key": identity_key(last, first, mix.birth_date),
            "gender": mix.gender, "social_status": mix.social_status,
            "commune_insee": mix.commune_insee, "priority_area": mix.priority_area,
            "priority_public_ids": key_of(self.publics[code] for code in mix.priority_publics),
            "messages_consent_at": created if mix.messages_consent else None,
            "consent_at": created, "consent_text_version": CONSENT_TEXT_VERSION,
            "duplicate_override_reason": None, "eligibility_override_reason": None,
            "created_by_id": self.users.get(f"issuer-{structure_id}"), "created_at": created,
            "pseudonymised_at": None,
        })
        self.births[beneficiary_id] = mix.birth_date
        self.links += [{"beneficiary_id": beneficiary_id,
                        "priority_public_id": self.publics[code]}
                       for code in mix.priority_publics]
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
        birth = None if beneficiary_id is None else self.births.get(beneficiary_id)
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
            "vouchers_redeemed": 0, "first_used_at": None, "first_used_venue_id": None,
            # as reach_facts.facts: stock is dated by its issue, a holder by the hand-out
            "reached_on": day,
            "holder_age": None if birth is None else age_on(birth, day),
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
        used, first_use = self._redeem(code, mine, issued_at, limit)
        row["vouchers_redeemed"] = used
        if first_use is not None:
            row["first_used_at"], row["first_used_venue_id"] = first_use
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
                limit: datetime) -> tuple[int, tuple[datetime, int] | None]:
        """Redeem the first vouchers of a booklet in groups at venues; return how many,
        and the first redemption's time and venue."""
        wanted = min(self.rng.choices((0, 10, self.rng.randint(1, 9)), (12, 35, 53))[0],
                     len(vouchers))
        home = self._pick_venue(code)
        at, used = issued_at, 0
        first_use: tuple[datetime, int] | None = None
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
            first_use = first_use or (at, venue_id)
            for voucher in taken:
                voucher.update(status=VoucherStatus.REDEEMED.value, redeemed_at=at)
            used += count
        return used, first_use

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
