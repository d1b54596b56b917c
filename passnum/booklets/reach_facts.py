"""What the indicators read of a booklet's reach, written once instead of computed on
every reading: the Paris day the booklet reached its holder (``reached_on``: its
hand-out, else its issue) and the holder's age in whole years on that day
(``holder_age``; None without a holder or a birth date).

The indicators count people by their age band on the first day a booklet reached them;
ages only grow, so that is the band of the youngest ``holder_age`` among the person's
booklets (``dashboard.reach``). The issue and the hand-out set these facts, a corrected
birth date rewrites its person's ages, the purge blanks ``holder_age`` with the birth
date (``personal_data``), and ``flask --app passnum stats verify`` / ``rebuild`` check
and mend them.

Functions flush, never commit.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.core.clock import PARIS
from passnum.extensions import db
from passnum.programmes.eligibility import age_on


def facts(booklet: Booklet, birth_date: date | None) -> tuple[date, int | None]:
    """``(reached_on, holder_age)`` of ``booklet`` held by a person born on
    ``birth_date`` (None: no holder, or no birth date)."""
    reached = booklet.handed_out_at or booklet.issued_at
    day = reached.astimezone(PARIS).date()
    return day, age_on(birth_date, day) if birth_date is not None else None


def note_reach(booklet: Booklet, holder: Beneficiary | None) -> None:
    """Set ``booklet``'s reach facts from its dates and its ``holder``."""
    booklet.reached_on, booklet.holder_age = facts(
        booklet, holder.birth_date if holder is not None else None)


def note_birth_date(person: Beneficiary) -> None:
    """Rewrite the holder's age on every booklet of ``person`` (their birth date
    changed)."""
    for booklet in db.session.scalars(select(Booklet).where(Booklet.beneficiary_id == person.id)):
        note_reach(booklet, person)
    db.session.flush()


def _stale() -> list[tuple[int, date | None, int | None, date, int | None]]:
    """``(booklet id, stored day, stored age, right day, right age)`` of every booklet
    whose stored facts differ from its dates and its live holder's birth date (a
    pseudonymised holder has no age any more)."""
    rows = db.session.execute(
        select(Booklet, Beneficiary.birth_date)
        .outerjoin(Beneficiary, Beneficiary.id == Booklet.beneficiary_id)
        .execution_options(yield_per=2000))
    stale = []
    for booklet, birth in rows:
        day, age = facts(booklet, birth)
        if (booklet.reached_on, booklet.holder_age) != (day, age):
            stale.append((booklet.id, booklet.reached_on, booklet.holder_age, day, age))
    return stale


def differences() -> list[str]:
    """The booklets whose reach facts are wrong, in French (empty: all exact)."""
    return [f"chéquier {booklet_id}: atteint le {day} ({_age(age)}) enregistré, le "
            f"{right_day} ({_age(right_age)}) d'après ses dates"
            for booklet_id, day, age, right_day, right_age in _stale()]


def _age(age: int | None) -> str:
    return "âge inconnu" if age is None else f"{age} ans"


def rebuild() -> int:
    """Rewrite the wrong reach facts; returns how many booklets changed."""
    stale = [{"b_id": booklet_id, "day": day, "age": age}
             for booklet_id, _day, _age, day, age in _stale()]
    if stale:
        table = Booklet.__table__
        db.session.execute(table.update().where(table.c.id == db.bindparam("b_id"))
                           .values(reached_on=db.bindparam("day"),
                                   holder_age=db.bindparam("age")), stale)
    return len(stale)
