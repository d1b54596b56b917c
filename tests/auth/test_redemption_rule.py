"""Who redeems and who undoes, decided once: only a venue's own agents, for that venue.

The three layers a redemption passes agree, role by role: the route policy (the role),
the API endpoint (which decides nothing of its own) and the service (the scope, through
``auth.scope``). Administrators, managers and issuers are refused by the route; an agent
of another venue is refused by the service; the venue's agent alone redeems and undoes.
"""

from __future__ import annotations

import pytest

from passnum.auth import scope
from passnum.auth.policy import policy_for
from passnum.core.db import unit_of_work
from passnum.errors import DomainError, Forbidden, NotFound
from passnum.extensions import db
from passnum.redemptions.services import redeem, undo
from tests.api.conftest import API, api_client, bearer
from tests.factories import World, issue, make_beneficiary, make_user, make_venue

REDEEM_ROUTES = [("api.redeem_endpoint", "POST"), ("redemptions.voucher_page", "POST")]
UNDO_ROUTES = [("api.undo_endpoint", "DELETE"), ("history.undo_redemption", "POST")]


@pytest.fixture
def scene(app):
    world = World()
    stranger = make_user("venue_agent", venue_id=make_venue(world.d78).id)
    people = {"admin": world.admin, "manager": world.manager78, "issuer": world.issuer78,
              "agent of another venue": stranger, "agent of the venue": world.agent78}
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    return world, people, booklet


def _service_redeems(world, actor, code) -> bool:
    try:
        with unit_of_work():
            redeem([code], venue=world.venue78, workshop=None, actor=actor, channel="test")
    except Forbidden:
        return False
    return True


def _service_undoes(actor, redemption_id) -> bool:
    try:
        with unit_of_work():
            undo(redemption_id, actor=actor)
    except NotFound:
        return False
    return True


def test_route_api_and_service_agree_on_who_redeems(app, scene):
    world, people, booklet = scene
    client = api_client(app)
    vouchers = iter(booklet.vouchers)
    for name, user in people.items():
        user = db.session.merge(user)
        expected = name == "agent of the venue"
        routes = {policy_for(endpoint, method).allows(user.role)
                  for endpoint, method in REDEEM_ROUTES}
        route_and_scope = routes == {True} and scope.may_redeem_at(user, world.venue78.id)
        assert route_and_scope is expected, name
        assert _service_redeems(world, user, next(vouchers).manual_code) is expected, name
        # the API redeems at the caller's own venue: only an agent gets that far
        response = client.post(f"{API}/redemptions", headers=bearer(client, user),
                               json={"codes": [next(vouchers).manual_code]})
        assert (response.status_code == 201) is (user.role == "venue_agent"), name
        if response.status_code != 201:
            assert response.status_code == 403, name
            assert response.json["error"]["code"] == "forbidden", name


def test_route_api_and_service_agree_on_who_undoes(app, scene):
    world, people, booklet = scene
    client = api_client(app)
    vouchers = iter(booklet.vouchers)

    def taken() -> int:
        with unit_of_work():
            return redeem([next(vouchers).manual_code], venue=world.venue78, workshop=None,
                          actor=world.agent78, channel="test").id

    for name, user in people.items():
        user = db.session.merge(user)
        expected = name == "agent of the venue"
        routes = {policy_for(endpoint, method).allows(user.role)
                  for endpoint, method in UNDO_ROUTES}
        route_and_scope = routes == {True} and scope.may_undo_at(user, world.venue78.id)
        assert route_and_scope is expected, name
        assert _service_undoes(user, taken()) is expected, name
        response = client.delete(f"{API}/redemptions/{taken()}", headers=bearer(client, user))
        # out of scope, as for an id that does not exist: 404, never a hint
        assert response.status_code == (200 if expected else 404), name


def test_an_administrator_neither_redeems_nor_undoes_in_the_service(scene):
    world, people, booklet = scene
    with pytest.raises(DomainError) as refused, unit_of_work():
        redeem([booklet.vouchers[0].manual_code], venue=world.venue78, workshop=None,
               actor=people["admin"], channel="test")
    assert refused.value.http_status == 403
