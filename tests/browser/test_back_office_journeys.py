"""Back-office journeys in the browser: stock booklets and their hand-out, a venue's
monthly statement from draft to archive, and the dashboard's exports.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Download, Page, expect
from sqlalchemy import select

from passnum.auth.models import User
from passnum.booklets.services import issue_booklet
from passnum.core.clock import PARIS, frozen, today
from passnum.core.db import unit_of_work
from passnum.core.formatting import agree, euros, plural
from passnum.extensions import db
from passnum.redemptions.services import redeem
from tests.browser.conftest import LiveServer
from tests.factories import make_beneficiary

pytestmark = pytest.mark.browser

ISSUER = "issuer78@demo.passnum.fr"
MANAGER = "manager78@demo.passnum.fr"
AGENT = "venue78@demo.passnum.fr"
VENUE_NAME = "Médiathèque de Sartrouville"
PERSON = {"last_name": "Garnier", "first_name": "Josiane", "birth_date": "1949-11-02"}
REDEEMED = 2


def expect_heading(page: Page, text: str | re.Pattern[str]) -> None:
    """Wait until the page's one ``h1`` reads ``text``."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text(text)


def download_from(page: Page, link_name: str, role: str = "link") -> tuple[Download, bytes]:
    """Click the first link (or button, for a download that is recorded: a POST) named
    ``link_name``; return the download and its bytes."""
    with page.expect_download() as info:
        page.get_by_role(role, name=link_name, exact=True).first.click()
    download = info.value
    assert download.failure() is None
    return download, Path(download.path()).read_bytes()


def fact(page: Page, term: str):
    """The ``dd`` following the ``dt`` reading ``term`` in the page's facts."""
    return page.locator(f"xpath=//dt[normalize-space()='{term}']/following-sibling::dd[1]")


# --- stock and hand-out -----------------------------------------------------------


def record_person(live_server: LiveServer) -> None:
    """The demo issuer's structure knows the person the booklet is handed to."""
    with live_server.app_context():
        try:
            issuer = db.session.scalar(select(User).where(User.email == ISSUER))
            make_beneficiary(issuer, **PERSON)
        finally:
            db.session.remove()


def print_stock(page: Page, count: int) -> list[str]:
    """Print ``count`` stock booklets, download the batch PDF; return the stock's numbers."""
    page.get_by_role("navigation").get_by_role("link", name="Stock").click()
    expect_heading(page, re.compile(r"^Stock de chéquiers"))
    expect(page.get_by_text("Aucun chéquier en stock.")).to_be_visible()
    page.get_by_label("Nombre de chéquiers à imprimer").fill(str(count))
    page.get_by_role("button", name="Imprimer ces chéquiers de stock").click()
    made = plural(count, "chéquier") + " " + agree(count, "créé")
    expect(page.locator(".flash-success")).to_contain_text(f"{made} en stock")
    download, pdf = download_from(page, "Télécharger le PDF du lot à imprimer", "button")
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    assert re.fullmatch(r"chequiers-stock-lot-\d+\.pdf", download.suggested_filename)
    expect(page.get_by_role("heading", name=f"Chéquiers en stock ({count})")).to_be_visible()
    rows = page.locator("section[aria-labelledby='stock-title'] tbody tr")
    expect(rows).to_have_count(count)
    expect(rows.locator(".badge")).to_have_text(["En stock"] * count)
    return [n.strip() for n in rows.locator("td:first-child a").all_inner_texts()]


def test_issuer_prints_stock_booklets_and_hands_one_out(
    page: Page, live_server: LiveServer, log_in: Callable[..., None]
) -> None:
    """Print a batch of stock booklets, download its PDF, hand one out to a known person."""
    record_person(live_server)
    log_in(ISSUER)
    numbers = print_stock(page, 2)
    assert len(numbers) == 2 and all(n.startswith("78-") for n in numbers), numbers
    number = numbers[0]

    page.get_by_role("link", name="Remettre un chéquier du stock").click()
    expect_heading(page, "Remettre un chéquier du stock")
    page.get_by_label("Numéro du chéquier").fill(number.lower().replace("-", " "))
    page.get_by_role("button", name="Rechercher le chéquier").click()
    expect_heading(page, f"Remettre le chéquier n° {number}")
    expect(page.locator(".title-row .badge")).to_have_text("En stock")

    page.get_by_label("Nom", exact=True).fill("GARNIER")
    page.get_by_label("Date de naissance").fill(PERSON["birth_date"])
    page.get_by_role("button", name="Rechercher", exact=True).click()
    results = page.get_by_role("table", name="Personnes trouvées dans la structure")
    expect(results.locator("tbody tr")).to_have_count(1)
    results.get_by_role("link", name=re.compile(r"^Choisir")).click()
    expect(page.get_by_role("heading", name="3. Confirmer la remise")).to_be_visible()
    expect(page.get_by_text("né(e) le 02/11/1949")).to_be_visible()
    page.get_by_role("button", name="Confirmer la remise").click()

    expect(page.locator(".flash-success")).to_have_text(
        re.compile(rf"^Chéquier n° {re.escape(number)} remis\.\s*$"))
    expect_heading(page, "4. Premier atelier")
    page.get_by_role("link", name="Passer cette étape").click()
    expect_heading(page, f"Chéquier n° {number}")
    expect(page).to_have_url(re.compile(r"/chequiers/\d+$"))
    expect(page.locator(".title-row .badge")).to_have_text("Remis")

    # the stock lists only the other booklet now
    page.get_by_role("navigation").get_by_role("link", name="Stock").click()
    expect(page.get_by_role("heading", name="Chéquiers en stock (1)")).to_be_visible()
    expect(page.get_by_role("link", name=numbers[1], exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=number, exact=True)).to_have_count(0)


# --- statement workflow -----------------------------------------------------------


def middle_of_last_month() -> datetime:
    """The 15th of last month (Paris), 10:00, as a UTC-aware instant."""
    last_month = today().replace(day=1) - timedelta(days=1)
    return datetime.combine(last_month.replace(day=15), time(10), PARIS).astimezone(UTC)


def redeem_last_month(live_server: LiveServer) -> tuple[date, list[str], int]:
    """Issue a booklet and redeem vouchers at the demo venue, mid last month.

    Return the month, the redeemed serials and their total value in cents.
    """
    at = middle_of_last_month()
    with live_server.app_context(), frozen(at):
        try:
            issuer = db.session.scalar(select(User).where(User.email == ISSUER))
            agent = db.session.scalar(select(User).where(User.email == AGENT))
            beneficiary = make_beneficiary(issuer)
            with unit_of_work():
                booklet = issue_booklet(issuer, beneficiary)
                vouchers = list(booklet.vouchers)[:REDEEMED]
                serials = [v.serial for v in vouchers]
                total = sum(v.value_cents for v in vouchers)
            with unit_of_work():
                redeem([v.manual_code for v in vouchers], venue=agent.venue, workshop=None,
                       actor=agent, channel="test")
        finally:
            db.session.remove()
    return at.astimezone(PARIS).date().replace(day=1), serials, total


def expect_status(page: Page, label: str) -> None:
    """The statement's summary shows status ``label``."""
    expect(page.locator("#resume .badge")).to_have_text(label)


def generate_statement(page: Page, month: date) -> None:
    """From the statements list, generate the demo venue's statement for ``month``."""
    page.goto("/releves")
    expect_heading(page, "Relevés de remboursement")
    page.get_by_role("link", name="Générer un relevé").click()
    expect_heading(page, "Générer un relevé de remboursement")
    page.get_by_label("Lieu labellisé").select_option(label=f"{VENUE_NAME} (Sartrouville)")
    page.get_by_label("Mois (AAAA-MM)").fill(month.strftime("%Y-%m"))
    page.get_by_label("Département payeur").select_option(value="78")
    page.get_by_role("button", name="Générer le relevé").click()
    expect(page.locator(".flash-success")).to_have_text("Relevé créé (brouillon).")


def check_statement_files(page: Page, serials: list[str], total: int) -> None:
    """The PDF and CSV of the statement download; the CSV lists the serials and sums to
    ``total`` cents."""
    _download, pdf = download_from(page, "Télécharger le PDF")
    assert pdf.startswith(b"%PDF-"), pdf[:20]
    download, raw = download_from(page, "Exporter en CSV")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    cheques = [row for row in rows if row["type"] == "cheque"]
    assert sorted(row["numero_de_serie"] for row in cheques) == sorted(serials), rows
    assert sum(int(row["montant_euros"].replace(",", "")) for row in cheques) == total, rows


def test_manager_generates_validates_pays_and_archives_a_statement(
    page: Page, live_server: LiveServer, log_in: Callable[..., None]
) -> None:
    """Draft → validated → paid → archived; totals and exports match the redemptions."""
    month, serials, total = redeem_last_month(live_server)
    assert total > 0
    log_in(MANAGER)
    generate_statement(page, month)
    expect_heading(page, re.compile(rf"^Relevé .*{VENUE_NAME}"))
    expect_status(page, "Brouillon")
    expect(fact(page, "Chèques")).to_have_text(f"{REDEEMED} — {euros(total)}")
    expect(fact(page, "Montant dû")).to_have_text(euros(total))
    lines = page.get_by_role("table", name="Chèques du relevé, par date d'encaissement")
    expect(lines.locator("td.serial")).to_have_count(REDEEMED)
    assert sorted(lines.locator("td.serial").all_inner_texts()) == sorted(serials)

    page.get_by_label("Je confirme").check()
    page.get_by_role("button", name="Valider le relevé").click()
    expect(page.locator(".flash-success")).to_have_text("Relevé validé : il est désormais figé.")
    expect_status(page, "Validé")
    expect(fact(page, "Montant dû")).to_have_text(euros(total))

    paid_on = today()
    page.get_by_label("Date du paiement").fill(paid_on.isoformat())
    page.get_by_label("Référence du paiement (mandat, virement)").fill("MANDAT-0042")
    page.get_by_role("button", name="Enregistrer le paiement").click()
    expect(page.locator(".flash-success")).to_have_text("Paiement enregistré.")
    expect_status(page, "Payé")
    expect(fact(page, "Payé le")).to_contain_text("référence MANDAT-0042")

    page.get_by_label("Je confirme").check()
    page.get_by_role("button", name="Archiver").click()
    expect(page.locator(".flash-success")).to_have_text("Relevé archivé.")
    expect_status(page, "Archivé")
    expect(fact(page, "Archivé le")).to_be_visible()
    expect(fact(page, "Chèques")).to_have_text(f"{REDEEMED} — {euros(total)}")

    check_statement_files(page, serials, total)


# --- dashboard exports ------------------------------------------------------------


def test_manager_exports_the_dashboard(
    page: Page, log_in: Callable[..., None]
) -> None:
    """The dashboard's CSV and XLSX links download a table with a header and a workbook."""
    log_in(MANAGER)
    page.goto("/tableau-de-bord/")
    expect_heading(page, re.compile(r"^Tableau de bord"))

    download, raw = download_from(page, "CSV")
    assert re.fullmatch(r"tableau-de-bord-\w+-78\.csv", download.suggested_filename), (
        download.suggested_filename)
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines and lines[0].strip(), raw[:200]
    assert len(lines[0].split(";" if ";" in lines[0] else ",")) >= 2, lines[0]

    download, workbook = download_from(page, "Tout exporter (XLSX)")
    assert download.suggested_filename == "tableau-de-bord-78.xlsx"
    assert workbook.startswith(b"PK"), workbook[:10]
