"""Managers allot booklets to structures within the département's quota."""

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.core.db import unit_of_work
from passnum.errors import DomainError, NotFound
from passnum.extensions import db
from passnum.programmes.models import Allocation
from passnum.programmes.services import set_allocation
from tests.factories import World, issue, make_beneficiary, make_structure
from tests.web.test_issuing_pages import login


def allot(actor, world, structure, booklets, reason="redéploiement"):
    with unit_of_work():
        return set_allocation(actor, world.programme, structure, booklets=booklets,
                              reason=reason)


def test_allocations_stay_within_the_quota(app):
    world = World(allocation=30, quota=100)  # two 78 structures: 60 of 100 allotted
    allot(world.manager78, world, world.s78, 70)
    with pytest.raises(DomainError) as err:
        allot(world.manager78, world, world.s78, 71)
    assert err.value.code == "quota_exceeded" and "au plus 70" in err.value.message
    fresh = make_structure(world.d78, None)
    with pytest.raises(DomainError) as err:
        allot(world.manager78, world, fresh, 1)
    assert err.value.code == "quota_exceeded"
    allot(world.manager78, world, world.s78, 60)
    created = allot(world.manager78, world, fresh, 10)
    assert created.booklets_allocated == 10 and created.booklets_issued == 0
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "allocation.changed",
                                                       AuditEvent.object_id == str(created.id)))
    assert '"before": 0' in event.details and '"after": 10' in event.details


def test_never_below_what_was_issued_and_reason_required(app):
    world = World(allocation=5)
    issue(world.issuer78, make_beneficiary(world.issuer78))
    issue(world.issuer78, make_beneficiary(world.issuer78))
    with pytest.raises(DomainError) as err:
        allot(world.manager78, world, world.s78, 1)
    assert err.value.code == "below_issued"
    with pytest.raises(DomainError) as err:
        allot(world.manager78, world, world.s78, 3, reason="  ")
    assert err.value.field == "reason"
    with pytest.raises(DomainError) as err:
        allot(world.manager78, world, world.s78, -1)
    assert err.value.field == "booklets"
    assert allot(world.manager78, world, world.s78, 2).booklets_allocated == 2


def test_scope_of_managers(app):
    world = World()
    with pytest.raises(NotFound):
        allot(world.manager92, world, world.s78, 10)
    for actor in (world.issuer78, world.agent78):
        with pytest.raises(DomainError) as err:
            allot(actor, world, world.s78, 10)
        assert err.value.http_status == 403
    assert allot(world.admin, world, world.s92, 40).booklets_allocated == 40


def test_allocation_page_changes_and_history(client, app):
    world = World(allocation=30, quota=100)
    login(client, world.manager78)
    page = client.get("/allocations/").text
    assert world.s78.name in page and world.s92.name not in page
    assert "reste à allouer : 40" in page
    response = client.post(f"/allocations/{world.s78.id}",
                           data={f"s{world.s78.id}-booklets": "45",
                                 f"s{world.s78.id}-reason": "renfort hivernal"},
                           follow_redirects=True)
    assert "45 chéquiers" in response.text and "renfort hivernal" in response.text
    response = client.post(f"/allocations/{world.s78.id}",
                           data={f"s{world.s78.id}-booklets": "500",
                                 f"s{world.s78.id}-reason": "trop"})
    assert response.status_code == 422 and "serait dépassé" in response.text
    assert client.post(f"/allocations/{world.s92.id}",
                       data={f"s{world.s92.id}-booklets": "1",
                             f"s{world.s92.id}-reason": "x"}).status_code == 404
    db.session.expire_all()
    allocation = db.session.scalar(select(Allocation).where(
        Allocation.structure_id == world.s78.id))
    assert allocation.booklets_allocated == 45


def test_issuers_cannot_open_allocations(client, app):
    world = World()
    login(client, world.issuer78)
    assert client.get("/allocations/").status_code == 403
