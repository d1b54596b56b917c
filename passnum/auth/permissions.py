"""Role and scope checks, called by services (never only by hiding links)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, true

from passnum.auth.models import Role, User
from passnum.errors import Forbidden, NotFound


def require_role(actor: User, *roles: Role) -> None:
    """Raise ``Forbidden`` unless ``actor`` has one of ``roles``."""
    if actor.role not in roles:
        raise Forbidden("Votre rôle ne permet pas cette action.", code="forbidden")


def structure_filter(actor: User, structure_col, departement_col) -> ColumnElement[bool]:
    """SQL condition confining rows owned by a structure to what ``actor`` may see."""
    if actor.role == Role.ADMIN:
        return true()
    if actor.role == Role.MANAGER:
        return departement_col == actor.departement_id
    if actor.role == Role.ISSUER:
        return structure_col == actor.structure_id
    return false()


def can_see_structure_item(actor: User, structure_id: int, departement_id: int) -> bool:
    """True when an item of that structure and département is in ``actor``'s scope."""
    if actor.role == Role.ADMIN:
        return True
    if actor.role == Role.MANAGER:
        return departement_id == actor.departement_id
    if actor.role == Role.ISSUER:
        return structure_id == actor.structure_id
    return False


def ensure_in_scope(actor: User, structure_id: int, departement_id: int, what: str) -> None:
    """Raise ``NotFound`` (not 403: existence is not disclosed) when out of scope."""
    if not can_see_structure_item(actor, structure_id, departement_id):
        raise NotFound(f"{what} introuvable.", code="not_found")
