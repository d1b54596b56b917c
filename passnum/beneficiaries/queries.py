"""Reads on beneficiaries, always confined to the actor's scope."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from passnum.auth.models import User
from passnum.auth.permissions import structure_filter
from passnum.beneficiaries.models import Beneficiary
from passnum.core.text import normalise_name
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.programmes.models import Structure

SEARCH_LIMIT = 50


def _scoped(*, include_pseudonymised: bool = False):
    """Beneficiaries joined to their structure (for scope filters), live ones by default."""
    query = select(Beneficiary).join(Structure, Structure.id == Beneficiary.structure_id)
    if include_pseudonymised:
        return query
    return query.where(Beneficiary.pseudonymised_at.is_(None))


def get_beneficiary(
    actor: User, beneficiary_id: int, *, include_pseudonymised: bool = False
) -> Beneficiary:
    """Return the beneficiary if ``actor`` may see it; else ``NotFound``.

    Pseudonymised people are not found unless ``include_pseudonymised`` (the
    subject-access export, which explains why it has nothing left to give).
    """
    beneficiary = db.session.scalar(
        _scoped(include_pseudonymised=include_pseudonymised).where(
            Beneficiary.id == beneficiary_id,
            structure_filter(actor, Beneficiary.structure_id, Structure.departement_id),
        )
    )
    if beneficiary is None:
        raise NotFound("Bénéficiaire introuvable.")
    return beneficiary


def search(
    actor: User, *, last_name: str, first_name: str = "", birth_date: date | None = None
) -> list[Beneficiary]:
    """Find beneficiaries in scope by name prefix (accent- and case-blind) and birth date."""
    last, first = normalise_name(last_name), normalise_name(first_name)
    if not last:
        return []
    pattern = f"{last}%|{first}%|{birth_date.isoformat() if birth_date else '%'}"
    return list(
        db.session.scalars(
            _scoped()
            .where(
                structure_filter(actor, Beneficiary.structure_id, Structure.departement_id),
                Beneficiary.identity_key.like(pattern),
            )
            .order_by(Beneficiary.last_name, Beneficiary.first_name)
            .limit(SEARCH_LIMIT)
        )
    )


def same_identity_in_structure(identity_key: str, structure_id: int) -> Beneficiary | None:
    """Return a beneficiary of the structure with the same identity, if any."""
    return db.session.scalar(
        select(Beneficiary).where(
            Beneficiary.identity_key == identity_key, Beneficiary.structure_id == structure_id
        )
    )
