"""Issuing rules: one booklet per person, duplicates, allocation and quota, revocation."""

from datetime import date

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.services import override_duplicate
from passnum.booklets.models import Booklet, Voucher
from passnum.booklets.queries import booklet_state, get_booklet, voucher_state
from passnum.booklets.services import add_months, issue_replacement, revoke_booklet
from passnum.core import codes
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.errors import Conflict, NotFound, RuleRefused
from passnum.extensions import db
from passnum.programmes.models import Allocation, ProgrammeQuota
from passnum.redemptions.services import check
from tests.factories import World, issue, make_beneficiary, make_structure, make_user


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_issue_creates_ten_signed_vouchers_and_consumes_slots(app):
    world = World()
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    assert [v.position for v in booklet.vouchers] == list(range(1, 11))
    assert all(v.serial == f"{booklet.number}-{v.position:02d}" for v in booklet.vouchers)
    assert all(codes.is_valid_check(v.manual_code) for v in booklet.vouchers)
    assert codes.is_valid_check(booklet.number.replace("-", "")[2:])
    assert booklet.departement_id == world.d78.id
    assert booklet_state(booklet) == "handed_out"
    assert {voucher_state(v) for v in booklet.vouchers} == {"issued"}
    assert booklet.expires_on == min(add_months(today(), 12), world.programme.ends_on)
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.structure_id == world.s78.id)
    )
    quota = db.session.scalar(
        select(ProgrammeQuota).where(ProgrammeQuota.departement_id == world.d78.id)
    )
    assert (allocation.booklets_issued, quota.booklets_issued) == (1, 1)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "booklet.issued"))
    assert event.object_id == str(booklet.id) and event.actor_id == world.issuer78.id


def test_second_booklet_is_refused_naming_the_first(app):
    world = World()
    person = make_beneficiary(world.issuer78)
    first = issue(world.issuer78, person)
    with pytest.raises(Conflict) as err:
        issue(world.issuer78, person)
    assert err.value.code == "booklet_already_issued"
    assert first.number in err.value.message
    assert count(Booklet) == 1


def test_likely_duplicate_in_another_structure_is_refused_then_overridden(app):
    world = World()
    a = make_beneficiary(
        world.issuer78, last_name="N'Diaye-Sall", first_name="Aïssatou", birth_date="1961-07-14"
    )
    issue(world.issuer78, a)
    b = make_beneficiary(
        world.issuer92, last_name="ndiaye sall", first_name="AISSATOU", birth_date="14/07/1961"
    )
    with pytest.raises(Conflict) as err:
        issue(world.issuer92, b)
    assert err.value.code == "duplicate_beneficiary"
    assert world.s78.name in err.value.message
    # an issuer cannot override, even with a reason
    with pytest.raises(Conflict):
        issue(world.issuer92, b, override_reason="homonyme")
    # a manager sets the duplicate aside on the person's record; the issuer then issues
    with unit_of_work():
        override_duplicate(world.manager92, b, reason="Homonyme vérifié sur pièce d'identité")
    booklet = issue(world.issuer92, b)
    assert booklet.duplicate_override_reason.startswith("Homonyme")
    event = db.session.scalar(
        select(AuditEvent).where(
            AuditEvent.action == "booklet.issued", AuditEvent.object_id == str(booklet.id)
        )
    )
    assert '"override": true' in event.details


def test_exhausted_allocation_refuses_without_partial_booklet(app):
    world = World(allocation=1)
    issue(world.issuer78, make_beneficiary(world.issuer78))
    vouchers_before = count(Voucher)
    with pytest.raises(RuleRefused) as err:
        issue(world.issuer78, make_beneficiary(world.issuer78))
    assert err.value.code == "allocation_exhausted"
    assert "allocation" in err.value.message
    assert count(Booklet) == 1 and count(Voucher) == vouchers_before
    quota = db.session.scalar(
        select(ProgrammeQuota).where(ProgrammeQuota.departement_id == world.d78.id)
    )
    assert quota.booklets_issued == 1


def test_exhausted_departement_quota_refuses(app):
    world = World(allocation=5, quota=1)
    issue(world.issuer78, make_beneficiary(world.issuer78))
    with pytest.raises(RuleRefused) as err:
        issue(world.issuer78b, make_beneficiary(world.issuer78b))
    assert err.value.code == "quota_exhausted"
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.structure_id == world.s78b.id)
    )
    assert allocation.booklets_issued == 0  # rolled back with the refusal


def test_structure_without_allocation_cannot_issue(app):
    world = World()
    bare = make_structure(world.d78, None)
    issuer = make_user("issuer", structure_id=bare.id)
    with pytest.raises(RuleRefused) as err:
        issue(issuer, make_beneficiary(issuer))
    assert err.value.code == "allocation_exhausted"


def test_closed_programme_refuses(app):
    world = World()
    world.programme.ends_on = date(2020, 12, 31)
    world.programme.starts_on = date(2020, 1, 1)
    db.session.commit()
    with pytest.raises(RuleRefused) as err:
        issue(world.issuer78, make_beneficiary(world.issuer78))
    assert err.value.code == "programme_closed"


def test_out_of_scope_issue_and_revoke(app):
    world = World()
    person = make_beneficiary(world.issuer78)
    with pytest.raises(NotFound):
        issue(world.issuer92, person)
    booklet = issue(world.issuer78, person)
    for outsider in (world.issuer78b, world.issuer92, world.manager92):
        with pytest.raises(NotFound):
            get_booklet(outsider, booklet.id)
        with pytest.raises(NotFound), unit_of_work():
            revoke_booklet(outsider, booklet, reason="lost")


def test_revoke_then_replace_counts_once(app):
    world = World(allocation=1)
    person = make_beneficiary(world.issuer78)
    booklet = issue(world.issuer78, person)
    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="stolen", note="sac volé")
    assert booklet_state(booklet) == "revoked"
    result = check(booklet.vouchers[0].manual_code, actor_id=None, channel="test")
    assert result.reason == "voucher_revoked" and "volé" in result.message
    with pytest.raises(Conflict) as err, unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="lost")
    assert err.value.code == "already_revoked"
    with unit_of_work():
        replacement = issue_replacement(world.issuer78, booklet)
    assert replacement.replaces_booklet_id == booklet.id
    assert replacement.expires_on == booklet.expires_on
    allocation = db.session.scalar(
        select(Allocation).where(Allocation.structure_id == world.s78.id)
    )
    assert allocation.booklets_issued == 1  # the replacement is not counted again
    assert check(replacement.vouchers[0].manual_code, actor_id=None, channel="test").is_valid
    with pytest.raises(Conflict) as err, unit_of_work():
        issue_replacement(world.issuer78, booklet)
    assert err.value.code == "already_replaced"


def test_cancelled_booklet_is_not_replaceable(app):
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason="cancelled")
    with pytest.raises(RuleRefused) as err, unit_of_work():
        issue_replacement(world.issuer78, booklet)
    assert err.value.code == "not_revoked"


def test_database_forbids_two_live_booklets_for_one_person(app):
    from sqlalchemy.exc import IntegrityError

    world = World()
    person = make_beneficiary(world.issuer78)
    first = issue(world.issuer78, person)
    twin = Booklet(
        number="78-TWIN-0000",
        programme_id=first.programme_id,
        structure_id=first.structure_id,
        departement_id=first.departement_id,
        beneficiary_id=person.id,
        status="handed_out",
        valid_from=first.valid_from,
        expires_on=first.expires_on,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
