"""Create beneficiaries (the only code that changes them)."""

from __future__ import annotations

from typing import Any

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.permissions import require_role
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.queries import same_identity_in_structure
from passnum.beneficiaries.validation import CONSENT_TEXT_VERSION, clean_beneficiary
from passnum.core.clock import now
from passnum.core.formatting import date_fr
from passnum.errors import Conflict, InvalidInput
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
    require_role(actor, Role.ISSUER, Role.ADMIN)
    if actor.role == Role.ISSUER:
        structure_id = actor.structure_id
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
        consent_text_version=CONSENT_TEXT_VERSION,
        created_by_id=actor.id,
    )
    db.session.add(beneficiary)
    db.session.flush()
    record("beneficiary.created", actor_id=actor.id, object_type="beneficiary",
           object_id=beneficiary.id, details={"structure_id": structure_id})
    return beneficiary
