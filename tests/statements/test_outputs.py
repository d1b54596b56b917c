"""PDF, CSV, finance export and API: the same figures everywhere."""

from __future__ import annotations

import csv
import io
from datetime import date

from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.statements import queries, services
from passnum.statements.models import Statement
from tests.api.conftest import api_client, bearer
from tests.factories import make_workshop
from tests.pdfutil import page_count, page_texts, pdf_text
from tests.statements.helpers import at, build, generate, paris, validate
from tests.web.test_issuing_pages import login

MARCH, APRIL = date(2024, 3, 1), date(2024, 4, 1)
NOW = paris(2024, 4, 6, 10)


def read_csv(body: bytes) -> list[dict[str, str]]:
    """Rows of a semicolon CSV with BOM."""
    text = body.decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text[1:]), delimiter=";"))


def cents(text: str) -> int:
    """``-12,50`` → -1250."""
    sign = -1 if text.startswith("-") else 1
    whole, rest = text.lstrip("-").split(",")
    return sign * (int(whole) * 100 + int(rest))


def plain(text: str) -> str:
    return text.replace("\u00a0", " ")


def test_pdf_csv_and_api_agree(app):
    sw = build()
    with at(paris(2024, 3, 12, 9)):
        workshop = make_workshop(sw.places["a"].venue)
        workshop.title = "=Premiers pas sur tablette"
        db.session.commit()
    sw.take("a", paris(2024, 3, 12, 9, 10), "78", workshop=workshop)
    sw.take("a", paris(2024, 3, 14, 9), "78", "78")
    venue, dep, manager = sw.places["a"].venue, sw.dep("78"), sw.world.manager78
    statement = generate(manager, venue, dep, MARCH)
    validate(manager, statement)
    with at(NOW), unit_of_work():
        services.add_adjustment(manager, statement, -250, "Chèque compté à tort")
    sw.take("a", paris(2024, 4, 2, 15), "78")
    april = generate(manager, venue, dep, APRIL, NOW)
    ref = queries.reference(april)
    client = api_client(app)
    with at(NOW):
        headers = bearer(client, manager)
        body = client.get(f"/api/v1/statements/{april.id}", headers=headers).json
        pdf = client.get(f"/api/v1/statements/{april.id}/pdf", headers=headers)
        login(client, manager)
        rows = read_csv(client.get(f"/releves/{april.id}/csv").data)
        march_rows = read_csv(client.get(f"/releves/{statement.id}/csv").data)

    assert body["reference"] == ref and body["status"] == "draft"
    assert (body["voucher_count"], body["total_cents"], body["adjustment_cents"]) == \
        (1, 1000, -250)
    assert body["amount_due_cents"] == 750
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = plain(pdf_text(pdf.data))
    assert ref in text and "Montant dû au lieu\n7,50 €" in text
    assert "Chèque compté à tort" in text and queries.reference(statement) in text
    assert sum(cents(r["montant_euros"]) for r in rows) == body["amount_due_cents"]
    assert [r["type"] for r in rows] == ["cheque", "regularisation"]
    assert sum(cents(r["montant_euros"]) for r in march_rows) == 3000
    titles = {r["atelier"] for r in march_rows}
    assert titles == {"'=Premiers pas sur tablette", "Sans atelier"}  # formula-safe


def test_a_long_statement_has_numbered_pages_and_the_right_total(app):
    sw = build()
    for day in range(1, 29):
        sw.take("b", paris(2024, 3, day, 10), *["92"] * 5)
    statement = generate(sw.world.manager92, sw.places["b"].venue, sw.dep("92"), MARCH)
    client = api_client(app)
    with at(NOW):
        response = client.get(f"/api/v1/statements/{statement.id}/pdf",
                              headers=bearer(client, sw.world.admin))
    pages = page_count(response.data)
    texts = [plain(t) for t in page_texts(response.data)]
    assert pages >= 2
    assert all(f"Page {n} / {pages}" in t for n, t in enumerate(texts, start=1))
    assert "1 400,00 €" in texts[-1]
    assert sum(t.count("10,00 €") for t in texts) == 140


def test_finance_export_lists_validated_statements_in_scope(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "92")
    sw.take("b", paris(2024, 3, 6, 10), "92")
    venue_a = sw.places["a"].venue
    venue_a.siret, venue_a.iban = "73282932000074", "FR7630006000011234567890189"
    db.session.commit()
    made = {}
    for place, code in (("a", "78"), ("a", "92"), ("b", "92")):
        manager = sw.world.manager78 if code == "78" else sw.world.manager92
        made[(place, code)] = generate(manager, sw.places[place].venue, sw.dep(code), MARCH)
    validate(sw.world.manager78, made[("a", "78")])
    validate(sw.world.manager92, made[("a", "92")])
    with at(NOW), unit_of_work():
        services.mark_paid(sw.world.manager92, made[("a", "92")], date(2024, 4, 6), "MDT-7")
    client = api_client(app)
    with at(NOW):
        login(client, sw.world.admin)
        every = read_csv(client.get("/releves/export-comptable.csv?period=2024-03").data)
        only92 = read_csv(client.get("/releves/export-comptable.csv?departement=92").data)
        other = api_client(app)
        login(other, sw.world.manager78)
        mine = read_csv(other.get("/releves/export-comptable.csv?departement=92").data)

    assert sorted(r["reference"] for r in every) == sorted(
        queries.reference(db.session.get(Statement, made[k].id)) for k in (("a", "78"),
                                                                          ("a", "92")))
    assert [r["statut"] for r in only92] == ["payé"]
    assert only92[0]["reference_paiement"] == "MDT-7" and only92[0]["paye_le"] == "06/04/2024"
    assert only92[0]["siret"] == "73282932000074" and only92[0]["iban"].startswith("FR76")
    assert only92[0]["montant_du_euros"] == "10,00"
    assert [r["departement_payeur"] for r in mine] == ["78"]  # a manager's scope wins
