"""Reads on beneficiaries, always confined to the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select

from passnum.auth.models import User
from passnum.auth.scope import scope_filter
from passnum.beneficiaries.categories import (
    AGE_BAND_LABELS,
    GENDER_LABELS,
    NOT_GIVEN,
    PRIORITY_AREA_LABELS,
    SOCIAL_STATUS_LABELS,
    age_band,
    label,
)
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, BookletStatus
from passnum.communes.reference import commune
from passnum.core.text import normalise_name
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.programmes.models import Structure

SEARCH_LIMIT = 50
PAGE_SIZE = 50  # people per page of a structure's list


@dataclass(frozen=True)
class DuplicateElsewhere:
    """A record of the same identity in another structure, as the duplicate rule lets
    an issuer know it: the structure, the record's date, the booklet's issue date."""

    structure_name: str
    created_on: date
    booklet_issued_on: date | None


@dataclass(frozen=True)
class PeoplePage:
    """One page of a list of beneficiaries."""

    people: list[Beneficiary]
    page: int
    pages: int
    total: int


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
            scope_filter(actor, Beneficiary.structure_id, Structure.departement_id),
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
                scope_filter(actor, Beneficiary.structure_id, Structure.departement_id),
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


def duplicate_elsewhere(beneficiary: Beneficiary) -> DuplicateElsewhere | None:
    """The first live record of the same identity (normalised names and birth date) in
    another structure, preferring one that holds a live booklet; ``None`` if there is none.
    """
    row = db.session.execute(
        select(Structure.name, Beneficiary.created_at, Booklet.issued_at)
        .select_from(Beneficiary)
        .join(Structure, Structure.id == Beneficiary.structure_id)
        .outerjoin(Booklet, (Booklet.beneficiary_id == Beneficiary.id)
                   & (Booklet.status != BookletStatus.REVOKED))
        .where(Beneficiary.identity_key == beneficiary.identity_key,
               Beneficiary.structure_id != beneficiary.structure_id,
               Beneficiary.pseudonymised_at.is_(None))
        .order_by(Booklet.issued_at.is_(None), Beneficiary.created_at)
        .limit(1)
    ).first()
    if row is None:
        return None
    return DuplicateElsewhere(row.name, row.created_at.date(),
                              row.issued_at.date() if row.issued_at else None)


def structure_people(actor: User, *, page: int = 1) -> PeoplePage:
    """The live beneficiaries in ``actor``'s scope, sorted by last then first name, one
    page of ``PAGE_SIZE``; ``NotFound`` for a page past the last."""
    scope = scope_filter(actor, Beneficiary.structure_id, Structure.departement_id)
    total = db.session.scalar(
        select(func.count()).select_from(_scoped().where(scope).subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    if not 1 <= page <= pages:
        raise NotFound("Cette page de la liste n'existe pas.")
    people = db.session.scalars(
        _scoped().where(scope)
        # the identity key sorts accent- and case-blind: last name, first name, birth date
        .order_by(Beneficiary.identity_key, Beneficiary.id)
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE))
    return PeoplePage(list(people), page, pages, total)


def recorded_values(beneficiary: Beneficiary) -> dict[str, Any]:
    """A record's values as the edit form shows them (codes, ``""`` for not given)."""
    values: dict[str, Any] = {k: getattr(beneficiary, k) or "" for k in (
        "first_name", "last_name", "postal_code", "phone", "email", "need", "commune_insee",
        "gender", "social_status", "priority_area")}
    values["birth_date"] = beneficiary.birth_date
    values["priority_publics"] = [p.code for p in beneficiary.priority_publics]
    values["messages_consent"] = beneficiary.messages_consent_at is not None
    return values


@dataclass(frozen=True)
class CategoryFacts:
    """A person's reporting categories as the record page shows them (French labels,
    "non communiqué" for what was not given)."""

    age_band: str
    gender: str
    social_status: str
    commune: str
    priority_area: str
    priority_publics: list[str]


def category_facts(beneficiary: Beneficiary, day: date) -> CategoryFacts:
    """The labels of ``beneficiary``'s categories, the age band taken on ``day``."""
    found = commune(beneficiary.commune_insee) if beneficiary.commune_insee else None
    if found is not None:
        place = f"{found.name} ({found.insee})"
    else:
        place = beneficiary.commune_insee or NOT_GIVEN
    return CategoryFacts(
        age_band=AGE_BAND_LABELS[age_band(beneficiary.birth_date, day)],
        gender=label(GENDER_LABELS, beneficiary.gender),
        social_status=label(SOCIAL_STATUS_LABELS, beneficiary.social_status),
        commune=place,
        priority_area=label(PRIORITY_AREA_LABELS, beneficiary.priority_area),
        priority_publics=[p.label for p in beneficiary.priority_publics],
    )
