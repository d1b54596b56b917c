"""Create beneficiaries and export their data (the only code that changes them).

Retention (pseudonymisation) lives in ``retention.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_may_override, own_structure_id, records_people, require
from passnum.beneficiaries.consent import CURRENT_CONSENT_VERSION
from passnum.beneficiaries.export import subject_access_data
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.queries import get_beneficiary, same_identity_in_structure
from passnum.beneficiaries.validation import clean_beneficiary
from passnum.core.clock import now
from passnum.core.formatting import date_fr
from passnum.errors import Conflict, InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Structure


def create_beneficiary(
    actor: User, data: dict[str, Any], *, structure_id: int | None = None
) -> Beneficiary:
    """Record a consenting beneficiary in the issuer's structure.

    Issuers create in their own structure; admins name one. Raises ``InvalidInput`` or
    ``RuleRefused`` on bad data, ``Conflict`` (``beneficiary_exists``) when the structure
    already knows this person.
    """
    require(records_people(actor))
    structure_id = own_structure_id(actor) or structure_id
    if structure_id is None:
        raise InvalidInput("Choisissez la structure du bénéficiaire.", field="structure_id")
    if db.session.get(Structure, structure_id) is None:
        raise InvalidInput("Structure inconnue.", field="structure_id")
    clean = clean_beneficiary(data)
    existing = same_identity_in_structure(clean.identity_key, structure_id)
    if existing is not None:
        raise Conflict(
            "Cette personne est déjà enregistrée dans votre structure "
            f"(fiche créée le {date_fr(existing.created_at.date())}).",
            code="beneficiary_exists",
            details={"beneficiary_id": existing.id},
        )
    beneficiary = Beneficiary(
        structure_id=structure_id,
        first_name=clean.first_name,
        last_name=clean.last_name,
        birth_date=clean.birth_date,
        postal_code=clean.postal_code,
        phone=clean.phone,
        email=clean.email,
        need=clean.need,
        identity_key=clean.identity_key,
        consent_at=now(),
        consent_text_version=CURRENT_CONSENT_VERSION,
        created_by_id=actor.id,
    )
    db.session.add(beneficiary)
    db.session.flush()
    record("beneficiary.created", actor_id=actor.id, object_type="beneficiary",
           object_id=beneficiary.id, details={"structure_id": structure_id})
    return beneficiary


def override_duplicate(actor: User, beneficiary: Beneficiary, *, reason: str) -> Beneficiary:
    """Confirm that ``beneficiary`` is not the person of a likely duplicate, with a reason:
    their booklet may then be issued or handed out by their structure. Audited.

    Managers of the person's département and admins only (docs/product.md): raises ``Forbidden``
    for other roles, ``NotFound`` out of scope, ``InvalidInput`` without a reason.
    """
    return _record_exception("beneficiary.duplicate_overridden", actor, beneficiary, reason,
                             column="duplicate_override_reason")


def override_eligibility(actor: User, beneficiary: Beneficiary, *, reason: str) -> Beneficiary:
    """Confirm, with a reason, that ``beneficiary`` may receive a booklet although the
    programme's territory or minimum age leaves them out. Audited (without the reason,
    which may be personal: it stays on the record, exported and purged with it).

    Managers of the person's département and admins only: raises ``Forbidden`` for other
    roles, ``NotFound`` out of scope, ``InvalidInput`` without a reason.
    """
    return _record_exception("beneficiary.eligibility_overridden", actor, beneficiary, reason,
                             column="eligibility_override_reason")


def _record_exception(action: str, actor: User, beneficiary: Beneficiary, reason: str, *,
                      column: str) -> Beneficiary:
    """A manager's (or admin's) exception to a rule for ``beneficiary``: the reason kept in
    ``column`` of the record (exported, purged with it), ``action`` audited without it."""
    ensure_may_override(actor, beneficiary)
    reason = (reason or "").strip()
    if not reason or len(reason) > 500:
        raise InvalidInput("Indiquez le motif (500 caractères au plus).", field="reason")
    setattr(beneficiary, column, reason)
    db.session.flush()
    record(action, actor_id=actor.id, object_type="beneficiary", object_id=beneficiary.id)
    return beneficiary


def export_beneficiary(
    actor: User, beneficiary_id: int, *, fmt: Literal["json", "pdf"]
) -> dict[str, Any]:
    """Gather one person's data for a subject-access request, and audit the export.

    Allowed to the issuers of the person's structure, the managers of its département
    and admins; anyone else gets ``NotFound``. A pseudonymised person is refused
    (``RuleRefused``, ``beneficiary_pseudonymised``): what remains (booklets, vouchers)
    no longer relates to anyone identifiable, so there is no personal data to give.
    The audit event holds the format only, never a name.
    """
    beneficiary = get_beneficiary(actor, beneficiary_id, include_pseudonymised=True)
    if beneficiary.pseudonymised_at is not None:
        raise RuleRefused(
            "Les données personnelles de cette fiche ont été anonymisées le "
            f"{date_fr(beneficiary.pseudonymised_at.date())} (fin de la durée de "
            "conservation) : il ne reste aucune donnée personnelle à exporter.",
            code="beneficiary_pseudonymised",
        )
    data = subject_access_data(beneficiary, at=now())
    record("beneficiary.exported", actor_id=actor.id, object_type="beneficiary",
           object_id=beneficiary.id, details={"format": fmt})
    return data
