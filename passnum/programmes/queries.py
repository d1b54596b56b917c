"""Reads on programmes, départements, quotas, structures and allocations."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.auth.models import User
from passnum.auth.scope import departement_filter, scope_filter
from passnum.core.clock import today
from passnum.errors import RuleRefused
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)


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


def departement_by_code(code: str | None) -> Departement | None:
    """The département of ``code`` (surrounding spaces and letter case ignored: ``2a`` is
    ``2A``), or None when ``code`` is empty or unknown."""
    code = (code or "").strip().upper()
    if not code:
        return None
    return db.session.scalar(select(Departement).where(Departement.code == code))


def departements() -> list[Departement]:
    """Every département taking part, by code."""
    return list(db.session.scalars(select(Departement).order_by(Departement.code)))


def departement_codes() -> dict[int, str]:
    """The code of every département, by id."""
    rows = db.session.execute(select(Departement.id, Departement.code))
    return {row.id: row.code for row in rows}


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


@dataclass(frozen=True)
class AllocationRow:
    """One structure's line on the allocations page."""

    structure: Structure
    allocated: int
    issued: int

    @property
    def left(self) -> int:
        """Booklets the structure may still issue."""
        return self.allocated - self.issued


def allocation_rows(actor: User, programme_id: int) -> list[AllocationRow]:
    """Structures in the actor's scope with their allocation in the programme."""
    rows = db.session.execute(
        select(Structure, Allocation)
        .outerjoin(Allocation, (Allocation.structure_id == Structure.id)
                   & (Allocation.programme_id == programme_id))
        .where(scope_filter(actor, Structure.id, Structure.departement_id))
        .order_by(Structure.departement_id, Structure.name)
    ).all()
    return [AllocationRow(s, a.booklets_allocated if a else 0, a.booklets_issued if a else 0)
            for s, a in rows]


def quotas_in_scope(actor: User, programme_id: int) -> list[ProgrammeQuota]:
    """The programme's département quotas the actor may see."""
    query = select(ProgrammeQuota).where(ProgrammeQuota.programme_id == programme_id,
                                         departement_filter(actor, ProgrammeQuota.departement_id))
    return list(db.session.scalars(query.order_by(ProgrammeQuota.departement_id)))


def allocation_history(allocation_ids: list[int], limit: int = 50) -> list[AuditEvent]:
    """The audited changes of these allocations, newest first."""
    if not allocation_ids:
        return []
    return list(db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == "allocation.changed", AuditEvent.object_type == "allocation",
               AuditEvent.object_id.in_([str(i) for i in allocation_ids]))
        .order_by(AuditEvent.seq.desc()).limit(limit)
    ))


def open_priority_publics(day: date | None = None) -> list[PriorityPublic]:
    """The active priority publics of the programmes open on ``day`` (today by default):
    the checklist of a beneficiary's form, in each programme's order."""
    day = day or today()
    return list(db.session.scalars(
        select(PriorityPublic).join(Programme, Programme.id == PriorityPublic.programme_id)
        .where(PriorityPublic.is_active.is_(True), Programme.starts_on <= day,
               Programme.ends_on >= day, Programme.closed_at.is_(None))
        .order_by(Programme.starts_on.desc(), PriorityPublic.position, PriorityPublic.id)))


def programme_priority_publics(programme_id: int) -> list[PriorityPublic]:
    """Every priority public of a programme, retired ones included, in its order."""
    return list(db.session.scalars(
        select(PriorityPublic).where(PriorityPublic.programme_id == programme_id)
        .order_by(PriorityPublic.position, PriorityPublic.id)))
