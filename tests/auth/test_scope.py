"""``auth.scope``: each scope rule stated once, the same in Python and in SQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from passnum.auth import scope
from passnum.auth.models import Role
from passnum.beneficiaries.models import Beneficiary
from passnum.errors import Forbidden, NotFound
from passnum.extensions import db
from passnum.programmes.models import Structure
from tests.factories import World, make_beneficiary, make_user


def _actors(world: World) -> list:
    return [world.admin, world.manager78, world.manager92, world.issuer78, world.issuer78b,
            world.issuer92, world.agent78]


def test_the_sql_filter_and_the_predicate_agree_on_every_person(app):
    world = World()
    people = [make_beneficiary(issuer) for issuer in
              (world.issuer78, world.issuer78b, world.issuer92)]
    for actor in _actors(world):
        seen = set(db.session.scalars(
            select(Beneficiary.id).join(Structure, Structure.id == Beneficiary.structure_id)
            .where(scope.scope_filter(actor, Beneficiary.structure_id,
                                      Structure.departement_id))))
        assert seen == {p.id for p in people if scope.can_see_person(actor, p)}, actor.role
    s78, s78b, _s92 = (p.id for p in people)
    assert {p.id for p in people if scope.can_see_person(world.manager78, p)} == {s78, s78b}
    assert {p.id for p in people if scope.can_see_person(world.issuer78, p)} == {s78}
    assert not any(scope.can_see_person(world.agent78, p) for p in people)


def test_departement_rules_managers_their_own_admins_all(app):
    world = World()
    d78, d92 = world.d78.id, world.d92.id
    assert scope.in_departement(world.admin, d92)
    assert scope.in_departement(world.manager78, d78)
    assert not scope.in_departement(world.manager78, d92)
    # an issuer belongs to a structure of the département but never steers it
    assert not scope.in_departement(world.issuer78, d78)
    assert not scope.in_departement(world.agent78, d78)
    assert scope.can_steer_statements(None, d78)  # the command line
    assert scope.generates_all_statements(None)
    assert not scope.generates_all_statements(world.manager78)
    assert scope.can_decide_label(world.manager78, world.venue78)
    assert not scope.can_decide_label(world.manager92, world.venue78)


def test_role_refusals_are_403_and_scope_refusals_404(app):
    """A manager never issues (docs/product.md): 403; an issuer of another structure does
    not learn that the structure exists: 404."""
    world = World()
    with pytest.raises(Forbidden):
        scope.ensure_may_issue(world.manager78, world.s78.id, world.d78.id)
    with pytest.raises(NotFound):
        scope.ensure_may_issue(world.issuer92, world.s78.id, world.d78.id)
    scope.ensure_may_issue(world.issuer78, world.s78.id, world.d78.id)
    scope.ensure_may_issue(world.admin, world.s92.id, world.d92.id)
    person = make_beneficiary(world.issuer78)
    with pytest.raises(Forbidden):
        scope.ensure_may_override(world.issuer78, person)
    with pytest.raises(NotFound):
        scope.ensure_may_override(world.manager92, person)
    scope.ensure_may_override(world.manager78, person)


def test_venue_agents_and_their_lead(app):
    world = World()
    lead = make_user(Role.VENUE_AGENT, venue_id=world.venue78.id)
    lead.is_venue_lead = True
    db.session.commit()
    assert scope.lead_venue_id(lead) == world.venue78.id
    with pytest.raises(Forbidden) as refused:
        scope.lead_venue_id(world.agent78)
    assert refused.value.code == "not_venue_lead"
    with pytest.raises(Forbidden):
        scope.lead_venue_id(world.manager78)
    assert scope.is_agent_of(world.agent78, world.venue78.id)
    assert not scope.is_agent_of(world.manager78, world.venue78.id)
    other_venue = world.venue78.id + 1
    assert scope.can_manage_venue(world.agent78, world.venue78.id)
    assert not scope.can_manage_venue(world.agent78, other_venue)
    assert scope.can_manage_venue(world.admin, other_venue)
    assert not scope.can_manage_venue(world.manager78, world.venue78.id)  # labels, not workshops
    assert scope.own_venue_id(world.agent78) == world.venue78.id
    assert scope.own_venue_id(world.admin) is None
    assert scope.own_structure_id(world.issuer78) == world.s78.id
    assert scope.own_structure_id(world.manager78) is None
