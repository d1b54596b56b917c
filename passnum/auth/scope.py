"""Scope predicates: which département, structure or venue an actor may act on."""

from __future__ import annotations

from passnum.auth.models import Role, User

# --- Dashboard


def sees_every_departement_figures(actor: User) -> bool:
    """True when ``actor`` may read the figures of every département (administrators);
    others see at most their own département's."""
    return actor.role == Role.ADMIN


def may_see_departement_figures(actor: User, departement_id: int | None) -> bool:
    """True when ``actor`` may read the dashboard figures of that département (``None``:
    all of them together): administrators any, managers their own only."""
    if sees_every_departement_figures(actor):
        return True
    return (actor.role == Role.MANAGER and departement_id is not None
            and departement_id == actor.departement_id)
