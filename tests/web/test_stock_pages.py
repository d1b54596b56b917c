"""The stock pages: print a batch, download its PDF, hand a booklet out by its number."""

import re

from sqlalchemy import func, select

from passnum.booklets.models import Booklet, BookletStatus
from passnum.extensions import db
from tests.factories import World, issue, make_beneficiary
from tests.pdfutil import decode_qr_urls, page_texts
from tests.web.test_issuing_pages import login


def stock_numbers() -> list[str]:
    return list(db.session.scalars(
        select(Booklet.number).where(Booklet.status == BookletStatus.IN_STOCK)
        .order_by(Booklet.id)))


def test_print_a_stock_batch_and_download_its_pdf(client, app):
    world = World()
    login(client, world.issuer78)
    page = client.get("/stock")
    assert page.status_code == 200 and "Imprimer ces chéquiers de stock" in page.text
    assert "encore 50 chéquiers disponibles" in page.text

    response = client.post("/stock", data={"count": "2"}, follow_redirects=True)
    assert response.status_code == 200
    assert "2 chéquiers créés en stock" in response.text
    numbers = stock_numbers()
    assert len(numbers) == 2 and all(n in response.text for n in numbers)
    assert response.text.count("En stock") >= 2
    link = re.search(r'action="(/stock/lots/\d+/pdf)"', response.text).group(1)

    pdf = client.post(link)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    assert "attachment" in pdf.headers["Content-Disposition"]
    body = pdf.get_data()
    covers = [t for t in page_texts(body) if "Chéquier en stock" in t]
    assert len(covers) == 2
    assert all(any(n in cover for cover in covers) for n in numbers)
    urls = decode_qr_urls(body)
    assert len(urls) == 20 and len(set(urls)) == 20
    assert all(u.startswith("http://passnum.test/v/") for u in urls)
    db.session.expire_all()
    printed = db.session.scalars(select(Booklet.printed_count)).all()
    assert printed == [1, 1]


def test_stock_form_errors_and_scope(client, app):
    world = World(allocation=3)
    login(client, world.issuer78)
    assert client.post("/stock", data={"count": "201"}).status_code == 422
    response = client.post("/stock", data={"count": "4"})
    assert response.status_code == 422
    assert "allocation de chéquiers de votre structure est épuisée" in response.text
    assert db.session.scalar(select(func.count()).select_from(Booklet)) == 0
    client.post("/stock", data={"count": "1"})
    event_link = re.search(r'action="(/stock/lots/\d+/pdf)"', client.get("/stock").text).group(1)
    client.post("/deconnexion")
    login(client, world.issuer92)
    assert client.post(event_link).status_code == 404
    assert client.get("/stock").status_code == 200
    client.post("/deconnexion")
    login(client, world.agent78)
    assert client.get("/stock").status_code == 403


def test_manager_picks_a_structure_and_reads_its_stock(client, app):
    world = World()
    login(client, world.admin)
    response = client.post(f"/stock?structure={world.s78b.id}", data={"count": "1"},
                           follow_redirects=True)
    assert "1 chéquier créé en stock" in response.text
    assert db.session.scalar(select(Booklet.structure_id)) == world.s78b.id
    client.post("/deconnexion")
    login(client, world.manager78)
    page = client.get("/stock")
    assert world.s78.name in page.text and world.s92.name not in page.text
    page = client.get(f"/stock?structure={world.s78b.id}")
    assert page.status_code == 200 and stock_numbers()[0] in page.text
    assert "Imprimer ces chéquiers de stock" not in page.text  # docs/product.md: never prints stock
    assert client.post(f"/stock?structure={world.s78b.id}",
                       data={"count": "1"}).status_code == 403
    assert client.get(f"/stock?structure={world.s92.id}").status_code == 404


def test_hand_out_by_typed_number(client, app):
    world = World()
    person = make_beneficiary(world.issuer78, last_name="Bernard", first_name="Zoé")
    login(client, world.issuer78)
    client.post("/stock", data={"count": "1"})
    number = stock_numbers()[0]

    wrong = number[:-1] + ("A" if number[-1] != "A" else "B")  # a mistyped check symbol
    response = client.post("/stock/remettre", data={"number": wrong})
    assert response.status_code == 400 and "Numéro de chéquier invalide" in response.text
    typed = number.replace("-", "").lower().replace("0", "o")
    response = client.post("/stock/remettre", data={"number": typed})
    assert response.status_code == 302
    step = response.location
    found = client.post(step, data={"last_name": "bernard"})
    assert "Zoé" in found.text and "BERNARD" in found.text.upper()
    choose = re.search(r'href="([^"]*beneficiaire=\d+)"', found.text).group(1)
    confirm = client.get(choose.replace("&amp;", "&"))
    assert "Confirmer la remise" in confirm.text
    action = re.search(r'action="(/stock/remettre/\d+/\d+)"', confirm.text).group(1)
    step4 = client.post(action, follow_redirects=True)
    assert f"Chéquier n° {number} remis" in step4.text and "4. Premier atelier" in step4.text
    skip = re.search(r'href="(/chequiers/\d+)">Passer cette étape', step4.text).group(1)
    done = client.get(skip)
    assert "Remis" in done.text
    booklet = db.session.scalar(select(Booklet).where(Booklet.number == number))
    assert booklet.beneficiary_id == person.id and booklet.status == BookletStatus.HANDED_OUT

    # the same number again: no longer in stock
    response = client.post("/stock/remettre", data={"number": number})
    assert response.status_code == 409 and "n&#39;est pas en stock" in response.text


def test_hand_out_from_a_beneficiary_page_refuses_a_second_booklet(client, app):
    world = World()
    person = make_beneficiary(world.issuer78)
    issue(world.issuer78, person)
    login(client, world.issuer78)
    client.post("/stock", data={"count": "1"})
    number = stock_numbers()[0]
    page = client.get(f"/beneficiaires/{person.id}")
    assert page.status_code == 200
    response = client.post(f"/stock/remettre?beneficiaire={person.id}",
                           data={"number": number})
    assert response.status_code == 302 and f"beneficiaire={person.id}" in response.location
    booklet_id = re.search(r"/stock/remettre/(\d+)", response.location).group(1)
    refused = client.post(f"/stock/remettre/{booklet_id}/{person.id}", follow_redirects=True)
    assert "un seul chéquier par personne" in refused.text
    assert stock_numbers() == [number]


def test_stock_button_has_no_placeholder(client, app):
    """The button used to read "Imprimer N chéquiers de stock", N never filled."""
    world = World()
    login(client, world.issuer78)
    page = client.get("/stock").text
    assert "Imprimer N " not in page
    assert re.search(r'<button type="submit" class="button">Imprimer ces chéquiers de stock'
                     r"</button>", page)


def test_hand_out_steps_follow_each_other_when_the_person_is_chosen_first(client, app):
    """From a beneficiary's page the person is already chosen: steps go 1 then 2, not 1
    then 3; from the stock page (person searched for) they go 1, 2, 3."""
    world = World()
    person = make_beneficiary(world.issuer78)
    login(client, world.issuer78)
    client.post("/stock", data={"count": "1"})
    number = stock_numbers()[0]
    start = client.get(f"/stock/remettre?beneficiaire={person.id}")
    assert "1. Numéro du chéquier" in start.text
    response = client.post(f"/stock/remettre?beneficiaire={person.id}", data={"number": number})
    confirm = client.get(response.location)
    assert "2. Confirmer la remise" in confirm.text and "3. Confirmer" not in confirm.text
    # the usual way: number, then search, then confirm
    response = client.post("/stock/remettre", data={"number": number})
    step = client.get(response.location)
    assert "2. Choisir le bénéficiaire" in step.text
    found = client.post(response.location, data={"last_name": person.last_name})
    choose = re.search(r'href="([^"]*beneficiaire=\d+)"', found.text).group(1)
    assert "3. Confirmer la remise" in client.get(choose.replace("&amp;", "&")).text
