"""Every dashboard figure against hand-counted booklets, in each of the five outputs.

The scene, in the Yvelines (78), ten vouchers of 10 € per booklet:

==========================  =========  =========================================
booklet                     status     vouchers
==========================  =========  =========================================
stock 1                     in stock   10 in stock
stock 2 (past its date)     in stock   10 expired
stock 3, handed out         handed     10 in circulation
named, untouched            handed     10 in circulation
named, partly used          handed     3 redeemed, 7 in circulation
named, fully used           handed     10 redeemed
named, used then cancelled  revoked    2 redeemed, 8 revoked
named, used, expired        handed     4 redeemed, 6 expired
named, used, lost           revoked    1 redeemed, 9 revoked
its replacement (9)         handed     2 redeemed, 7 in circulation
==========================  =========  =========================================

Hand counts: 8 live booklets (6 handed out, 2 in stock), 2 revoked, 7 people; 99
vouchers: 22 redeemed, 34 in circulation, 10 in stock, 16 expired, 17 revoked; 220 €.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from itertools import pairwise
from typing import Any

from markupsafe import escape
from openpyxl import load_workbook
from sqlalchemy import select

from passnum.booklets.expiry import closing_report
from passnum.booklets.models import Booklet, Voucher, VoucherStatus
from passnum.booklets.services import hand_out, issue_replacement, issue_stock, revoke_booklet
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.dashboard.figures import FIGURES, figure
from passnum.dashboard.queries import programme_stats
from passnum.extensions import db
from passnum.redemptions.services import redeem
from tests.api.conftest import API, api_client
from tests.factories import PASSWORD, World, fresh_code, issue, login, make_beneficiary
from tests.pdfutil import pdf_text

EXPECTED = {
    "beneficiaries.reached": 7,
    "booklets.issued": 8, "booklets.handed_out": 6, "booklets.in_stock": 2,
    "booklets.revoked": 2,
    "vouchers.redeemed": 22, "vouchers.in_circulation": 34, "vouchers.in_stock": 10,
    "vouchers.expired": 16, "vouchers.revoked": 17,
    "euros.redeemed_cents": 22_000,
}
CLOSING = {"issued": 99, "redeemed": 22, "revoked": 17, "expired": 16,
           "in_circulation": 34, "in_stock": 10}


def _use(world: World, booklet_id: int, count: int) -> None:
    """Redeem the first ``count`` unused vouchers of the booklet at the 78 venue."""
    codes = list(db.session.scalars(
        select(Voucher.manual_code).where(Voucher.booklet_id == booklet_id,
                                          Voucher.status == VoucherStatus.ISSUED)
        .order_by(Voucher.position).limit(count)))
    with unit_of_work():
        redeem(codes, venue=world.venue78, workshop=None, actor=world.agent78,
               channel="test")


def _expire(booklet_id: int) -> None:
    """Put the booklet's due date in the past."""
    with unit_of_work():
        booklet = db.session.get(Booklet, booklet_id)
        booklet.valid_from = today() - timedelta(days=400)
        booklet.expires_on = today() - timedelta(days=1)


def _revoke(world: World, booklet_id: int, reason: str) -> None:
    with unit_of_work():
        revoke_booklet(world.issuer78, db.session.get(Booklet, booklet_id), reason=reason)


def scene() -> World:
    """The booklets of the table above."""
    world = World()
    issuer = world.issuer78
    with unit_of_work():
        stock = [b.id for b in issue_stock(issuer, world.s78, count=3).booklets]
    with unit_of_work():
        hand_out(issuer, db.session.get(Booklet, stock[2]), make_beneficiary(issuer))
    _expire(stock[1])
    named = [issue(issuer, make_beneficiary(issuer)).id for _ in range(5)]
    issue(issuer, make_beneficiary(issuer))  # untouched
    _use(world, named[0], 3)
    _use(world, named[1], 10)
    _use(world, named[2], 2)
    _revoke(world, named[2], "cancelled")
    _use(world, named[3], 4)
    _expire(named[3])
    _use(world, named[4], 1)
    _revoke(world, named[4], "lost")
    with unit_of_work():
        replacement = issue_replacement(issuer, db.session.get(Booklet, named[4])).id
    _use(world, replacement, 2)
    return world


def _assert_figures(values: dict[str, int]) -> None:
    """``values`` (by figure key) hold the hand counts."""
    assert {key: values[key] for key in EXPECTED} == EXPECTED


def test_stats_and_api_hold_the_hand_counts(app):
    world = scene()
    stats = programme_stats(world.programme.id, departement_id=world.d78.id)
    _assert_figures({f.key: f.value(stats) for f in FIGURES})
    assert stats.vouchers.total == 99

    client = api_client(app)
    token = client.post(f"{API}/tokens", json={
        "email": world.manager78.email, "password": PASSWORD,
        "totp": fresh_code(world.manager78.id)}).json["token"]
    answer = client.get(f"{API}/stats", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    _assert_figures({f.key: f.value(answer.json) for f in FIGURES})


FIGURE = re.compile(r'data-figure="(\w+)"(?: data-cents="(\d+)")?>([^<]*)<')


def test_dashboard_page_shows_the_hand_counts_and_a_glossary(client, app):
    world = scene()
    login(client, world.manager78)
    page = client.get("/tableau-de-bord/").text
    shown = {key: int(cents) if cents else int(re.sub(r"\D", "", text))
             for key, cents, text in FIGURE.findall(page)}
    _assert_figures({f.key: shown[f.dom_key] for f in FIGURES if f.dom_key in shown})
    assert set(EXPECTED) <= {f.key for f in FIGURES if f.dom_key in shown}
    assert "<summary>Définitions des chiffres</summary>" in page
    for f in FIGURES:
        assert f'data-definition="{f.dom_key}">{escape(f.definition)}' in page


def _summary(rows: list[list[Any]]) -> dict[str, Any]:
    """Figure key → value of a summary table (label, value)."""
    by_label = {f.label: f.key for f in FIGURES}
    return {by_label[label]: value for label, value in rows if label in by_label}


def test_csv_xlsx_and_funder_pdf_hold_the_hand_counts(client, app):
    world = scene()
    login(client, world.manager78)
    text = client.get("/tableau-de-bord/export.csv?table=summary").text.lstrip("\ufeff")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))[1:]
    values = {key: int(value.replace(",", "")) if figure(key).is_money else int(value)
              for key, value in _summary(rows).items()}
    _assert_figures(values)

    book = load_workbook(io.BytesIO(client.get("/tableau-de-bord/export.xlsx").data))
    rows = [list(r) for r in book["Synthèse"].iter_rows(min_row=2, values_only=True)]
    values = {key: round(value * 100) if figure(key).is_money else value
              for key, value in _summary(rows).items()}
    _assert_figures(values)

    pdf = pdf_text(client.get("/tableau-de-bord/rapport.pdf").data).replace("\u00a0", " ")
    lines = [line.strip() for line in pdf.splitlines()]
    after: dict[str, str] = {}  # the summary comes first: a label, then its value
    for label, value in pairwise(lines):
        after.setdefault(label, value)
    for key, value in EXPECTED.items():
        shown = "220,00 €" if figure(key).is_money else str(value)
        assert after[figure(key).label] == shown, key
    assert "Définitions" in pdf
    assert figure("vouchers.in_circulation").definition[:40] in pdf.replace("\n", " ")


def test_closing_report_holds_the_hand_counts_on_page_csv_and_pdf(client, app):
    world = scene()
    report = closing_report(world.manager78, world.programme.id)
    row = report.rows[0]
    assert row.code == "78"
    assert {key: getattr(row, key) for key in CLOSING} == CLOSING
    assert {key: getattr(row, f"{key}_cents") for key in CLOSING} == {
        key: value * 1000 for key, value in CLOSING.items()}

    login(client, world.manager78)
    url = f"/programmes/{world.programme.id}/cloture"
    page = client.get(url).text
    cells = re.findall(r"<td>([^<]*)</td>", page.split('<th scope="row">Yvelines (78)</th>')[1]
                       .split("</tr>")[0])
    assert [c for c in cells if "€" not in c] == [str(v) for v in CLOSING.values()]
    assert "Chèques en circulation" in page and "Chèques en stock" in page

    answer = client.get(f"{url}.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.text.lstrip("\ufeff")), delimiter=";"))
    header, line = rows[0], next(r for r in rows if r[0] == "78")
    assert {key: int(line[header.index(label)]) for key, label in (
        ("issued", "Chèques émis"), ("redeemed", "Chèques encaissés"),
        ("revoked", "Chèques révoqués"), ("expired", "Chèques expirés"),
        ("in_circulation", "Chèques en circulation"), ("in_stock", "Chèques en stock"))
    } == CLOSING

    answer = client.get(f"{url}.pdf")
    assert answer.status_code == 200 and answer.mimetype == "application/pdf"
    text = pdf_text(answer.data).replace("\u00a0", " ")
    assert "Rapport de clôture" in text
    lines = [line.strip() for line in text.splitlines()]
    start = lines.index("Yvelines (78)") + 1
    assert lines[start:start + 11] == ["99", "22", "220,00 €", "17", "170,00 €", "16",
                                       "160,00 €", "34", "340,00 €", "10", "100,00 €"]


def test_closing_report_is_linked_from_programmes(client, app):
    world = scene()
    login(client, world.admin)
    page = client.get("/programmes/").text
    url = f"/programmes/{world.programme.id}/cloture"
    assert f'href="{url}"' in page


def test_api_document_carries_the_figures_definitions(app):
    doc = api_client(app).get(f"{API}/openapi.json").json
    vouchers = doc["components"]["schemas"]["Stats"]["properties"]["vouchers"]["properties"]
    circulation = figure("vouchers.in_circulation")
    assert vouchers["in_circulation"]["description"] == (
        f"{circulation.label} : {circulation.definition}")
    assert "in_stock" in vouchers and "outstanding" not in vouchers
