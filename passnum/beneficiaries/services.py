"""Create beneficiaries and export their data (the only code that changes them).

Retention (pseudonymisation) lives in ``retention.py``.
"""

from __future__ import annotations

from typing import Any, Literal

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import (
    ensure_may_override,
    ensure_sees_person,
    own_structure_id,
    records_people,
    require,
)
from passnum.beneficiaries.consent import CURRENT_CONSENT_VERSION
from passnum.beneficiaries.export import subject_access_data
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.priority_key import note_publics
from passnum.beneficiaries.queries import get_beneficiary, same_identity_in_structure
from passnum.beneficiaries.validation import (
    BeneficiaryInput,
    Categories,
    clean_beneficiary,
    clean_categories,
)
from passnum.booklets.reach_facts import note_birth_date
from passnum.core.clock import now
from passnum.core.formatting import date_fr
from passnum.errors import Conflict, InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import PriorityPublic, Structure
from passnum.programmes.queries import open_priority_publics


def create_beneficiary(
    actor: User, data: dict[str, Any], *, structure_id: int | None = None
) -> Beneficiary:
    """Record a consenting beneficiary in the issuer's structure, with the reporting
    categories of docs/reach.md (``validation.clean_categories``).

    Issuers create in their own structure; admins name one. Raises ``InvalidInput`` or
    ``RuleRefused`` on bad data (``commune_required``, ``commune_mismatch``,
    ``unknown_code``…), ``Conflict`` (``beneficiary_exists``) when the structure
    already knows this person.
    """
    require(records_people(actor))
    structure_id = own_structure_id(actor) or structure_id
    if structure_id is None:
        raise InvalidInput("Choisissez la structure du bénéficiaire.", field="structure_id")
    if db.session.get(Structure, structure_id) is None:
        raise InvalidInput("Structure inconnue.", field="structure_id")
    clean = clean_beneficiary(data)
    categories = clean_categories(data, postal_code=clean.postal_code, phone=clean.phone,
                                  email=clean.email)
    _refuse_same_identity(clean.identity_key, structure_id)
    beneficiary = Beneficiary(
        structure_id=structure_id, identity_key=clean.identity_key,
        consent_at=now(), consent_text_version=CURRENT_CONSENT_VERSION,
        created_by_id=actor.id,
    )
    _apply(beneficiary, clean, categories, kept=[])
    db.session.add(beneficiary)
    db.session.flush()
    record("beneficiary.created", actor_id=actor.id, object_type="beneficiary",
           object_id=beneficiary.id, details={"structure_id": structure_id})
    return beneficiary


def update_beneficiary(actor: User, beneficiary: Beneficiary, data: dict[str, Any]
                       ) -> Beneficiary:
    """Correct a person's record: identity, contact, need and categories, checked as at
    creation (the consent already given stays). A priority public retired since it was
    ticked stays ticked if it is sent again. Ticking the consent to messages records its
    date once; unticking it withdraws it. Audited with the names of the changed fields
    only (never their values).

    Issuers of the person's structure and admins: raises ``Forbidden`` for other roles,
    ``NotFound`` out of scope, ``Conflict`` (``beneficiary_exists``) when the corrected
    identity is another record's of the structure.
    """
    require(records_people(actor))
    ensure_sees_person(actor, beneficiary)
    clean = clean_beneficiary({**data, "consent": True})
    categories = clean_categories(data, postal_code=clean.postal_code, phone=clean.phone,
                                  email=clean.email)
    if clean.identity_key != beneficiary.identity_key:
        _refuse_same_identity(clean.identity_key, beneficiary.structure_id)
    before = _snapshot(beneficiary)
    beneficiary.identity_key = clean.identity_key
    _apply(beneficiary, clean, categories, kept=list(beneficiary.priority_publics))
    db.session.flush()
    changed = sorted(k for k, v in _snapshot(beneficiary).items() if before[k] != v)
    if "birth_date" in changed:
        note_birth_date(beneficiary)
    if changed:
        record("beneficiary.updated", actor_id=actor.id, object_type="beneficiary",
               object_id=beneficiary.id, details={"fields": changed})
    return beneficiary


EDITABLE = ("first_name", "last_name", "birth_date", "postal_code", "phone", "email", "need",
            "commune_insee", "gender", "social_status", "priority_area",
            "messages_consent_at")


def _snapshot(beneficiary: Beneficiary) -> dict[str, Any]:
    """The editable values of a record, to name the fields an update changed."""
    values = {k: getattr(beneficiary, k) for k in EDITABLE}
    values["priority_publics"] = sorted(p.id for p in beneficiary.priority_publics)
    return values


def _refuse_same_identity(identity_key: str, structure_id: int) -> None:
    """Raise ``Conflict`` (``beneficiary_exists``) when the structure knows this identity."""
    existing = same_identity_in_structure(identity_key, structure_id)
    if existing is not None:
        raise Conflict(
            "Cette personne est déjà enregistrée dans votre structure "
            f"(fiche créée le {date_fr(existing.created_at.date())}).",
            code="beneficiary_exists",
            details={"beneficiary_id": existing.id},
        )


def _apply(beneficiary: Beneficiary, clean: BeneficiaryInput, categories: Categories, *,
           kept: list[PriorityPublic]) -> None:
    """Write validated input onto ``beneficiary`` (not flushed)."""
    for key in ("first_name", "last_name", "birth_date", "postal_code", "phone", "email",
                "need"):
        setattr(beneficiary, key, getattr(clean, key))
    beneficiary.commune_insee = categories.commune_insee
    beneficiary.gender = categories.gender
    beneficiary.social_status = categories.social_status
    beneficiary.priority_area = categories.priority_area
    beneficiary.priority_publics = _priority_publics(categories.priority_publics, kept=kept)
    note_publics(beneficiary)
    if not categories.messages_consent:
        beneficiary.messages_consent_at = None
    elif beneficiary.messages_consent_at is None:
        beneficiary.messages_consent_at = now()


def _priority_publics(codes: tuple[str, ...], *, kept: list[PriorityPublic]
                      ) -> list[PriorityPublic]:
    """The entries named by ``codes`` among the checklist of the programmes open today
    and the person's own (``kept``, retired ones included); ``RuleRefused``
    (``unknown_code``) names an unknown code."""
    offered = {p.id: p for p in [*open_priority_publics(), *kept]}
    chosen: dict[int, PriorityPublic] = {}
    for code in codes:
        found = [p for p in offered.values() if p.code == code]
        if not found:
            allowed = sorted({p.code for p in offered.values()})
            raise RuleRefused(f"Public prioritaire inconnu : « {code[:40]} ».",
                              code="unknown_code", field="priority_publics",
                              details={"allowed": allowed})
        chosen.update((p.id, p) for p in found)
    return sorted(chosen.values(), key=lambda p: (p.position, p.programme_id, p.id))


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
