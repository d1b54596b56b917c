"""An issuer's day in the browser: record a person, issue a chéquier, print it.

The printed PDF is read back the way a phone would (rasterised, QR codes decoded) and
every code in it is checked through the JSON API with the browser's own session.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from passnum.booklets.models import Booklet
from passnum.core.signing import sign_serial, voucher_url
from passnum.extensions import db
from tests.browser.conftest import BrowserErrors, LiveServer
from tests.pdfutil import decode_qr_urls, manual_codes

pytestmark = pytest.mark.browser

ISSUER = "issuer78@demo.passnum.fr"
PERSON = {
    "last_name": "Lefèvre",
    "first_name": "Anne-Marie",
    "birth_date": "1958-03-14",
    "postal_code": "78500",
}
BOOKLET_URL = re.compile(r"/chequiers/(\d+)$")
ISSUED_FLASH = re.compile(r"^Chéquier n° (\S+) émis")


def expect_heading(page: Page, text: str | re.Pattern[str]) -> None:
    """Wait until the page's one ``h1`` reads ``text``."""
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text(text)


def create_beneficiary(page: Page, person: dict[str, str]) -> int:
    """From the Bénéficiaires page, fill the new-person form and submit it.

    Return the HTTP status of the form's answer.
    """
    page.get_by_role("navigation").get_by_role("link", name="Bénéficiaires").click()
    expect_heading(page, "Bénéficiaires")
    page.get_by_role("link", name="Nouveau bénéficiaire").click()
    expect_heading(page, "Nouveau bénéficiaire")
    page.get_by_label("Nom", exact=True).fill(person["last_name"])
    page.get_by_label("Prénom", exact=True).fill(person["first_name"])
    birth = page.get_by_label("Date de naissance", exact=True)
    expect(birth).to_have_attribute("type", "date")
    birth.fill(person["birth_date"])
    page.get_by_label("Code postal", exact=True).fill(person["postal_code"])
    page.get_by_role("group", name="Consentement").get_by_role("checkbox").check()
    with page.expect_response(
        lambda r: r.request.method == "POST" and r.url.endswith("/beneficiaires/nouveau")
    ) as answer:
        page.get_by_role("button", name="Enregistrer").click()
    return answer.value.status


def issue_booklet(page: Page) -> tuple[int, str]:
    """On the beneficiary page, issue the chéquier; return its id and number."""
    page.get_by_role("button", name="Émettre un chéquier").click()
    flash = page.locator(".flash-success")
    expect(flash).to_have_text(ISSUED_FLASH)
    number = ISSUED_FLASH.match(flash.inner_text().strip()).group(1)
    expect_heading(page, f"Chéquier n° {number}")
    match = BOOKLET_URL.search(page.url)
    assert match, page.url
    return int(match.group(1)), number


def booklet_codes(
    live_server: LiveServer, booklet_id: int
) -> tuple[set[str], set[str], set[str]]:
    """The check URLs, manual codes and serials of the booklet's vouchers, from the DB."""
    with live_server.app_context():
        booklet = db.session.scalar(
            select(Booklet).options(selectinload(Booklet.vouchers))
            .where(Booklet.id == booklet_id)
        )
        urls = {voucher_url(sign_serial(v.serial)) for v in booklet.vouchers}
        codes = {v.manual_code for v in booklet.vouchers}
        serials = {v.serial for v in booklet.vouchers}
        db.session.remove()
    return urls, codes, serials


def check_code(page: Page, code: str) -> dict:
    """Check ``code`` through the JSON API with the browser's session; return the JSON."""
    response = page.request.get("/api/v1/vouchers/check", params={"code": code})
    assert response.status == 200, (code, response.status, response.text())
    return response.json()


def test_issuer_records_a_person_issues_and_prints_a_booklet(
    page: Page, live_server: LiveServer, log_in: Callable[..., None]
) -> None:
    """Log in, record a person, issue and download the PDF; every printed code checks valid."""
    log_in(ISSUER)
    expect_heading(page, "Bénéficiaires")

    assert create_beneficiary(page, PERSON) == 302
    expect(page.locator(".flash-success")).to_have_text("Bénéficiaire enregistré(e).")
    expect_heading(page, "LEFÈVRE Anne-Marie")
    expect(page.get_by_text("Aucun chéquier pour le moment.")).to_be_visible()

    booklet_id, number = issue_booklet(page)
    assert number.startswith("78-")

    with page.expect_download() as download_info:
        page.get_by_role("button", name="Télécharger le PDF à imprimer").click()
    download = download_info.value
    assert download.failure() is None
    assert download.suggested_filename == f"chequier-{number}.pdf"
    pdf_bytes = Path(download.path()).read_bytes()
    assert pdf_bytes.startswith(b"%PDF-")

    expected_urls, expected_codes, expected_serials = booklet_codes(live_server, booklet_id)
    assert len(expected_urls) == 10
    urls = decode_qr_urls(pdf_bytes)
    assert len(urls) == 10, urls
    assert all(url.startswith(f"{live_server.url}/v/") for url in urls), urls
    assert sorted(urls) == sorted(expected_urls)

    printed = manual_codes(pdf_bytes)
    assert len(printed) == 10, printed
    typed = [code.replace("-", "").lower() for code in printed]
    assert {code.upper() for code in typed} == expected_codes

    # The server reads every printed code as a valid voucher of this booklet.
    for codes in (urls, typed):
        serials = set()
        for code in codes:
            verdict = check_code(page, code)
            assert verdict["valid"] is True, (code, verdict)
            assert verdict["booklet_number"] == number, (code, verdict)
            serials.add(verdict["serial"])
        assert serials == expected_serials

    # The booklet page counts the print.
    page.reload()
    printed_count = page.locator("xpath=//dt[normalize-space()='Impressions']/following::dd[1]")
    expect(printed_count).to_have_text("1")
    expect_heading(page, f"Chéquier n° {number}")


def test_same_person_is_refused_and_a_live_booklet_is_not_issued_twice(
    page: Page, log_in: Callable[..., None], browser_errors: BrowserErrors
) -> None:
    """A second record of the same person is refused; a live booklet hides the issue button."""
    log_in(ISSUER)
    assert create_beneficiary(page, PERSON) == 302
    expect_heading(page, "LEFÈVRE Anne-Marie")
    person_url = page.url
    assert re.search(r"/beneficiaires/\d+$", person_url), person_url
    _booklet_id, number = issue_booklet(page)

    page.get_by_role("link", name="LEFÈVRE Anne-Marie").click()
    expect(page).to_have_url(person_url)
    expect_heading(page, "LEFÈVRE Anne-Marie")
    expect(page.get_by_role("link", name=f"Chéquier n° {number}")).to_be_visible()
    expect(page.get_by_role("button", name="Émettre un chéquier")).to_have_count(0)

    # Accents, case and hyphens do not make another person; the form answers 409.
    browser_errors.allow(r"status of 409 .*/beneficiaires/nouveau\)$")
    again = {**PERSON, "last_name": "LEFEVRE", "first_name": "anne marie"}
    assert create_beneficiary(page, again) == 409
    expect(page.get_by_role("alert")).to_contain_text("déjà enregistrée")
    expect_heading(page, "Nouveau bénéficiaire")
    page.get_by_role("link", name="Ouvrir la fiche existante").click()
    expect(page).to_have_url(person_url)
    expect_heading(page, "LEFÈVRE Anne-Marie")
    expect(page.get_by_role("button", name="Émettre un chéquier")).to_have_count(0)
