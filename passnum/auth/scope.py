"""Scope predicates: which département, structure or venue an actor may act on.

The route policy (``auth.policy``) decides the role once; services ask these named
predicates about the scope, and nothing else decides either again.
"""

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


# --- Venues and redemptions
#
# Taking vouchers is a venue's act, paid to that venue: only its own agents redeem
# there and undo its redemptions. Administrators do neither (they have no venue; a
# mistake past the undo window is corrected on the venue's statement by an adjustment).


def is_agent_of(actor: User, venue_id: int) -> bool:
    """True when ``actor`` is a venue agent of venue ``venue_id``."""
    return actor.role == Role.VENUE_AGENT and actor.venue_id == venue_id


def may_redeem_at(actor: User, venue_id: int) -> bool:
    """True when ``actor`` may take vouchers at venue ``venue_id``: its own agents."""
    return is_agent_of(actor, venue_id)


def may_undo_at(actor: User, venue_id: int) -> bool:
    """True when ``actor`` may undo a redemption made at venue ``venue_id``: its own
    agents (for anyone else the redemption does not exist)."""
    return is_agent_of(actor, venue_id)
