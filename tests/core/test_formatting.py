"""French display by Babel (fr_FR): numbers, money, plural agreement, dates; and the
pages that show them."""

from __future__ import annotations

from datetime import date

from passnum.core.formatting import date_fr, euros, number, plural
from tests.dashboard.test_figures import scene
from tests.factories import login

NNBSP, NBSP = "\u202f", "\u00a0"


def test_numbers_money_and_dates_in_french() -> None:
    assert number(36_000) == f"36{NNBSP}000"
    assert number(12.5) == "12,5"
    assert euros(200_000_000) == f"2{NNBSP}000{NNBSP}000,00{NBSP}€"
    assert euros(1000) == f"10,00{NBSP}€"
    assert euros(-150) == f"-1,50{NBSP}€"
    assert date_fr(date(2024, 3, 2)) == "02/03/2024"


def test_plural_agreement() -> None:
    assert plural(0, "relevé") == "0 relevé"
    assert plural(1, "révoqué") == "1 révoqué"
    assert plural(2, "révoqué") == "2 révoqués"
    assert plural(1500, "chéquier") == f"1{NNBSP}500 chéquiers"
    assert plural(2, "chèque", "chèques") == "2 chèques"


def test_dashboard_numbers_grouped_and_agreed(client, app) -> None:
    world = scene()
    login(client, world.admin)
    page = client.get("/tableau-de-bord/").text
    assert '<html lang="fr">' in page
    # the programme's budget: 10 000,00 €
    assert f"10{NNBSP}000,00{NBSP}€" in page
    assert "2 révoqués à part" in page.replace("</span>", "").split(
        'data-figure="booklets_revoked">')[1][:40]
    page = client.get("/tableau-de-bord/?departement=92").text
    assert "0 révoqué à part" in page.replace("</span>", "").split(
        'data-figure="booklets_revoked">')[1][:40]


def test_refusal_names_the_venue_without_a_second_a(app) -> None:
    """"… à 14:02 à Médiathèque" read badly: the venue is named apart."""
    from passnum.booklets.models import Voucher
    from passnum.core.db import unit_of_work
    from passnum.extensions import db
    from passnum.redemptions.services import redeem
    from passnum.redemptions.validation import refusal_message
    from tests.factories import World, issue, make_beneficiary

    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    with unit_of_work():
        redeem([booklet.vouchers[0].manual_code], venue=world.venue78, workshop=None,
               actor=world.agent78, channel="test")
    voucher = db.session.get(Voucher, booklet.vouchers[0].id)
    message = refusal_message("already_redeemed", voucher, venue_name="Médiathèque Zola")
    assert message.startswith("Chèque déjà encaissé le ")
    assert " à Médiathèque" not in message
    assert message.endswith("par « Médiathèque Zola ».")


def test_pdf_paragraphs_never_start_a_line_with_a_colon() -> None:
    """French puts a space before ":" and ";": a no-break one, so that a wrapped line
    never starts with the sign."""
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.platypus import Paragraph

    from passnum.core.pdftext import markup

    text = "Projection au rythme observé (3 mois) : 12,5 chéquiers ; voir plus bas : fin."
    for width in range(60, 400, 7):
        paragraph = Paragraph(markup(text), getSampleStyleSheet()["Normal"])
        paragraph.wrap(width, 1000)
        lines = [" ".join(word for word in line[1]).strip()
                 for line in paragraph.blPara.lines]
        assert not any(line.startswith((":", ";")) for line in lines), (width, lines)
