"""The indicators: who was reached, by category, and where booklets stall (the funnel).

One home for these definitions, read by the *Indicateurs* page, ``GET
/api/v1/indicators``, the CSV/XLSX exports and the barometer export; they build on the
dashboard's own (``figures`` for booklet states, ``beneficiaries.reached`` for people).

- **People by category**: ``reach`` (people reached, age band on the day reached,
  structure, purge totals added). A share is the people with that value over the people
  reached.
- **Priority publics**: people with at least one of the programme's priority publics
  ticked, over the people reached, against ``Programme.priority_target_percent``.
- **The funnel** counts the booklets in scope (programme, département, issued in the
  period) on ``day``:
  *issued* — the dashboard's ``booklets.issued`` (not revoked, handed out or in stock);
  *handed out* — ``booklets.handed_out``; *first chèque used* — issued booklets with at
  least one live (not undone) redemption; *fully used* — issued booklets whose every
  chèque is redeemed; *expired* — issued booklets past their ``expires_on`` on ``day``
  with chèques left unused (``figures.booklet_expired``). The *median days to first use*
  is the median, over the booklets used, of the Paris calendar days from hand-out (else
  issue) to the first live redemption (``Booklet.first_used_at``).
- **Per structure**: the booklets the structure issued. **Per venue**: the booklets
  whose first chèque was redeemed at that venue (``Booklet.first_used_venue_id``),
  wherever they were issued; issued and handed out do not apply there.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, case, func, select

from passnum.beneficiaries.categories import (
    AGE_BAND_LABELS,
    GENDER_LABELS,
    NOT_GIVEN,
    PRIORITY_AREA_LABELS,
    SOCIAL_STATUS_LABELS,
)
from passnum.booklets.models import Booklet, BookletStatus
from passnum.communes.reference import commune
from passnum.core.clock import today
from passnum.dashboard import figures
from passnum.dashboard.line_facts import Scope
from passnum.dashboard.reach import (
    YES,
    Reach,
    days_since,
    grouped_sets,
    hash_groupings_in_memory,
    reach,
)
from passnum.dashboard.stats import Period, ProgrammeInfo
from passnum.extensions import db
from passnum.programmes.models import Departement, PriorityPublic, Programme, Structure
from passnum.venues.models import Venue


@dataclass(frozen=True)
class Count:
    """People with one value of a category: code ("" for not given), label, share."""

    code: str
    label: str
    people: int
    share: float  # 0..1 of the people reached (0 when nobody was reached)


@dataclass(frozen=True)
class Category:
    """One category's counts, in the category's order (communes: most people first)."""

    key: str
    title: str
    counts: tuple[Count, ...]


@dataclass(frozen=True)
class FunnelRow:
    """The funnel of one structure or venue (``id`` None: every booklet in scope);
    ``issued`` and ``handed_out`` are None for a venue."""

    id: int | None
    name: str
    departement: str
    issued: int | None
    handed_out: int | None
    first_used: int
    fully_used: int
    expired: int
    median_days_to_first_use: float | None


@dataclass(frozen=True)
class Indicators:
    """Every indicator of a programme, a scope (département code, None: all) and a
    period, on ``day``."""

    programme: ProgrammeInfo
    departement: str | None
    period: Period
    day: date
    reached: int
    categories: tuple[Category, ...]
    priority_people: int
    priority_share: float
    priority_target_percent: int | None
    funnel: FunnelRow
    structures: tuple[FunnelRow, ...]
    venues: tuple[FunnelRow, ...]


CATEGORY_TITLES = {
    "age_band": "Tranche d'âge", "gender": "Genre", "social_status": "Statut social",
    "commune": "Commune", "departement": "Département",
    "priority_area": "Résident QPV ou FRR", "priority_public": "Public prioritaire",
}
FUNNEL_STAGES = {
    "issued": ("Chéquiers émis", "Chéquiers non révoqués émis dans la période."),
    "handed_out": ("Remis", "Chéquiers remis à une personne (ou émis à son nom)."),
    "first_used": ("Premier chèque utilisé",
                   "Chéquiers émis dont au moins un chèque a été encaissé."),
    "fully_used": ("Entièrement utilisés", "Chéquiers émis dont tous les chèques ont été "
                   "encaissés."),
    "expired": ("Expirés", "Chéquiers émis arrivés à échéance avec des chèques non "
                "utilisés."),
    "median_days_to_first_use": (
        "Délai médian avant le premier chèque (jours)",
        "Médiane, sur les chéquiers utilisés, du nombre de jours entre la remise et le "
        "premier encaissement."),
}


def _share(people: int, reached: int) -> float:
    return people / reached if reached else 0.0


def _counts(found: Counter[str], labels: Mapping[Any, str], reached: int) -> tuple[Count, ...]:
    """Every value of ``labels`` in order, then "non communiqué" (``""``), then codes
    unknown to ``labels``."""
    codes = [str(code) for code, text in labels.items() if text != NOT_GIVEN]
    codes += ["", *sorted(set(found) - set(codes) - {""})]
    return tuple(Count(code, labels.get(code, NOT_GIVEN) if code else NOT_GIVEN,
                       found[code], _share(found[code], reached)) for code in codes)


def _categories(people: Reach, programme_id: int,
                departement_codes: dict[int, tuple[str, str]]) -> tuple[Category, ...]:
    """The categories of ``people``, labelled in French."""
    reached = people.people
    values = people.values
    communes = sorted(((code, n) for code, n in values["commune"].items() if code),
                      key=lambda item: (-item[1], item[0]))
    commune_counts = [Count(code, _commune_label(code), n, _share(n, reached))
                      for code, n in communes]
    commune_counts.append(Count("", NOT_GIVEN, values["commune"][""],
                                _share(values["commune"][""], reached)))
    departements = [Count(departement_codes[dep_id][0],
                          f"{departement_codes[dep_id][0]} {departement_codes[dep_id][1]}",
                          n, _share(n, reached))
                    for dep_id, n in sorted(people.departements.items(),
                                            key=lambda item: departement_codes[item[0]])]
    publics = db.session.execute(
        select(PriorityPublic.code, PriorityPublic.label, PriorityPublic.is_active)
        .where(PriorityPublic.programme_id == programme_id)
        .order_by(PriorityPublic.position, PriorityPublic.id)).all()
    public_counts = [Count(code, label, values["priority_public"][code],
                           _share(values["priority_public"][code], reached))
                     for code, label, active in publics
                     if active or values["priority_public"][code]]
    return (
        Category("age_band", CATEGORY_TITLES["age_band"],
                 _counts(values["age_band"], AGE_BAND_LABELS, reached)),
        Category("gender", CATEGORY_TITLES["gender"],
                 _counts(values["gender"], GENDER_LABELS, reached)),
        Category("social_status", CATEGORY_TITLES["social_status"],
                 _counts(values["social_status"], SOCIAL_STATUS_LABELS, reached)),
        Category("priority_area", CATEGORY_TITLES["priority_area"],
                 _counts(values["priority_area"], PRIORITY_AREA_LABELS, reached)),
        Category("priority_public", CATEGORY_TITLES["priority_public"],
                 tuple(public_counts)),
        Category("departement", CATEGORY_TITLES["departement"], tuple(departements)),
        Category("commune", CATEGORY_TITLES["commune"], tuple(commune_counts)),
    )


def _commune_label(insee: str) -> str:
    """``Versailles (78646)``; the code alone when the reference does not know it."""
    found = commune(insee)
    return f"{found.name} ({insee})" if found else insee


def programme_indicators(programme_id: int, *, departement_id: int | None = None,
                         start: date | None = None, end: date | None = None,
                         day: date | None = None) -> Indicators:
    """Every indicator of a programme (and a département, and a period); ``day`` (today
    in Paris by default) decides which booklets are expired. Raises ``LookupError`` for
    an unknown programme."""
    programme = db.session.get(Programme, programme_id)
    if programme is None:
        raise LookupError(programme_id)
    day = day or today()
    scope = Scope(programme_id, departement_id, start, end)
    hash_groupings_in_memory()
    departement_codes = {dep_id: (code, name) for dep_id, code, name in db.session.execute(
        select(Departement.id, Departement.code, Departement.name))}
    people = reach(scope)
    priority = people.values["priority"][YES]
    total, structures, venues = _funnel(scope, day)
    return Indicators(
        programme=ProgrammeInfo(programme.id, programme.name, programme.starts_on,
                                programme.ends_on),
        departement=departement_codes[departement_id][0] if departement_id else None,
        period=Period(start, end), day=day, reached=people.people,
        categories=_categories(people, programme_id, departement_codes),
        priority_people=priority, priority_share=_share(priority, people.people),
        priority_target_percent=programme.priority_target_percent,
        funnel=total, structures=structures, venues=venues)



def median(days: Counter[int]) -> float | None:
    """The median of values counted in ``days`` (mean of the two middle ones for an
    even count); None for none."""
    n = sum(days.values())
    if not n:
        return None
    wanted, seen, middle = ((n - 1) // 2, n // 2), 0, []
    for value in sorted(days):
        for rank in wanted:
            if seen <= rank < seen + days[value]:
                middle.append(value)
        seen += days[value]
    return sum(middle) / len(middle)


STAGES = ("issued", "handed_out", "first_used", "fully_used", "expired")
# per structure and per venue, by days to first use (None: not used); a structure's or
# a venue's stage counts are the sums over its days
FUNNEL_SETS = (("structure_id", "days"), ("venue_id", "days"))


def _funnel(scope: Scope, day: date
            ) -> tuple[FunnelRow, tuple[FunnelRow, ...], tuple[FunnelRow, ...]]:
    """The funnel of every booklet in scope, per structure and per venue of first use,
    in one statement: stage counts per structure and per venue, by days to first use
    (the stage counts are summed over the days, the medians taken from the counts)."""
    live = figures.booklet_live()
    used = and_(live, Booklet.vouchers_redeemed > 0)
    full = and_(live, Booklet.vouchers_total > 0,
                Booklet.vouchers_redeemed >= Booklet.vouchers_total)
    expired = and_(figures.booklet_expired(day),
                   Booklet.vouchers_redeemed < Booklet.vouchers_total)
    source = select(
        Booklet.structure_id.label("structure_id"),
        Booklet.first_used_venue_id.label("venue_id"),
        case((used, days_since(Booklet.first_used_at, Booklet.reached_on))).label("days"),
        *(case((condition, 1), else_=0).label(name) for name, condition in (
            ("issued", live), ("handed_out", Booklet.status == BookletStatus.HANDED_OUT),
            ("first_used", used), ("fully_used", full), ("expired", expired))),
    ).where(scope.booklets())
    counts: dict[tuple[str, int], list[int]] = {}
    delays: defaultdict[tuple[str, int], Counter[int]] = defaultdict(Counter)
    # thousands of groups at full scale: the loop stays plain
    for index, keys, values in grouped_sets(source, FUNNEL_SETS, lambda columns: [
            *(func.sum(columns[name]) for name in STAGES), func.count()]):
        key = keys["structure_id"] if index == 0 else keys["venue_id"]
        if key is None:
            continue
        place = ("s" if index == 0 else "v", int(key))
        found = counts.get(place)
        if found is None:
            counts[place] = [int(value) for value in values[:len(STAGES)]]
        else:
            for i in range(len(STAGES)):
                found[i] += int(values[i])
        if keys["days"] is not None:
            delays[place][int(keys["days"])] += int(values[len(STAGES)])
    names = {("s", i): (name, code) for i, name, code in db.session.execute(
        select(Structure.id, Structure.name, Departement.code)
        .join(Departement, Departement.id == Structure.departement_id)
        .where(Structure.id.in_([key for k, key in counts if k == "s"])))}
    names |= {("v", i): (name, code) for i, name, code in db.session.execute(
        select(Venue.id, Venue.name, Departement.code)
        .join(Departement, Departement.id == Venue.departement_id)
        .where(Venue.id.in_([key for k, key in counts if k == "v"])))}

    def row(key: tuple[str, int]) -> FunnelRow:
        issued, handed, first, fully, gone = counts[key]
        name, code = names[key]
        venue = key[0] == "v"
        return FunnelRow(key[1], name, code, None if venue else issued,
                         None if venue else handed, first, fully, gone,
                         median(delays.get(key, Counter())))

    structures = sorted((row(key) for key in counts if key[0] == "s"),
                        key=lambda r: (r.departement, r.name, r.id))
    venues = sorted((row(key) for key in counts if key[0] == "v"),
                    key=lambda r: (-r.first_used, r.name, r.id))
    everything: Counter[int] = Counter()
    for key, days in delays.items():
        if key[0] == "s":
            everything.update(days)
    issued, handed, first, fully, gone = (
        sum(counts[key][i] for key in counts if key[0] == "s") for i in range(5))
    total = FunnelRow(None, "Total", "", issued, handed, first, fully, gone,
                      median(everything))
    return total, tuple(structures), tuple(venues)
