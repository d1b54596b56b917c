"""The priority publics a person ticked, copied on their row as one short text
(``Beneficiary.priority_public_ids``: the ids, sorted, joined by commas; "" for none).

The links (``beneficiary_priority_publics``) stay the reference; the copy lets the
indicators group people by the publics they ticked with their other columns, instead of
aggregating the links of every person on every reading (``dashboard.reach``). The
beneficiary services write both together, the purge blanks the copy as it deletes the
links (``personal_data``), and ``flask --app passnum stats verify`` / ``rebuild`` check
and mend it.

Functions flush, never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select, update

from passnum.beneficiaries.models import Beneficiary, beneficiary_priority_publics
from passnum.extensions import db

SEPARATOR = ","


def key_of(ids: Iterable[int]) -> str:
    """The stored text of the publics ``ids``."""
    return SEPARATOR.join(str(i) for i in sorted(set(ids)))


def ids_of(key: str | None) -> list[int]:
    """The publics' ids of a stored text."""
    return [int(part) for part in (key or "").split(SEPARATOR) if part]


def note_publics(person: Beneficiary) -> None:
    """Copy ``person``'s ticked publics onto their row."""
    person.priority_public_ids = key_of(public.id for public in person.priority_publics)


def _stale() -> list[tuple[int, str, str]]:
    """``(person id, stored text, text of their links)`` where they differ."""
    linked: defaultdict[int, list[int]] = defaultdict(list)
    links = beneficiary_priority_publics.c
    for person_id, public_id in db.session.execute(
            select(links.beneficiary_id, links.priority_public_id)):
        linked[person_id].append(public_id)
    stale = []
    for person_id, stored in db.session.execute(
            select(Beneficiary.id, Beneficiary.priority_public_ids)):
        right = key_of(linked.get(person_id, ()))
        if stored != right:
            stale.append((person_id, stored, right))
    return stale


def differences() -> list[str]:
    """The people whose copy differs from their links, in French (empty: all exact)."""
    return [f"bénéficiaire {person_id}: publics prioritaires « {stored} » enregistrés, "
            f"« {right} » d'après ses choix"
            for person_id, stored, right in _stale()]


def rebuild() -> int:
    """Rewrite the copies that differ from the links; returns how many people changed."""
    stale = [{"p_id": person_id, "key": right} for person_id, _stored, right in _stale()]
    if stale:
        table = Beneficiary.__table__
        db.session.execute(update(table).where(table.c.id == db.bindparam("p_id"))
                           .values(priority_public_ids=db.bindparam("key")), stale)
    return len(stale)
