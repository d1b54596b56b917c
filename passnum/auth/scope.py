"""Scope predicates: which département, structure or venue an actor may act on.

The route policy (``passnum.auth.policy``) decides once, at the edge, which role reaches
a page. Services decide here, through named predicates, whether an object lies in the
actor's scope, and — for the services that other code paths call too (the command line,
the JSON API, another service) — whether the actor's role may act at all
(docs/product.md, "Roles").

Predicates answer True or False; ``require`` turns a role refusal into ``Forbidden`` and
``require_visible`` an object out of scope into ``NotFound`` (docs/product.md: "an object
out of scope answers 404, as if it did not exist"). The models are not imported: a
predicate reads the ids the object carries, and SQL filters take the columns to compare.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import ColumnElement, false, true

from passnum.auth.models import Role, User
from passnum.errors import Forbidden, NotFound

ROLE_REFUSED = "Votre rôle ne permet pas cette action."


class InStructure(Protocol):
    """An object owned by a structure of a département (a booklet)."""

    structure_id: int
    departement_id: int


class StructureItem(Protocol):
    """A structure, or anything that names its own."""

    id: int
    departement_id: int


# --- Common -------------------------------------------------------------------------------


def require(allowed: bool, message: str = ROLE_REFUSED, code: str = "forbidden") -> None:
    """Raise ``Forbidden`` unless ``allowed`` (a role predicate's answer)."""
    if not allowed:
        raise Forbidden(message, code=code)


def require_visible(visible: bool, what: str) -> None:
    """Raise ``NotFound`` ("<what> introuvable.") unless ``visible``: existence is not
    disclosed."""
    if not visible:
        raise NotFound(f"{what} introuvable.", code="not_found")


def is_admin(actor: User | None) -> bool:
    """True for an administrator, who acts everywhere."""
    return actor is not None and actor.role == Role.ADMIN


def steers(actor: User) -> bool:
    """True for the roles that steer a département: managers and administrators."""
    return actor.role in (Role.MANAGER, Role.ADMIN)


def in_departement(actor: User, departement_id: int | None) -> bool:
    """True when ``actor`` steers ``departement_id``: one of its managers, or an
    administrator."""
    if is_admin(actor):
        return True
    return (actor.role == Role.MANAGER and departement_id is not None
            and actor.departement_id == departement_id)


def in_structure(actor: User, structure_id: int, departement_id: int) -> bool:
    """True when an item of that structure (in that département) is in ``actor``'s scope:
    issuers their structure, managers their département, administrators all."""
    if actor.role == Role.ISSUER:
        return structure_id == actor.structure_id
    return in_departement(actor, departement_id)


def scope_filter(actor: User, structure_col: Any, departement_col: Any
                 ) -> ColumnElement[bool]:
    """SQL condition confining rows owned by a structure to ``actor``'s scope, as
    ``in_structure`` decides it for one item."""
    if is_admin(actor):
        return true()
    if actor.role == Role.MANAGER:
        return departement_col == actor.departement_id
    if actor.role == Role.ISSUER:
        return structure_col == actor.structure_id
    return false()


def departement_filter(actor: User, departement_col: Any) -> ColumnElement[bool]:
    """SQL condition confining rows of a département to those ``actor`` steers."""
    if is_admin(actor):
        return true()
    if actor.role == Role.MANAGER:
        return departement_col == actor.departement_id
    return false()


# --- People -------------------------------------------------------------------------------


def reads_people(actor: User) -> bool:
    """True for the roles that see people's records: issuers, managers, administrators
    (a venue agent never sees who holds a voucher)."""
    return actor.role in (Role.ISSUER, Role.MANAGER, Role.ADMIN)


def records_people(actor: User) -> bool:
    """True for the roles that record people: issuers and administrators (managers read
    only)."""
    return actor.role in (Role.ISSUER, Role.ADMIN)


def own_structure_id(actor: User) -> int | None:
    """The structure an issuer is confined to; None for the roles that pick one."""
    return actor.structure_id if actor.role == Role.ISSUER else None


def can_see_person(actor: User, beneficiary: Any) -> bool:
    """True when ``beneficiary`` is in ``actor``'s scope (issuers: their structure,
    managers: their département, administrators: all)."""
    return in_structure(actor, beneficiary.structure_id, beneficiary.structure.departement_id)


def ensure_sees_person(actor: User, beneficiary: Any) -> None:
    """Raise ``NotFound`` when ``beneficiary`` is out of ``actor``'s scope."""
    require_visible(can_see_person(actor, beneficiary), "Bénéficiaire")


def ensure_may_override(actor: User, beneficiary: Any) -> None:
    """A recorded exception for a person (likely duplicate, eligibility) is made by a
    manager of the person's département or an administrator.

    Raises ``Forbidden`` for other roles, ``NotFound`` out of scope."""
    require(steers(actor))
    ensure_sees_person(actor, beneficiary)


def overrides_at_issue(actor: User) -> bool:
    """True when ``actor`` may give a likely duplicate's reason while issuing (an
    administrator); otherwise a manager records it on the person's record first."""
    return is_admin(actor)


# --- Booklets -----------------------------------------------------------------------------


def issues_booklets(actor: User) -> bool:
    """True for the roles that issue, replace, print stock and hand out: issuers and
    administrators (docs/product.md: a manager never does)."""
    return actor.role in (Role.ISSUER, Role.ADMIN)


def revokes_booklets(actor: User) -> bool:
    """True for the roles that revoke a leaked booklet: issuers, managers, administrators."""
    return actor.role in (Role.ISSUER, Role.MANAGER, Role.ADMIN)


def can_see_booklet(actor: User, booklet: InStructure) -> bool:
    """True when ``booklet`` is in ``actor``'s scope."""
    return in_structure(actor, booklet.structure_id, booklet.departement_id)


def ensure_sees_booklet(actor: User, booklet: InStructure) -> None:
    """Raise ``NotFound`` when ``booklet`` is out of ``actor``'s scope."""
    require_visible(can_see_booklet(actor, booklet), "Chéquier")


def ensure_sees_structure(actor: User, structure: StructureItem, what: str = "Structure"
                          ) -> None:
    """Raise ``NotFound`` (``what`` introuvable) when ``structure`` is out of scope."""
    require_visible(in_structure(actor, structure.id, structure.departement_id), what)


def ensure_may_issue(actor: User, structure_id: int, departement_id: int,
                     what: str = "Structure") -> None:
    """Issue, replace, print stock or hand out for that structure.

    Raises ``Forbidden`` for managers and venue agents, ``NotFound`` for a structure out
    of an issuer's scope."""
    require(issues_booklets(actor))
    require_visible(in_structure(actor, structure_id, departement_id), what)


def ensure_may_revoke(actor: User, booklet: InStructure) -> None:
    """Revoke ``booklet``: ``Forbidden`` for venue agents, ``NotFound`` out of scope."""
    require(revokes_booklets(actor))
    ensure_sees_booklet(actor, booklet)


def ensure_sees_expiry(actor: User) -> None:
    """The booklets about to expire are the issuers', managers' and administrators'
    (each within their scope); ``Forbidden`` for venue agents."""
    require(reads_people(actor))


# --- Statements ---------------------------------------------------------------------------


def statement_filter(actor: User, venue_col: Any, departement_col: Any
                     ) -> ColumnElement[bool]:
    """SQL condition on statements confining rows to ``actor``'s scope: the paying
    département's (managers), the venue's own (agents), all (administrators)."""
    if actor.role == Role.VENUE_AGENT:
        return venue_col == actor.venue_id
    return departement_filter(actor, departement_col)


def can_see_statement(actor: User, statement: Any) -> bool:
    """True when ``statement`` is in ``actor``'s scope."""
    if actor.role == Role.VENUE_AGENT:
        return statement.venue_id == actor.venue_id
    return in_departement(actor, statement.departement_id)


def can_steer_statements(actor: User | None, departement_id: int) -> bool:
    """True when ``actor`` generates and moves on statements paid by ``departement_id``:
    its managers, administrators, or the system itself (``actor`` None: the command
    line)."""
    return actor is None or in_departement(actor, departement_id)


def generates_all_statements(actor: User | None) -> bool:
    """True when ``actor`` may generate every venue's statements at once: administrators
    or the system itself (``actor`` None)."""
    return actor is None or is_admin(actor)


# --- Venues and labels --------------------------------------------------------------------


def can_decide_label(actor: User, venue: Any) -> bool:
    """True when ``actor`` decides on that venue's label: a manager of its département,
    or an administrator."""
    return in_departement(actor, venue.departement_id)


def ensure_may_decide_label(actor: User, venue: Any) -> None:
    """Raise ``Forbidden`` for roles that never decide on labels, ``NotFound`` for a
    venue of another département."""
    require(steers(actor))
    require_visible(can_decide_label(actor, venue), "Lieu")


def can_locate_venue(actor: User, venue: Any) -> bool:
    """True when ``actor`` sets that venue's location (commune, coordinates) at once: a
    manager of its département, or an administrator. Its agents propose a new location
    with the rest of the public profile, which waits for a manager's check."""
    return actor.role in (Role.MANAGER, Role.ADMIN) and in_departement(
        actor, venue.departement_id)


def ensure_may_locate_venue(actor: User, venue: Any) -> None:
    """Raise ``Forbidden`` for issuers and venue agents, ``NotFound`` for a venue of
    another département (managers)."""
    require(actor.role in (Role.MANAGER, Role.ADMIN))
    require_visible(can_locate_venue(actor, venue), "Lieu")


def can_propose_profile(actor: User, venue: Any) -> bool:
    """True when ``actor`` proposes changes to that venue's public profile, which wait
    for a manager's check: its own agents."""
    return is_agent_of(actor, venue.id)


def ensure_may_propose_profile(actor: User, venue: Any) -> None:
    """Raise ``Forbidden`` for roles other than venue agents (managers and
    administrators edit directly), ``NotFound`` for another venue."""
    require(actor.role == Role.VENUE_AGENT)
    require_visible(can_propose_profile(actor, venue), "Lieu")


def can_check_profile(actor: User, venue: Any) -> bool:
    """True when ``actor`` approves, refuses or directly edits that venue's public
    profile: a manager of its département, or an administrator."""
    return in_departement(actor, venue.departement_id)


def ensure_may_check_profile(actor: User, venue: Any) -> None:
    """Raise ``Forbidden`` for roles that never check profiles, ``NotFound`` for a venue
    of another département."""
    require(steers(actor))
    require_visible(can_check_profile(actor, venue), "Lieu")


def manages_workshops(actor: User) -> bool:
    """True for the roles that manage workshops: venue agents (their venue's) and
    administrators."""
    return actor.role in (Role.VENUE_AGENT, Role.ADMIN)


def own_venue_id(actor: User) -> int | None:
    """The venue an agent is confined to; None for the roles that pick one."""
    return actor.venue_id if actor.role == Role.VENUE_AGENT else None


def lead_venue_id(actor: User) -> int:
    """The venue whose agents ``actor`` manages as its lead agent.

    Raises ``Forbidden`` for other roles, ``not_venue_lead`` for an agent who is not
    the lead."""
    require(actor.role == Role.VENUE_AGENT)
    if not actor.is_venue_lead or actor.venue_id is None:
        raise Forbidden("Seul le responsable du lieu gère les comptes de ses agents.",
                        code="not_venue_lead")
    return actor.venue_id


def is_agent_of(user: User, venue_id: int) -> bool:
    """True when ``user`` is an agent account of that venue."""
    return user.role == Role.VENUE_AGENT and user.venue_id == venue_id


def can_manage_venue(actor: User, venue_id: int) -> bool:
    """True when ``actor`` manages the workshops of that venue: its agents, or an
    administrator."""
    return is_admin(actor) or is_agent_of(actor, venue_id)


# --- Workshop bookings --------------------------------------------------------------------
#
# The first workshop is booked at the issuer's desk, for a person of their structure;
# the venue sees who is expected at its own workshops (a name) and may cancel a booking.


def ensure_may_book_for(actor: User, beneficiary: Any) -> None:
    """Book a workshop seat for ``beneficiary``: issuers of the person's structure and
    administrators. Raises ``Forbidden`` for other roles, ``NotFound`` out of scope."""
    require(issues_booklets(actor))
    ensure_sees_person(actor, beneficiary)


def may_cancel_booking(actor: User, beneficiary: Any, venue_id: int) -> bool:
    """True when ``actor`` may cancel a booking of ``beneficiary`` at venue ``venue_id``:
    an issuer of the person's structure, an agent of the venue, an administrator."""
    if can_manage_venue(actor, venue_id):
        return True
    return issues_booklets(actor) and can_see_person(actor, beneficiary)


# --- Redemptions --------------------------------------------------------------------------
#
# Taking vouchers is a venue's act, paid to that venue: only its own agents redeem
# there and undo its redemptions. Administrators do neither (they have no venue; a
# mistake past the undo window is corrected on the venue's statement by an adjustment).


def may_redeem_at(actor: User, venue_id: int) -> bool:
    """True when ``actor`` may take vouchers at venue ``venue_id``: its own agents."""
    return is_agent_of(actor, venue_id)


def may_undo_at(actor: User, venue_id: int) -> bool:
    """True when ``actor`` may undo a redemption made at venue ``venue_id``: its own
    agents (for anyone else the redemption does not exist)."""
    return is_agent_of(actor, venue_id)


# --- Dashboard ----------------------------------------------------------------------------


def sees_every_departement_figures(actor: User) -> bool:
    """True when ``actor`` may read the figures of every département (administrators);
    others see at most their own département's."""
    return is_admin(actor)


def may_see_departement_figures(actor: User, departement_id: int | None) -> bool:
    """True when ``actor`` may read the dashboard figures of that département (``None``:
    all of them together): administrators any, managers their own only."""
    if sees_every_departement_figures(actor):
        return True
    return (actor.role == Role.MANAGER and departement_id is not None
            and departement_id == actor.departement_id)


# --- Programmes ---------------------------------------------------------------------------


def ensure_may_allocate(actor: User, structure: StructureItem) -> None:
    """A structure's allocation is set by a manager of its département or an
    administrator: ``Forbidden`` for other roles, ``NotFound`` out of scope."""
    require(steers(actor))
    ensure_sees_structure(actor, structure)


def ensure_admin(actor: User | None, message: str = ROLE_REFUSED, *,
                 system: bool = False) -> None:
    """Raise ``Forbidden`` unless ``actor`` is an administrator (or, with ``system``,
    the command line acting without an account)."""
    require(is_admin(actor) or (system and actor is None), message)


# --- Venue imports ------------------------------------------------------------------------


def may_import_venues(actor: User | None, departement_id: int) -> bool:
    """True when ``actor`` imports venues into that département: its managers, an
    administrator, or the system itself (``actor`` None: the command line)."""
    return actor is None or (steers(actor) and in_departement(actor, departement_id))


def ensure_may_import_venues(actor: User | None, departement_id: int) -> None:
    """Raise ``Forbidden`` for roles that never import venues, and
    ``departement_out_of_scope`` for a manager importing into another département."""
    if actor is not None:
        require(steers(actor))
    require(may_import_venues(actor, departement_id),
            "Vous ne pouvez importer des lieux que dans votre département.",
            code="departement_out_of_scope")
