"""The people reached, by reporting category: the SQL behind the indicators' counts and
behind the purge's anonymous totals (``reach_tallies``), both databases alike.

Definitions (docs/indicators.md):

- **people reached** are the dashboard's ``beneficiaries.reached``: distinct people who
  received a booklet of the programme (revoked or not) issued in the period, in the
  département; the same condition (``line_facts.Scope.booklets``) selects them here;
- **the day a person was reached** is the earliest hand-out (``handed_out_at``, else
  ``issued_at``) of those booklets, in Paris; their **age band** is
  ``categories.age_band`` of their birth date on that day. Both are read from what the
  issue and the hand-out wrote on each booklet (``booklets.reach_facts``: the day, and
  the holder's age that day); ages only grow, so the youngest age among a person's
  booklets is their age on the first day;
- a person counts in their structure and its département, once per dimension: age
  band, genre, statut social, commune (code INSEE), QPV/FRR, each priority public of
  the programme ticked, and "priority" (at least one of them ticked);
- people pseudonymised by the purge have lost those columns: the purge first adds them
  to ``reach_tallies`` (per programme, structure and Paris month of their first
  booklet's issue), and the counts here add those totals to the live people. With a
  period filter, a pseudonymised person counts by month: their month counts when it
  overlaps the period.

An empty value (``""``) is "non communiqué".
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    select,
    text,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import array
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from passnum.beneficiaries.categories import BAND_FLOORS, AgeBand, band_of_age
from passnum.beneficiaries.models import Beneficiary, ReachTally, beneficiary_priority_publics
from passnum.beneficiaries.priority_key import ids_of
from passnum.booklets.models import Booklet
from passnum.core.clock import PARIS
from passnum.dashboard.line_facts import Scope
from passnum.extensions import db
from passnum.programmes.models import PriorityPublic, Structure

# the single-valued dimensions, read from the person's columns
COLUMN_DIMENSIONS = ("gender", "social_status", "priority_area", "commune")
# every dimension a person counts in; "people" (value "") counts each person once
DIMENSIONS = ("people", "age_band", *COLUMN_DIMENSIONS, "priority", "priority_public")
YES, NO = "yes", "no"

def _postgres() -> bool:
    return db.session.get_bind().dialect.name == "postgresql"


def paris_day(column: Any) -> Any:
    """The Paris calendar day of a UTC instant, in SQL. SQLite has no time zones: the
    offset follows the EU rule (summer time from the last Sunday of March, 01:00 UTC,
    to the last Sunday of October, 01:00 UTC), the Sundays worked out only for
    instants of March and October (date functions are SQLite's slowest)."""
    if _postgres():
        return cast(func.timezone("Europe/Paris", column), Date)
    year = func.strftime("%Y", column).op("||")

    def change(month_day: str) -> Any:  # the last Sunday of that month, 01:00 UTC
        return func.datetime(func.date(year(month_day), "weekday 0"), "+1 hour")

    summer = and_(column >= change("-03-25"), column < change("-10-25"))
    month = func.substr(column, 6, 2)
    offset = case((month.in_(("04", "05", "06", "07", "08", "09")), "+2 hours"),
                  (month.in_(("03", "10")), case((summer, "+2 hours"), else_="+1 hour")),
                  else_="+1 hour")
    return func.date(column, offset)


def days_since(later: Any, day: Any) -> Any:
    """Whole Paris calendar days from the day ``day`` (a date column) to the instant
    ``later``, in SQL."""
    if _postgres():
        return paris_day(later) - day
    return cast(func.julianday(paris_day(later)) - func.julianday(day), Integer)


# the bands by index of ``age_band_index``: no age (or below the first floor), then
# each floor upwards
BANDS_BY_INDEX = (AgeBand.UNKNOWN, *(band for _floor, band in reversed(BAND_FLOORS)))


def age_band_index(age: Any) -> Any:
    """The index in ``BANDS_BY_INDEX`` of the band of ``age`` (whole years; 0 when
    NULL), in SQL: ``categories.age_band`` on the day the age was taken."""
    floors = sorted(floor for floor, _band in BAND_FLOORS)
    if _postgres():
        return func.coalesce(func.width_bucket(age, array(floors)), 0)
    whens = [(age >= floor, index) for index, floor in reversed(list(enumerate(floors, 1)))]
    return case((age.is_(None), 0), *whens, else_=0)


def hash_groupings_in_memory() -> None:
    """PostgreSQL: let this transaction's aggregations hash every grouping in memory
    (their tables take a few megabytes at full scale; the default 4 MB makes the
    planner sort the rows of one grouping first, a quarter of the time)."""
    if _postgres():
        db.session.execute(text("SET LOCAL work_mem = '16MB'"))


def grouped_sets(source: Any, sets: Sequence[tuple[str, ...]],
                 measures: Callable[[Any], Sequence[Any]]
                 ) -> list[tuple[int, dict[str, Any], tuple[Any, ...]]]:
    """Aggregate the rows of ``source`` (a SELECT; ``measures`` builds the aggregates
    from its columns) by several sets of its columns in one statement: ``(set index,
    {column: value}, measures)`` per group. PostgreSQL reads the source once (GROUPING
    SETS, each row's set told by ``GROUPING()``); SQLite has none and runs one SELECT
    per set (UNION ALL) over the source's rows computed once (a CTE)."""
    columns = list(dict.fromkeys(name for names in sets for name in names))
    # SQLite materialises a CTE used more than once: its rows are computed once
    source = source.subquery("source") if _postgres() else source.cte("source")
    if _postgres():
        bits = {sum(1 << (len(columns) - 1 - columns.index(c)) for c in columns
                    if c not in names): i for i, names in enumerate(sets)}
        statement: Any = select(
            func.grouping(*(source.c[c] for c in columns)), *(source.c[c] for c in columns),
            *measures(source.c)).group_by(func.grouping_sets(
                *(tuple_(*(source.c[c] for c in names)) for names in sets)))
    else:
        bits = {i: i for i in range(len(sets))}
        statement = union_all(*(
            select(literal(i), *(source.c[c] if c in names else null() for c in columns),
                   *measures(source.c)).group_by(*(source.c[c] for c in names))
            for i, names in enumerate(sets)))
    # each set's columns and their places in a row (thousands of rows: no ORM, no zip)
    places = [[(c, 1 + columns.index(c)) for c in names] for names in sets]
    result = []
    for row in db.session.connection().execute(statement).all():
        index = bits[row[0]]
        result.append((index, {c: row[i] for c, i in places[index]},
                       row[1 + len(columns):]))
    return result


@dataclass
class Reach:
    """People reached per dimension and value, and per département (id)."""

    values: dict[str, Counter[str]] = field(
        default_factory=lambda: defaultdict(Counter))
    departements: Counter[int] = field(default_factory=Counter)

    @property
    def people(self) -> int:
        """Every person reached (live and pseudonymised)."""
        return self.values["people"][""]


def reach(scope: Scope) -> Reach:
    """The people reached in ``scope`` by every dimension: the live people from their
    columns (one statement), plus the pseudonymised ones' totals.

    The people are counted per combination of their few-valued columns (a few thousand
    groups at full scale; their priority publics as the ids they ticked,
    ``priority_key``), and per commune: two groupings (GROUPING SETS on PostgreSQL, one
    pass; two SELECTs on SQLite). Each combination adds to each of its values here."""
    result = Reach()
    codes = dict(db.session.execute(select(PriorityPublic.id, PriorityPublic.code).where(
        PriorityPublic.programme_id == scope.programme_id)).all())
    few = ("departement_id", "age_band", "gender", "social_status", "priority_area",
           "publics")
    for index, values, (people,) in grouped_sets(_live_people(scope), [few, ("commune",)],
                                                 lambda _columns: [func.count()]):
        n = int(people)
        if index == 0:  # the combinations: each person once
            # the publics of this programme among those ticked (of any programme)
            ticked = [codes[i] for i in ids_of(values.pop("publics")) if i in codes]
            result.values["priority"][YES if ticked else NO] += n
            for code in ticked:
                result.values["priority_public"][code] += n
        for column, value in values.items():
            if column == "departement_id":  # in one grouping only: each person once
                result.values["people"][""] += n
                result.departements[int(value)] += n
            elif column == "age_band":  # "non communiqué" is "", as for the others
                band = BANDS_BY_INDEX[int(value)]
                result.values[column]["" if band == AgeBand.UNKNOWN else band.value] += n
            else:
                result.values[column][str(value)] += n
    for dimension, value, departement_id, people in db.session.execute(_kept(scope)):
        result.values[dimension][value] += int(people)
        if dimension == "people":
            result.departements[int(departement_id)] += int(people)
    return result


def _first_reached(scope: Scope) -> Any:
    """Per person reached in ``scope``: their age on the first day a booklet in scope
    reached them (ages only grow: the youngest of their booklets' ``holder_age``) and
    the booklets' département."""
    return (select(Booklet.beneficiary_id.label("id"),
                   func.min(Booklet.holder_age).label("age"),
                   func.min(Booklet.departement_id).label("departement_id"))
            .where(scope.booklets(), Booklet.beneficiary_id.is_not(None))
            .group_by(Booklet.beneficiary_id).subquery("reached"))


def _live_people(scope: Scope) -> Any:
    """The live (not pseudonymised) people reached, one row each with their values
    ("" for not given) and the ids of the priority publics they ticked (``publics``)."""
    first = _first_reached(scope)
    return (select(
        first.c.departement_id,
        age_band_index(first.c.age).label("age_band"),
        *(func.coalesce(column, "").label(name) for name, column in (
            ("gender", Beneficiary.gender), ("social_status", Beneficiary.social_status),
            ("priority_area", Beneficiary.priority_area),
            ("commune", Beneficiary.commune_insee))),
        Beneficiary.priority_public_ids.label("publics"))
        .join(first, first.c.id == Beneficiary.id)
        .where(Beneficiary.pseudonymised_at.is_(None)))


def _kept(scope: Scope) -> Any:
    """``(dimension, value, departement id, people)`` of the purge's totals in scope."""
    where: list[ColumnElement[bool]] = [ReachTally.programme_id == scope.programme_id]
    if scope.departement_id is not None:
        where.append(ReachTally.departement_id == scope.departement_id)
    if scope.start is not None:
        where.append(ReachTally.month >= scope.start.replace(day=1))
    if scope.end is not None:
        where.append(ReachTally.month <= scope.end)
    return (select(ReachTally.dimension, ReachTally.value, ReachTally.departement_id,
                   func.sum(ReachTally.people)).where(*where)
            .group_by(ReachTally.dimension, ReachTally.value, ReachTally.departement_id))


# --- The purge's totals ------------------------------------------------------------------

TallyKey = tuple[int, int, int, date, str, str]  # programme, structure, dép., month, dim, value


def tally_people(ids: Iterable[int]) -> Counter[TallyKey]:
    """What the people ``ids`` (not yet pseudonymised) add to ``reach_tallies``: for
    each programme that reached them, one person per dimension, by ``reach``'s
    definitions (age band on the day reached, structure, month of the first issue)."""
    ids = list(ids)
    totals: Counter[TallyKey] = Counter()
    if not ids:
        return totals
    rows = db.session.execute(
        select(Booklet.programme_id, Beneficiary.id, Beneficiary.structure_id,
               Structure.departement_id, Beneficiary.gender,
               Beneficiary.social_status, Beneficiary.priority_area,
               Beneficiary.commune_insee, func.min(Booklet.holder_age),
               func.min(Booklet.issued_at))
        .join(Beneficiary, Beneficiary.id == Booklet.beneficiary_id)
        .join(Structure, Structure.id == Beneficiary.structure_id)
        .where(Booklet.beneficiary_id.in_(ids), Beneficiary.pseudonymised_at.is_(None))
        .group_by(Booklet.programme_id, Beneficiary.id, Beneficiary.structure_id,
                  Structure.departement_id, Beneficiary.gender,
                  Beneficiary.social_status, Beneficiary.priority_area,
                  Beneficiary.commune_insee)).all()
    ticked: dict[tuple[int, int], list[str]] = defaultdict(list)
    for programme_id, person_id, code in db.session.execute(
            select(PriorityPublic.programme_id, beneficiary_priority_publics.c.beneficiary_id,
                   PriorityPublic.code)
            .join(PriorityPublic,
                  PriorityPublic.id == beneficiary_priority_publics.c.priority_public_id)
            .where(beneficiary_priority_publics.c.beneficiary_id.in_(ids))):
        ticked[(programme_id, person_id)].append(code)
    for (programme_id, person_id, structure_id, departement_id, gender, status,
         area, insee, first_age, first_issued) in rows:
        month = _paris(first_issued).date().replace(day=1)
        key = (programme_id, structure_id, departement_id, month)
        codes = ticked.get((programme_id, person_id), [])
        band = band_of_age(first_age)
        values = {"people": "", "gender": gender or "", "social_status": status or "",
                  "priority_area": area or "", "commune": insee or "",
                  "age_band": "" if band == AgeBand.UNKNOWN else band.value,
                  "priority": YES if codes else NO}
        for dimension, value in values.items():
            totals[(*key, dimension, value)] += 1
        for code in codes:
            totals[(*key, "priority_public", code)] += 1
    return totals


def _paris(at: datetime) -> datetime:
    return at.astimezone(PARIS)


def add_tallies(totals: Counter[TallyKey]) -> None:
    """Add ``totals`` to ``reach_tallies`` (one upsert; flushes only)."""
    if not totals:
        return
    insert = postgresql_insert if _postgres() else sqlite_insert
    statement = insert(ReachTally)
    statement = statement.on_conflict_do_update(
        index_elements=["programme_id", "structure_id", "month", "dimension", "value"],
        set_={"people": ReachTally.people + statement.excluded.people})
    db.session.execute(statement, [
        {"programme_id": p, "structure_id": s, "departement_id": d, "month": m,
         "dimension": dim, "value": value, "people": n}
        for (p, s, d, m, dim, value), n in sorted(totals.items())])
