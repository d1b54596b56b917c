"""Reads on programmes, quotas, structures and allocations."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from passnum.core.clock import today
from passnum.errors import RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Allocation, Programme, ProgrammeQuota, Structure


def open_programme(day: date | None = None) -> Programme:
    """Return the programme open on ``day`` (today by default).

    Raises ``RuleRefused`` (``programme_closed``) when none is open.
    """
    day = day or today()
    programme = db.session.scalar(
        select(Programme)
        .where(Programme.starts_on <= day, Programme.ends_on >= day,
               Programme.closed_at.is_(None))
        .order_by(Programme.starts_on.desc())
        .limit(1)
    )
    if programme is None:
        raise RuleRefused(
            "Aucun programme n'est ouvert à cette date : l'émission de chéquiers est fermée.",
            code="programme_closed",
        )
    return programme


def allocation_for(programme_id: int, structure_id: int) -> Allocation | None:
    """Return the structure's allocation in the programme, if any."""
    return db.session.scalar(
        select(Allocation).where(
            Allocation.programme_id == programme_id, Allocation.structure_id == structure_id
        )
    )


def quota_for(programme_id: int, departement_id: int) -> ProgrammeQuota | None:
    """Return the département's quota in the programme, if any."""
    return db.session.scalar(
        select(ProgrammeQuota).where(
            ProgrammeQuota.programme_id == programme_id,
            ProgrammeQuota.departement_id == departement_id,
        )
    )


def active_structures() -> list[Structure]:
    """Active structures by département then name."""
    return list(db.session.scalars(
        select(Structure).where(Structure.is_active.is_(True))
        .order_by(Structure.departement_id, Structure.name)
    ))
