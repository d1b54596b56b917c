"""RGPD retention: pseudonymise people once their programmes are long over.

A person is due when every programme of their booklets ended more than
``RGPD_RETENTION_MONTHS`` ago (people who never got a booklet: when their record was
created more than that long ago). What happens to each column is decided once, in
``personal_data.COLUMNS``; pseudonymising a person:

- names become a fixed marker (``Personne anonymisée`` / ``n° <id>``); the columns
  listed as blanked become NULL (empty when they cannot be NULL): birth date, phone,
  e-mail, need, the duplicate-override reason, and the free-text notes of the
  person's booklets (revoke note, duplicate-override reason);
- ``identity_key`` becomes NULL, which never equals anything, so duplicate detection
  and name search can never match the row again;
- rows listed as deleted with the person go: the stored API answers showing them;
- the postal code is kept: it locates a commune shared by thousands of people, and
  statistics by commune survive;
- the consent date and text version are kept (proof that the data was lawfully held);
- booklets' and vouchers' facts and redemptions are untouched, so every dashboard
  figure is the same before and after;
- before their categories are blanked, the people are added to the anonymous totals
  of ``reach_tallies`` (``dashboard.reach``), so every indicator is the same too.

The whole run is one transaction (the caller's unit of work) with one audit event; rows
are rewritten in batches of bounded size so that no statement grows with the data set.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date, datetime, time

from sqlalchemy import String, Table, and_, cast, delete, func, literal, or_, select, update

from passnum.audit.services import record
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.personal_data import (
    PERSON_LINKS,
    Treatment,
    columns_treated,
    tables_blanked_with_a_person,
    tables_deleted_with_a_person,
)
from passnum.booklets.models import Booklet
from passnum.core.clock import PARIS, now
from passnum.dashboard.reach import add_tallies, tally_people
from passnum.extensions import db
from passnum.programmes.models import Programme

BATCH_SIZE = 500
LAST_NAME_MARKER = "Personne anonymisée"
FIRST_NAME_PREFIX = "n° "


def months_before(day: date, months: int) -> date:
    """``day`` minus ``months`` calendar months, clamped to the month's last day."""
    index = day.month - 1 - months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def retention_cutoff(day: date, retention_months: int) -> date:
    """Programmes that ended before this day are past retention on ``day``."""
    return months_before(day, retention_months)


def due_for_pseudonymisation(*, day: date, retention_months: int) -> list[int]:
    """Ids (ascending) of the not yet pseudonymised people past retention on ``day``."""
    cutoff = retention_cutoff(day, retention_months)
    last_end = (
        select(Booklet.beneficiary_id.label("beneficiary_id"),
               func.max(Programme.ends_on).label("ends_on"))
        .join(Programme, Programme.id == Booklet.programme_id)
        .where(Booklet.beneficiary_id.is_not(None))
        .group_by(Booklet.beneficiary_id)
        .subquery()
    )
    created_before = datetime.combine(cutoff, time.min, PARIS)
    return list(db.session.scalars(
        select(Beneficiary.id)
        .outerjoin(last_end, last_end.c.beneficiary_id == Beneficiary.id)
        .where(
            Beneficiary.pseudonymised_at.is_(None),
            or_(last_end.c.ends_on < cutoff,
                and_(last_end.c.ends_on.is_(None), Beneficiary.created_at < created_before)),
        )
        .order_by(Beneficiary.id)
    ))


def _blanks(table: Table) -> dict[str, str | None]:
    """The listed ``blanked`` columns of ``table``: NULL, or empty when not nullable."""
    return {name: None if table.c[name].nullable else ""
            for name in columns_treated(table.name, Treatment.BLANKED)}


def _pseudonymise_batch(ids: list[int], at: datetime) -> list[int]:
    """Rewrite one batch of people and their linked rows; skip people already done.

    Returns the ids changed. The people's categories are first added to the
    anonymous totals the indicators keep (``dashboard.reach``).
    """
    add_tallies(tally_people(ids))
    changed = list(db.session.scalars(
        update(Beneficiary)
        .where(Beneficiary.id.in_(ids), Beneficiary.pseudonymised_at.is_(None))
        .values(
            last_name=LAST_NAME_MARKER,
            first_name=literal(FIRST_NAME_PREFIX) + cast(Beneficiary.id, String),
            pseudonymised_at=at, **_blanks(Beneficiary.__table__),
        )
        .returning(Beneficiary.id)
        .execution_options(synchronize_session=False)
    ))
    if changed:
        for name in tables_blanked_with_a_person():
            table = db.metadata.tables[name]
            db.session.execute(update(table).where(table.c[PERSON_LINKS[name]].in_(changed))
                               .values(_blanks(table)))
        for name in tables_deleted_with_a_person():
            table = db.metadata.tables[name]
            db.session.execute(delete(table).where(table.c[PERSON_LINKS[name]].in_(changed)))
    return changed


def rows_deleted_with(ids: list[int], *, batch_size: int = BATCH_SIZE) -> int:
    """How many rows (stored API answers) pseudonymising the people ``ids`` deletes."""
    total = 0
    for name in tables_deleted_with_a_person():
        link = db.metadata.tables[name].c[PERSON_LINKS[name]]
        for start in range(0, len(ids), batch_size):
            total += db.session.scalar(
                select(func.count()).select_from(link.table)
                .where(link.in_(ids[start:start + batch_size]))) or 0
    return total


def pseudonymise(
    ids: list[int],
    *,
    actor_id: int | None,
    retention_months: int,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] = lambda _n: None,
) -> int:
    """Pseudonymise the people ``ids`` in batches; audit once (count and ids, no names).

    Flushes only: the caller's unit of work commits the whole run at once. Returns the
    number of rows changed (rows already pseudonymised are skipped, so a rerun is a
    no-op and records nothing).
    """
    at = now()
    changed: list[int] = []
    for start in range(0, len(ids), batch_size):
        batch = ids[start:start + batch_size]
        changed += _pseudonymise_batch(batch, at)
        progress(len(batch))
    db.session.expire_all()
    if changed:
        record("beneficiary.pseudonymised", actor_id=actor_id, object_type="beneficiary",
               details={"count": len(changed), "ids": sorted(changed),
                        "retention_months": retention_months})
    return len(changed)
