"""Redemption: once only, all or nothing, every refusal reason with its code, undo."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from passnum.audit.models import AuditEvent
from passnum.audit.services import verify
from passnum.booklets.models import Booklet, BookletStatus, Voucher
from passnum.booklets.services import revoke_booklet
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.core.formatting import datetime_fr
from passnum.core.signing import sign_serial, voucher_url
from passnum.errors import DomainError, Forbidden
from passnum.extensions import db
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.redemptions.services import check, redeem, undo
from passnum.statements.models import Statement
from passnum.venues.models import LabelStatus
from tests.factories import (
    World,
    issue,
    make_beneficiary,
    make_user,
    make_venue,
    make_workshop,
)


def take(world, codes, *, workshop=None, key=None, venue=None, actor=None):
    with unit_of_work():
        return redeem(codes, venue=venue or world.venue78, workshop=workshop,
                      actor=actor or world.agent78, channel="test", idempotency_key=key)


def refusal(world, codes, **kw) -> DomainError:
    with pytest.raises(DomainError) as err:
        take(world, codes, **kw)
    return err.value


@pytest.fixture
def world(app):
    return World()


@pytest.fixture
def booklet(world):
    return issue(world.issuer78, make_beneficiary(world.issuer78))


def live_lines() -> int:
    return db.session.scalar(select(func.count()).select_from(RedemptionLine)
                             .where(RedemptionLine.undone_at.is_(None)))


def test_redeem_by_url_token_and_manual_code(world, booklet):
    v1, v2, v3 = booklet.vouchers[:3]
    red = take(world, [voucher_url(sign_serial(v1.serial))])
    take(world, [sign_serial(v2.serial)])
    take(world, [v3.manual_code.lower()])
    assert [line.serial for line in red.lines] == [v1.serial]
    assert red.lines[0].departement_id == world.d78.id and red.lines[0].value_cents == 1000
    db.session.expire_all()
    assert {v.status for v in booklet.vouchers[:3]} == {"redeemed"}
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "voucher.redeemed"))
    assert v1.serial in event.details and verify().ok


def test_second_redemption_says_when_and_where(world, booklet):
    code = booklet.vouchers[0].manual_code
    take(world, [code])
    err = refusal(world, [code])
    assert err.code == "already_redeemed" and err.http_status == 409
    assert world.venue78.name in err.message and "déjà encaissé le" in err.message
    assert check(code, actor_id=None, channel="test").reason == "already_redeemed"
    assert live_lines() == 1
    refused = db.session.scalar(select(AuditEvent).where(
        AuditEvent.action == "voucher.redeem_refused"))
    assert "already_redeemed" in refused.details


def test_basket_with_one_bad_voucher_redeems_none(world, booklet):
    workshop = make_workshop(world.venue78, price=3)
    good = [v.manual_code for v in booklet.vouchers[:2]]
    take(world, [booklet.vouchers[2].manual_code])
    err = refusal(world, [*good, booklet.vouchers[2].manual_code], workshop=workshop)
    assert err.code == "already_redeemed"
    assert [v["code"] for v in err.details["vouchers"]] == ["ok", "ok", "already_redeemed"]
    assert "Aucun chèque n'a été encaissé" in err.message
    assert live_lines() == 1
    db.session.expire_all()
    assert [v.status for v in booklet.vouchers[:2]] == ["issued", "issued"]


def test_basket_for_a_three_voucher_workshop(world, booklet):
    workshop = make_workshop(world.venue78, price=3)
    codes = [v.manual_code for v in booklet.vouchers[:3]]
    assert refusal(world, codes[:2], workshop=workshop).code == "wrong_voucher_count"
    red = take(world, codes, workshop=workshop)
    assert len(red.lines) == 3 and red.workshop_id == workshop.id


@pytest.mark.parametrize("codes, expected", [
    (["not-a-code"], "invalid_code"),
    (["78-AAAA-AAAA-01.forgedsignature"], "invalid_code"),
    (["ABCD-EFGH-JKM0"], "invalid_code"),  # bad check character
])
def test_forged_codes_are_refused_before_any_write(world, booklet, codes, expected):
    err = refusal(world, codes)
    assert err.code == expected and err.http_status == 400
    assert live_lines() == 0


def test_a_token_in_another_base64_spelling_is_refused_as_forged(world, booklet):
    """The MAC's last symbol with other padding bits decodes to the same MAC: refused
    like a forged token, audited, nothing written; the printed token still works."""
    token = sign_serial(booklet.vouchers[0].serial)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    variant = token[:-1] + alphabet[alphabet.index(token[-1]) ^ 1]
    err = refusal(world, [voucher_url(variant)])
    assert (err.code, err.http_status) == ("invalid_code", 400) and err.audit is not None
    with pytest.raises(DomainError) as checked:
        check(variant, actor_id=world.agent78.id, channel="test")
    assert checked.value.code == "invalid_code"
    assert live_lines() == 0
    assert take(world, [token]).lines[0].voucher_id == booklet.vouchers[0].id


def test_unknown_and_duplicate_codes(world, booklet):
    from passnum.core.codes import new_manual_code

    assert refusal(world, [new_manual_code()]).code == "unknown_code"
    code = booklet.vouchers[0].manual_code
    workshop = make_workshop(world.venue78, price=2)
    err = refusal(world, [code, code.lower()], workshop=workshop)
    assert err.code == "duplicate_code"


def test_revoked_expired_not_yet_valid_not_activated_closed(world, booklet):
    other = issue(world.issuer78, make_beneficiary(world.issuer78))
    with unit_of_work():
        revoke_booklet(world.issuer78, other, reason="lost")
    assert refusal(world, [other.vouchers[0].manual_code]).code == "voucher_revoked"

    booklet.expires_on = clock.today() - timedelta(days=1)
    booklet.valid_from = booklet.expires_on - timedelta(days=30)
    db.session.commit()
    err = refusal(world, [booklet.vouchers[0].manual_code])
    assert err.code == "voucher_expired" and "valable jusqu'au" in err.message

    booklet.valid_from = clock.today() + timedelta(days=1)
    booklet.expires_on = clock.today() + timedelta(days=300)
    db.session.commit()
    assert refusal(world, [booklet.vouchers[0].manual_code]).code == "not_yet_valid"

    booklet.valid_from = clock.today()
    booklet.status = BookletStatus.IN_STOCK
    booklet.beneficiary_id = None
    db.session.commit()
    assert refusal(world, [booklet.vouchers[0].manual_code]).code == "not_activated"

    booklet.status, booklet.beneficiary_id = BookletStatus.HANDED_OUT, other.beneficiary_id
    world.programme.closed_at = clock.now()
    db.session.commit()
    assert refusal(world, [booklet.vouchers[1].manual_code]).code == "programme_closed"


def test_venue_and_workshop_refusals(world, booklet):
    code = booklet.vouchers[0].manual_code
    assert refusal(world, [code], workshop=make_workshop(world.venue78, cancelled=True)
                   ).code == "workshop_cancelled"
    assert refusal(world, [code], workshop=make_workshop(world.venue78, days=-2)
                   ).code == "workshop_past"
    full = make_workshop(world.venue78, capacity=1)
    take(world, [booklet.vouchers[1].manual_code], workshop=full)
    assert refusal(world, [code], workshop=full).code == "workshop_full"
    world.venue78.label_status = LabelStatus.SUSPENDED
    db.session.commit()
    err = refusal(world, [code])
    assert err.code == "venue_not_active" and "label" in err.message


def test_agents_redeem_only_for_their_venue(world, booklet):
    other_venue = make_venue(world.d92)
    with pytest.raises(Forbidden):
        take(world, [booklet.vouchers[0].manual_code], venue=other_venue)
    foreign = make_workshop(other_venue)
    with pytest.raises(DomainError) as err:
        take(world, [booklet.vouchers[0].manual_code], workshop=foreign)
    assert err.value.code == "not_found"


def test_vouchers_of_the_other_departement_are_accepted_and_paid_by_it(world):
    booklet92 = issue(world.issuer92, make_beneficiary(world.issuer92))
    red = take(world, [booklet92.vouchers[0].manual_code])
    assert red.lines[0].departement_id == world.d92.id


def test_idempotency_key_replays_without_a_second_write(world, booklet):
    code = booklet.vouchers[0].manual_code
    first = take(world, [code], key="scan-1")
    assert not first.replayed
    token = sign_serial(booklet.vouchers[0].serial)  # the same voucher, scanned this time
    again = take(world, [token], key="scan-1")
    assert again.id == first.id and again.replayed
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
    refused = db.session.scalar(select(func.count()).select_from(AuditEvent)
                                .where(AuditEvent.action == "voucher.redeem_refused"))
    assert refused == 0  # a replay is not a refused attempt


def test_idempotency_key_reused_for_other_vouchers_is_refused(world, booklet):
    v1, v2 = booklet.vouchers[:2]
    take(world, [v1.manual_code], key="scan-2")
    err = refusal(world, [v2.manual_code], key="scan-2")
    assert err.code == "idempotency_key_reused" and err.http_status == 422
    err = refusal(world, [v1.manual_code, v2.manual_code], key="scan-2")
    assert err.code == "idempotency_key_reused"
    db.session.expire_all()
    assert db.session.get(Voucher, v2.id).status == "issued"
    # another agent's key is theirs: the same key is a new redemption for them
    colleague = make_user("venue_agent", venue_id=world.venue78.id)
    assert not take(world, [v2.manual_code], key="scan-2", actor=colleague).replayed


def test_idempotency_key_of_an_undone_redemption_says_it_was_undone(world, booklet):
    """A retry that arrives after its redemption was undone is not a success: 409
    ``redemption_undone`` saying when; nothing is taken (the vouchers stay usable)."""
    code = booklet.vouchers[0].manual_code
    first = take(world, [code], key="scan-3")
    with unit_of_work():
        undone_at = undo(first.id, actor=world.agent78).undone_at
    err = refusal(world, [code], key="scan-3")
    assert (err.code, err.http_status) == ("redemption_undone", 409)
    day, time = datetime_fr(undone_at).split()
    assert f"annulé le {day} à {time}" in err.message
    assert err.details["redemption_id"] == first.id and err.details["undone_at"]
    assert [v["code"] for v in err.details["vouchers"]] == ["redemption_undone"]
    assert db.session.scalar(select(func.count()).select_from(Redemption)) == 1
    assert live_lines() == 0
    assert check(code, actor_id=world.agent78.id, channel="test").is_valid
    # the refusal is recorded with its reason, like every refused attempt
    refused = list(db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "voucher.redeem_refused")))
    assert len(refused) == 1 and "redemption_undone" in refused[0]
    # a new key takes the voucher again
    assert not take(world, [code], key="scan-4").replayed


def test_undo_within_24_hours_makes_the_voucher_usable_again(world, booklet):
    code = booklet.vouchers[0].manual_code
    red = take(world, [code])
    with unit_of_work():
        undo(red.id, actor=world.agent78)
    assert check(code, actor_id=None, channel="test").is_valid
    with pytest.raises(DomainError) as err, unit_of_work():
        undo(red.id, actor=world.agent78)
    assert err.value.code == "already_undone"
    again = take(world, [code])
    assert again.id != red.id and live_lines() == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "redemption.undone"))


def test_undo_refused_after_24_hours_and_in_validated_statement(world, booklet):
    red = take(world, [booklet.vouchers[0].manual_code])
    with clock.frozen(clock.now() + timedelta(hours=25)), pytest.raises(DomainError) as err, \
            unit_of_work():
        undo(red.id, actor=world.agent78)
    assert err.value.code == "undo_expired"
    red2 = take(world, [booklet.vouchers[1].manual_code])
    today = clock.today()
    statement = Statement(venue_id=world.venue78.id, departement_id=world.d78.id,
                          period_start=today.replace(day=1),
                          period_end=today.replace(day=1) + timedelta(days=32),
                          status="validated")
    db.session.add(statement)
    db.session.flush()
    db.session.execute(update(RedemptionLine).where(RedemptionLine.redemption_id == red2.id)
                       .values(statement_id=statement.id))
    db.session.commit()
    with pytest.raises(DomainError) as err, unit_of_work():
        undo(red2.id, actor=world.agent78)
    assert err.value.code == "statement_validated"


def test_undo_by_another_venue_is_not_found(world, booklet):
    red = take(world, [booklet.vouchers[0].manual_code])
    other = make_user("venue_agent", venue_id=make_venue(world.d78).id)
    with pytest.raises(DomainError) as err, unit_of_work():
        undo(red.id, actor=other)
    assert err.value.code == "not_found"


def test_database_allows_one_live_line_per_voucher(world, booklet):
    from sqlalchemy.exc import IntegrityError

    red = take(world, [booklet.vouchers[0].manual_code])
    dup = Redemption(venue_id=world.venue78.id, actor_id=world.agent78.id)
    dup.lines.append(RedemptionLine(voucher_id=red.lines[0].voucher_id,
                                    departement_id=world.d78.id, value_cents=1000))
    db.session.add(dup)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Voucher)
                             .where(Voucher.status == "redeemed")) == 1
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 1


@pytest.mark.parametrize("backend", ["postgres"])
def test_a_one_code_basket_is_locked_with_a_kept_plan(world, booklet):
    # PostgreSQL plans the array form of the locking read anew at every execution; for a
    # basket of one code the prepared statement keeps one plan after its first five
    other = issue(world.issuer78, make_beneficiary(world.issuer78))
    for voucher in booklet.vouchers[:7]:
        take(world, [sign_serial(voucher.serial)])
    for voucher in other.vouchers[:7]:
        take(world, [voucher.manual_code])
    take(world, [sign_serial(v.serial) for v in booklet.vouchers[7:9]])
    plans = {("basket" if "ANY" in statement else
              "serial" if "vouchers.serial =" in statement else "manual"): (generic, custom)
             for statement, generic, custom in db.session.execute(text(
                 "SELECT statement, generic_plans, custom_plans FROM pg_prepared_statements "
                 "WHERE statement LIKE '%FOR UPDATE OF vouchers%'"))}
    assert plans == {"serial": (2, 5), "manual": (2, 5), "basket": (0, 1)}
