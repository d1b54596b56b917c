"""Expiry: booklets expiring within 30 days and the programme's closing report."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from passnum.booklets.expiry import closing_report, expiring_booklets
from passnum.booklets.models import Booklet, Voucher
from passnum.booklets.services import issue_stock, revoke_booklet
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.core.formatting import date_fr, euros
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.redemptions.services import redeem
from tests.factories import World, issue, make_beneficiary
from tests.web.test_issuing_pages import login


def expiring_in(booklet: Booklet, days: int) -> Booklet:
    """Make ``booklet`` expire ``days`` from today (negative: already expired)."""
    booklet.valid_from = today() - timedelta(days=400)
    booklet.expires_on = today() + timedelta(days=days)
    db.session.commit()
    return booklet


def booklet_of(world: World, issuer, days: int) -> Booklet:
    """A booklet handed out by ``issuer`` to a new person, expiring in ``days``."""
    return expiring_in(issue(issuer, make_beneficiary(issuer)), days)


def take(world: World, vouchers: list[Voucher]) -> None:
    """Redeem ``vouchers`` at the 78 venue."""
    with unit_of_work():
        redeem([v.manual_code for v in vouchers], venue=world.venue78, workshop=None,
               actor=world.agent78, channel="test")


def revoke(actor, booklet: Booklet) -> None:
    """Declare ``booklet`` lost."""
    with unit_of_work():
        revoke_booklet(actor, db.session.get(Booklet, booklet.id), reason="lost")


def refused(fn, *args, **kw) -> DomainError:
    """Call ``fn`` and return the ``DomainError`` it must raise."""
    with pytest.raises(DomainError) as info:
        fn(*args, **kw)
    return info.value


def test_thirty_day_window_and_what_is_left(app):
    world = World()
    expires_today = booklet_of(world, world.issuer78, 0)
    in_30 = booklet_of(world, world.issuer78, 30)
    in_31 = booklet_of(world, world.issuer78, 31)
    yesterday = booklet_of(world, world.issuer78, -1)
    started = booklet_of(world, world.issuer78, 10)
    take(world, started.vouchers[:3])
    used_up = booklet_of(world, world.issuer78, 5)
    take(world, used_up.vouchers)
    revoked = booklet_of(world, world.issuer78, 5)
    revoke(world.issuer78, revoked)
    with unit_of_work():
        batch = issue_stock(world.issuer78, world.s78, count=1)
    in_stock = expiring_in(batch.booklets[0], 5)

    rows = expiring_booklets(world.issuer78)

    assert [r.number for r in rows] == [expires_today.number, started.number, in_30.number]
    assert [(r.unused_count, r.unused_cents) for r in rows] == [(10, 10_000), (7, 7_000),
                                                                 (10, 10_000)]
    listed = {r.booklet_id for r in rows}
    assert not listed & {in_31.id, yesterday.id, used_up.id, revoked.id, in_stock.id}
    first = rows[0]
    assert first.expires_on == today()
    assert first.structure_name == world.s78.name
    assert first.beneficiary_name == expires_today.beneficiary.display_name


def test_each_role_sees_its_scope_and_venue_agents_nothing(app):
    world = World()
    b78 = booklet_of(world, world.issuer78, 10)
    b78b = booklet_of(world, world.issuer78b, 10)
    b92 = booklet_of(world, world.issuer92, 10)

    def seen(actor) -> set[int]:
        return {r.booklet_id for r in expiring_booklets(actor)}

    assert seen(world.issuer78) == {b78.id}
    assert seen(world.issuer78b) == {b78b.id}
    assert seen(world.issuer92) == {b92.id}
    assert seen(world.manager78) == {b78.id, b78b.id}
    assert seen(world.manager92) == {b92.id}
    assert seen(world.admin) == {b78.id, b78b.id, b92.id}
    assert refused(expiring_booklets, world.agent78).code == "forbidden"


def test_expiring_page_for_issuer_manager_and_venue_agent(client, app):
    world = World()
    booklet = booklet_of(world, world.issuer78, 12)
    take(world, booklet.vouchers[:4])
    other = booklet_of(world, world.issuer92, 12)
    number, person = booklet.number, booklet.beneficiary.display_name
    other_number, expires = other.number, booklet.expires_on
    programme_id = world.programme.id

    assert client.get("/echeances").status_code == 302
    login(client, world.issuer78)
    response = client.get("/echeances")
    assert response.status_code == 200
    page = response.text
    assert f'href="/chequiers/{booklet.id}">{number}</a>' in page
    assert person in page and world.s78.name in page and date_fr(expires) in page
    assert euros(6_000) in page and "Total : 1 chéquier" in page
    assert "rappeler d'utiliser ses chèques" in page
    assert other_number not in page
    assert f"/programmes/{programme_id}/cloture" not in page
    assert 'href="/echeances">Échéances</a>' in page

    client.post("/deconnexion")
    login(client, world.manager92)
    page = client.get("/echeances").text
    assert other_number in page and number not in page
    assert f"/programmes/{programme_id}/cloture" in page

    client.post("/deconnexion")
    login(client, world.agent78)
    response = client.get("/echeances")
    assert response.status_code == 403
    assert 'href="/echeances"' not in response.text


def closing_scene(world: World) -> None:
    """Vouchers in every state, in both départements and two structures of the 78."""
    expired_started = booklet_of(world, world.issuer78, 3)
    take(world, expired_started.vouchers[:3])
    expiring_in(expired_started, -2)
    booklet_of(world, world.issuer78b, -40)
    valid_started = booklet_of(world, world.issuer78b, 100)
    take(world, valid_started.vouchers[:1])
    revoked = booklet_of(world, world.issuer78, 50)
    take(world, revoked.vouchers[:2])
    revoke(world.issuer78, revoked)
    expired92 = booklet_of(world, world.issuer92, 1)
    take(world, expired92.vouchers[:5])
    expiring_in(expired92, -1)
    booklet_of(world, world.issuer92, 0)


def independent_counts(programme_id: int) -> dict[str, Counter]:
    """Figures per département code, classified in Python from every voucher row."""
    rows = db.session.execute(
        select(Departement.code, Voucher.status, Voucher.value_cents, Booklet.expires_on,
               Booklet.status)
        .join(Booklet, Booklet.id == Voucher.booklet_id)
        .join(Departement, Departement.id == Booklet.departement_id)
        .where(Booklet.programme_id == programme_id)
    ).all()
    out: dict[str, Counter] = {}
    for code, status, cents, expires_on, booklet_status in rows:
        kinds = ["issued", status]
        if status == "issued":
            kinds = ["issued", "expired" if expires_on < today() else
                     "in_stock" if booklet_status == "in_stock" else "in_circulation"]
        counter = out.setdefault(code, Counter())
        for kind in dict.fromkeys(kinds):
            counter[kind] += 1
            counter[f"{kind}_cents"] += cents
    return out


def figures(row) -> Counter:
    """The report row as a counter comparable with ``independent_counts``."""
    names = ["issued", "redeemed", "revoked", "expired", "in_circulation", "in_stock"]
    return Counter({k: v for n in names
                    for k, v in ((n, getattr(row, n)), (f"{n}_cents", getattr(row, f"{n}_cents")))
                    if v})


def test_closing_report_matches_an_independent_count_per_departement(app):
    world = World()
    closing_scene(world)
    expected = independent_counts(world.programme.id)

    report = closing_report(world.admin, world.programme.id)

    assert [r.code for r in report.rows] == ["78", "92"]
    for row in report.rows:
        assert figures(row) == expected[row.code]
    d78 = report.rows[0]
    assert (d78.issued, d78.redeemed, d78.revoked, d78.expired, d78.in_circulation) == (
        40, 6, 8, 17, 9)
    assert d78.expired_cents == 17_000 and d78.revoked_cents == 8_000
    d92 = report.rows[1]
    assert (d92.expired, d92.expired_cents, d92.in_circulation, d92.redeemed) == (5, 5_000, 10, 5)
    assert figures(report.total) == expected["78"] + expected["92"]
    assert report.on == today()


def test_closing_report_scope_and_refusals(app):
    world = World()
    closing_scene(world)
    pid = world.programme.id

    mine = closing_report(world.manager92, pid)
    assert [r.code for r in mine.rows] == ["92"]
    assert figures(mine.total) == independent_counts(pid)["92"]
    assert [r.code for r in closing_report(world.manager78, pid).rows] == ["78"]
    assert refused(closing_report, world.issuer78, pid).code == "forbidden"
    assert refused(closing_report, world.agent78, pid).code == "forbidden"
    assert refused(closing_report, world.admin, pid + 99).http_status == 404


def test_closing_page_shows_figures_and_refuses_others(client, app):
    world = World()
    closing_scene(world)
    pid = world.programme.id
    url = f"/programmes/{pid}/cloture"

    login(client, world.manager78)
    response = client.get(url)
    assert response.status_code == 200
    page = response.text
    assert f"Chiffres arrêtés au {date_fr(today())}" in page
    assert "retourne à la subvention" in page
    assert f"<td>17</td><td>{euros(17_000)}</td>" in page
    assert '<th scope="row">Yvelines (78)</th>' in page
    assert '<th scope="row">Hauts-de-Seine (92)</th>' not in page
    assert client.get(f"/programmes/{pid + 99}/cloture").status_code == 404

    for user in (world.issuer78, world.agent78):
        client.post("/deconnexion")
        login(client, user)
        assert client.get(url).status_code == 403
