"""Allocations of booklets to structures (the only code that changes them)."""

from __future__ import annotations

from sqlalchemy import func, select

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.permissions import ensure_in_scope, require_role
from passnum.errors import InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Allocation, Programme, ProgrammeQuota, Structure

MAX_ALLOCATION = 100_000
REASON_MAX = 300


def set_allocation(actor: User, programme: Programme, structure: Structure, *, booklets: int,
                   reason: str) -> Allocation:
    """Set how many booklets a structure may issue in a programme.

    Managers allot within their département, admins anywhere. The département's
    allocations never exceed its quota, and an allocation never drops below what the
    structure already issued. The quota row is locked, so two managers changing
    allocations at once are checked one after the other. Raises ``InvalidInput``
    and ``RuleRefused`` (``quota_exceeded``, ``below_issued``, ``no_quota``).
    """
    require_role(actor, Role.MANAGER, Role.ADMIN)
    ensure_in_scope(actor, structure.id, structure.departement_id, "Structure")
    reason = (reason or "").strip()
    if not 0 <= booklets <= MAX_ALLOCATION:
        raise InvalidInput(f"L'allocation doit être comprise entre 0 et {MAX_ALLOCATION}.",
                           field="booklets")
    if not reason or len(reason) > REASON_MAX:
        raise InvalidInput(f"Indiquez un motif (au plus {REASON_MAX} caractères).",
                           field="reason")
    quota = db.session.scalar(
        select(ProgrammeQuota).where(ProgrammeQuota.programme_id == programme.id,
                                     ProgrammeQuota.departement_id == structure.departement_id)
        .with_for_update()
    )
    if quota is None:
        raise RuleRefused("Ce département n'a pas de quota dans ce programme.", code="no_quota")
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.programme_id == programme.id,
                                 Allocation.structure_id == structure.id).with_for_update()
    )
    issued = allocation.booklets_issued if allocation else 0
    if booklets < issued:
        raise RuleRefused(f"La structure a déjà émis {issued} chéquiers : l'allocation ne peut "
                          "pas descendre en dessous.", code="below_issued", field="booklets")
    others = db.session.scalar(
        select(func.coalesce(func.sum(Allocation.booklets_allocated), 0))
        .join(Structure, Structure.id == Allocation.structure_id)
        .where(Allocation.programme_id == programme.id,
               Structure.departement_id == structure.departement_id,
               Allocation.structure_id != structure.id)
    )
    if others + booklets > quota.booklet_quota:
        room = quota.booklet_quota - others
        raise RuleRefused(f"Le quota du département ({quota.booklet_quota} chéquiers) serait "
                          f"dépassé : au plus {room} pour cette structure.",
                          code="quota_exceeded", field="booklets")
    before = allocation.booklets_allocated if allocation else 0
    if allocation is None:
        allocation = Allocation(programme_id=programme.id, structure_id=structure.id,
                                booklets_issued=0)
        db.session.add(allocation)
    allocation.booklets_allocated = booklets
    db.session.flush()
    record("allocation.changed", actor_id=actor.id, object_type="allocation",
           object_id=allocation.id,
           details={"structure_id": structure.id, "programme_id": programme.id,
                    "before": before, "after": booklets, "reason": reason})
    return allocation
