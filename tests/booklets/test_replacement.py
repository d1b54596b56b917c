"""A replacement moves the revoked value to a new booklet and never creates any.

docs/product.md: a replacement holds exactly the vouchers that the revocation revoked (same
values, same validity end); a booklet with nothing revoked has nothing to replace.
"""

from __future__ import annotations

import io
import threading
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import event, func, select, text
from sqlalchemy.exc import IntegrityError

from passnum.booklets.models import Booklet, Voucher, VoucherStatus
from passnum.booklets.pdf import render_booklets
from passnum.booklets.queries import booklet_state
from passnum.booklets.services import issue_replacement, revoke_booklet
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.core.formatting import date_fr, euros
from passnum.dashboard.queries import programme_stats
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Allocation, ProgrammeQuota
from passnum.redemptions import tallies
from passnum.redemptions.services import check, redeem
from passnum.statements.services import generate
from tests.factories import World, issue, make_beneficiary
from tests.factories import login as log_in
from tests.pdfutil import manual_codes, pdf_text

WAIT_SECONDS = 60


@pytest.fixture
def world(app: Flask) -> World:
    return World(allocation=1)


def take(world: World, vouchers: list[Voucher]) -> None:
    """Redeem ``vouchers`` at the world's venue, committed."""
    with unit_of_work():
        redeem([v.manual_code for v in vouchers], venue=world.venue78, workshop=None,
               actor=world.agent78, channel="test")


def revoke(world: World, booklet: Booklet, reason: str = "lost") -> None:
    with unit_of_work():
        revoke_booklet(world.issuer78, booklet, reason=reason)


def replace(world: World, booklet: Booklet) -> Booklet:
    with unit_of_work():
        return issue_replacement(world.issuer78, booklet)


def total_cents() -> int:
    """The value of every voucher ever created."""
    return db.session.scalar(select(func.coalesce(func.sum(Voucher.value_cents), 0)))


def test_a_spent_booklet_cannot_be_replaced_to_mint_money(world: World) -> None:
    """The issue's scenario: spend ten chèques, declare the booklet lost, replace it,
    again and again. Each round used to mint a full new booklet (100 €)."""
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    minted = total_cents()
    for _ in range(3):
        take(world, booklet.vouchers)
        revoke(world, booklet)
        try:
            booklet = replace(world, booklet)
        except DomainError as err:
            assert err.code == "nothing_to_replace"
            assert err.http_status == 422
            assert "aucun chèque" in err.message
            break
    assert total_cents() == minted == 100_00
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 1
    assert tallies.differences() == []


def test_the_replacement_holds_exactly_the_revoked_vouchers(world: World) -> None:
    person = make_beneficiary(world.issuer78)
    with clock.frozen(clock.now() - timedelta(days=40)):
        booklet = issue(world.issuer78, person)
    take(world, booklet.vouchers[:4])
    revoke(world, booklet, "stolen")
    revoked = [v for v in booklet.vouchers if v.status == VoucherStatus.REVOKED]
    assert len(revoked) == 6

    replacement = replace(world, booklet)

    assert [v.value_cents for v in replacement.vouchers] == [v.value_cents for v in revoked]
    assert [v.replaces_voucher_id for v in replacement.vouchers] == [v.id for v in revoked]
    assert replacement.expires_on == booklet.expires_on
    assert replacement.beneficiary_id == person.id
    assert replacement.vouchers_total == 6 and replacement.vouchers_redeemed == 0
    assert {v.serial for v in replacement.vouchers}.isdisjoint(v.serial for v in revoked)
    assert {v.manual_code for v in replacement.vouchers}.isdisjoint(
        v.manual_code for v in revoked)
    assert total_cents() == 100_00 + 6 * 10_00
    # counted once toward the quota: the replacement took no slot
    allocation = db.session.scalar(select(Allocation).where(
        Allocation.structure_id == world.s78.id))
    quota = db.session.scalar(select(ProgrammeQuota).where(
        ProgrammeQuota.departement_id == world.d78.id))
    assert (allocation.booklets_issued, quota.booklets_issued) == (1, 1)
    assert check(replacement.vouchers[0].manual_code, actor_id=None, channel="test").is_valid
    assert not check(revoked[0].manual_code, actor_id=None, channel="test").is_valid


def test_dashboard_and_counters_reconcile_after_revoke_replace_redeem(
        world: World, app: Flask) -> None:
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    take(world, booklet.vouchers[:3])
    revoke(world, booklet)
    replacement = replace(world, booklet)
    take(world, replacement.vouchers[:2])
    assert booklet_state(replacement) == "started"

    assert tallies.differences() == []
    result = app.test_cli_runner().invoke(args=["stats", "verify"])
    assert result.exit_code == 0, result.output
    figures = programme_stats(world.programme.id)
    assert figures.booklets.issued == 1 and figures.booklets.revoked == 1
    assert figures.beneficiaries.reached == 1
    # vouchers: 10 printed first, 7 of them moved to the replacement; 5 used in all
    assert figures.vouchers.total == 10 + 7
    assert figures.vouchers.redeemed == 3 + 2
    assert figures.vouchers.revoked == 7
    assert figures.vouchers.in_circulation == 5 and figures.vouchers.in_stock == 0
    assert figures.euros.redeemed_cents == 5 * 10_00
    # the venue's statement pays the five vouchers once each, moved or not
    with unit_of_work():
        statement = generate(None, world.venue78, world.d78, clock.today()).statement
    assert (statement.voucher_count, statement.total_cents) == (5, 5 * 10_00)


def test_a_booklet_is_replaced_once_and_a_revoked_replacement_again(world: World) -> None:
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    revoke(world, booklet)
    first = replace(world, booklet)
    with pytest.raises(DomainError) as err:
        replace(world, booklet)
    assert err.value.code == "already_replaced"
    take(world, first.vouchers[:9])
    revoke(world, first)
    second = replace(world, first)
    assert len(second.vouchers) == 1 and second.replaces_booklet_id == first.id
    assert second.vouchers[0].replaces_voucher_id == first.vouchers[9].id
    assert second.expires_on == booklet.expires_on
    take(world, second.vouchers)
    revoke(world, second)
    with pytest.raises(DomainError) as err:
        replace(world, second)
    assert err.value.code == "nothing_to_replace"
    assert total_cents() == (10 + 10 + 1) * 10_00
    assert tallies.differences() == []


def test_an_expired_booklet_is_refused_cleanly(world: World) -> None:
    with clock.frozen(clock.now() - timedelta(days=400)):
        booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    assert booklet.expires_on < clock.today()
    revoke(world, booklet)
    with pytest.raises(DomainError) as err:
        replace(world, booklet)
    assert err.value.code == "booklet_expired" and err.value.http_status == 422


def test_a_lost_stock_booklet_is_replaced_into_the_stock(world: World) -> None:
    from passnum.booklets.services import issue_stock

    with unit_of_work():
        stock = issue_stock(world.issuer78, world.s78, count=1).booklets[0]
    revoke(world, stock)
    replacement = replace(world, stock)
    assert replacement.status == "in_stock" and replacement.beneficiary_id is None
    assert replacement.structure_id == world.s78.id
    assert len(replacement.vouchers) == 10


def test_the_database_refuses_a_second_copy_or_another_value(world: World) -> None:
    """Each revoked voucher is replaced at most once, by a voucher of the same value."""
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    revoke(world, booklet)
    replacement = replace(world, booklet)
    source = replacement.vouchers[0].replaces_voucher_id
    other = issue(world.issuer78b, make_beneficiary(world.issuer78b))
    with unit_of_work():
        revoke_booklet(world.issuer78b, other, reason="lost")
    unreplaced = other.vouchers[0].id
    replacement_id = replacement.id
    db.session.commit()  # on SQLite the session's transaction would hold the write lock
    insert = text(
        "INSERT INTO vouchers (booklet_id, position, serial, manual_code, value_cents, "
        "status, replaces_voucher_id) VALUES (:b, 99, 'X-99', 'X99AAAAAAA', :cents, "
        "'issued', :src)")
    # a second copy of a replaced voucher; a copy of another value
    for src, cents, refusal in ((source, 1000, "unique"), (unreplaced, 5000, "foreign key")):
        with pytest.raises(IntegrityError, match=f"(?i){refusal}"), \
                db.engine.begin() as connection:
            connection.execute(insert, {"b": replacement_id, "cents": cents, "src": src})
    assert total_cents() == 3 * 100_00


def test_the_database_refuses_a_copy_of_a_live_voucher_and_unrevoking_a_voucher(
        world: World) -> None:
    """A replacement voucher carries a revoked voucher, and a revoked voucher stays so:
    otherwise the copy and its source could both be spent."""
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    revoke(world, booklet)
    revoked_id = booklet.vouchers[0].id
    live = issue(world.issuer78b, make_beneficiary(world.issuer78b))
    live_id, live_booklet_id = live.vouchers[0].id, live.id
    db.session.commit()
    insert = text(
        "INSERT INTO vouchers (booklet_id, position, serial, manual_code, value_cents, "
        "status, replaces_voucher_id) VALUES (:b, 99, 'X-99', 'X99AAAAAAA', 1000, "
        "'issued', :src)")
    with pytest.raises(IntegrityError, match=r"(?i)revoked"), db.engine.begin() as connection:
        connection.execute(insert, {"b": live_booklet_id, "src": live_id})
    for unrevoke in ("UPDATE vouchers SET status = 'issued' WHERE id = :id",
                     "UPDATE vouchers SET status = 'redeemed', redeemed_at = revoked_at "
                     "WHERE id = :id"):
        with pytest.raises(IntegrityError, match=r"(?i)revoked"), \
                db.engine.begin() as connection:
            connection.execute(text(unrevoke), {"id": revoked_id})
    with db.engine.begin() as connection:  # a revoked voucher may be copied, once
        connection.execute(insert, {"b": live_booklet_id, "src": revoked_id})


# --- The booklet page and the PDF -----------------------------------------------------


def test_the_page_says_what_will_be_reissued_and_hides_an_empty_replacement(
        world: World, client: Any) -> None:
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    take(world, booklet.vouchers[:7])
    revoke(world, booklet)
    assert log_in(client, world.issuer78).status_code == 302
    page = client.get(f"/chequiers/{booklet.id}").text
    assert "3 chèques" in page and euros(3000) in page
    assert f"valables jusqu'au {date_fr(booklet.expires_on)}" in page
    assert f'action="/chequiers/{booklet.id}/remplacer"' in page

    response = client.post(f"/chequiers/{booklet.id}/remplacer", follow_redirects=True)
    assert "Chéquier de remplacement" in response.text and "3 chèques" in response.text
    replacement = db.session.scalar(select(Booklet).where(
        Booklet.replaces_booklet_id == booklet.id))
    assert len(replacement.vouchers) == 3
    page = client.get(f"/chequiers/{booklet.id}").text
    assert "Remplacé par le chéquier" in page and replacement.number in page
    assert "/remplacer" not in page

    take(world, replacement.vouchers)
    revoke(world, replacement)
    page = client.get(f"/chequiers/{replacement.id}").text
    assert "/remplacer" not in page
    assert "aucun chèque à remplacer" in page.lower()
    response = client.post(f"/chequiers/{replacement.id}/remplacer", follow_redirects=True)
    assert response.status_code == 200
    assert "aucun chèque" in response.text.lower()
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 2


def test_the_pdf_of_a_replacement_prints_its_own_vouchers_and_validity(
        world: World) -> None:
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    take(world, booklet.vouchers[:6])
    revoke(world, booklet)
    replacement = replace(world, booklet)
    out = io.BytesIO()
    render_booklets([replacement], out)
    pdf = out.getvalue()
    assert len(manual_codes(pdf)) == 4
    text_ = pdf_text(pdf).replace("\u00a0", " ")
    assert f"Valable jusqu'au {date_fr(booklet.expires_on)}" in text_
    assert "4 chèques" in text_ and euros(4000).replace("\u00a0", " ") in text_
    assert f"{replacement.number} (remplace le n° {booklet.number})" in text_


# --- The race ---------------------------------------------------------------------------


def _race_replacements(app: Flask, actor_ids: list[int], booklet_id: int, *,
                       meet_before: str | None) -> list[str]:
    """Replace one booklet from several threads at once; return 'ok' or each error code.

    Each thread has its own app context, session and connection. With ``meet_before``
    (PostgreSQL) they wait for each other right before their first statement starting
    with it; without (SQLite) right before their transactions begin.
    """
    from passnum.auth.models import User

    db.session.commit()
    barrier = threading.Barrier(len(actor_ids), timeout=WAIT_SECONDS)
    local = threading.local()
    outcomes: list[str] = ["missing"] * len(actor_ids)

    def hold(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if (getattr(local, "armed", False) and meet_before
                and statement.lstrip().startswith(meet_before)):
            local.armed = False
            barrier.wait()

    def run(index: int, actor_id: int) -> None:
        with app.app_context():
            try:
                actor = db.session.get(User, actor_id)
                booklet = db.session.get(Booklet, booklet_id)
                db.session.commit()
                local.armed = True
                if meet_before is None:
                    barrier.wait()
                with unit_of_work():
                    issue_replacement(actor, booklet)
                outcomes[index] = "ok"
            except DomainError as err:
                outcomes[index] = err.code
            except Exception as err:  # reported by the assertion, with its type
                outcomes[index] = f"{type(err).__name__}: {err}"
            finally:
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    try:
        threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actor_ids)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS * 2)
    finally:
        event.remove(db.engine, "before_cursor_execute", hold)
    assert not any(thread.is_alive() for thread in threads)
    return sorted(outcomes)


def _replacement_race(app: Flask, *, meet_before: str | None) -> None:
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    take(world, booklet.vouchers[:5])
    revoke(world, booklet)

    outcomes = _race_replacements(app, [world.issuer78.id, world.admin.id], booklet.id,
                                  meet_before=meet_before)

    assert outcomes == ["already_replaced", "ok"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).where(
        Booklet.replaces_booklet_id == booklet.id)) == 1
    assert total_cents() == 100_00 + 5 * 10_00
    assert tallies.differences() == []


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_two_replacements_of_one_booklet_at_once_give_one_on_postgres(app: Flask) -> None:
    _replacement_race(app, meet_before="SELECT booklets")


def test_two_replacements_of_one_booklet_at_once_give_one_on_sqlite(
        sqlite_app: Flask) -> None:
    _replacement_race(sqlite_app, meet_before=None)
