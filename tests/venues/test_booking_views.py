"""The first workshop booked at hand-out, through the pages: printed on the cover (read
back from the PDF), expected on the venue's page by name only, marked attended by the
scan and cleared by its undo; the scope of each page."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from passnum.booklets.models import Booklet, BookletStatus
from passnum.core.db import unit_of_work
from passnum.core.formatting import datetime_fr
from passnum.extensions import db
from passnum.redemptions.services import redeem, undo
from passnum.venues.bookings import book
from passnum.venues.models import WorkshopBooking
from tests.communes.helpers import RAMBOUILLET, VERSAILLES, use_communes
from tests.factories import World, make_beneficiary, make_user, make_venue, make_workshop
from tests.pdfutil import page_texts
from tests.web.test_issuing_pages import login


@pytest.fixture
def scene(app, monkeypatch):
    """Two venues placed (one typed, one by its commune), a workshop at each, a person of
    Versailles and a stock booklet of her structure."""
    use_communes(monkeypatch)
    world = World()
    near = world.venue78
    near.name, near.address, near.commune = "Médiathèque du Centre", "3 rue Neuve", "Versailles"
    near.latitude, near.longitude = 48.80, 2.13
    far = make_venue(world.d78)
    far.name, far.commune_insee = "Espace Rambouillet", RAMBOUILLET.insee
    db.session.commit()
    world.workshop = make_workshop(near, capacity=2, days=1)
    world.workshop.title = "Premiers pas sur tablette"
    world.far_workshop = make_workshop(far, days=1)
    world.far_workshop.title = "Messagerie en ligne"
    db.session.commit()
    world.person = make_beneficiary(world.issuer78, last_name="Durand", first_name="Camille",
                                    postal_code="78000")
    world.person.commune_insee = VERSAILLES.insee
    db.session.commit()
    return world


def hand_out_stock_booklet(client, scene) -> tuple[Booklet, str]:
    """Print one stock booklet and hand it to the person; return it and the next page."""
    client.post("/stock", data={"count": "1"})
    booklet = db.session.scalar(select(Booklet).where(Booklet.status == BookletStatus.IN_STOCK))
    response = client.post(f"/stock/remettre/{booklet.id}/{scene.person.id}")
    assert response.status_code == 302
    return booklet, response.location


def test_booking_at_hand_out_is_on_the_cover_the_day_list_and_attended_by_the_scan(
        client, app, scene):
    login(client, scene.issuer78)
    booklet, step = hand_out_stock_booklet(client, scene)
    assert step == f"/beneficiaires/{scene.person.id}/atelier?chequier={booklet.id}"

    page = client.get(step)
    assert page.status_code == 200 and "4. Premier atelier" in page.text
    # nearest first, with the distance from the person's commune
    assert page.text.index("Premiers pas sur tablette") < page.text.index("Messagerie en ligne")
    assert re.search(r"Médiathèque du Centre, Versailles — à \d,\d km", page.text)
    assert re.search(r"Espace Rambouillet, Commune — à 2\d,\d km", page.text)
    assert "2 places libres" in page.text
    assert "positions des communes : GeoNames (CC BY 4.0)</p>" in page.text

    response = client.post(step, data={"workshop": str(scene.workshop.id)})
    assert response.status_code == 302 and response.location == f"/chequiers/{booklet.id}"
    booking = db.session.scalar(select(WorkshopBooking))
    assert booking.booklet_id == booklet.id and booking.booked_by_id == scene.issuer78.id

    # the cover, decoded from the PDF: the booking, then the nearest venues with distance
    cover = " ".join(page_texts(client.post(f"/chequiers/{booklet.id}/pdf").data)[0].split())
    assert "Premier atelier" in cover
    assert f"{datetime_fr(scene.workshop.starts_at)} — Premiers pas sur tablette" in cover
    assert "Médiathèque du Centre, 3 rue Neuve, 78000 Versailles" in cover
    assert "Lieux labellisés les plus proches de chez vous" in cover
    assert re.search(r"Versailles · à \d,\d km", cover)
    assert re.search(r"Commune · à 2\d,\d km", cover)
    assert "Positions des communes : GeoNames (CC BY 4.0)." in cover
    assert cover.index("Médiathèque du Centre ") < cover.index("Espace Rambouillet")

    # the person's page shows it, and offers no second booking
    record = client.get(f"/beneficiaires/{scene.person.id}").text
    assert "Premiers pas sur tablette" in record and "réservé" in record
    assert "Réserver un premier atelier" not in record

    # the venue expects her, by name only
    agent = app.test_client()
    login(agent, scene.agent78)
    day = agent.get(f"/ateliers/{scene.workshop.id}").text
    assert "Personnes attendues" in day and "DURAND Camille" in day
    assert "1 inscrit sur 2" in day
    for private in ("78000", "1958", scene.person.email or "@", "Structure"):
        assert private not in day.split("Personnes attendues")[1].split("</section>")[0]
    assert ">1&nbsp;/&nbsp;2<" in agent.get("/ateliers").text

    # the scan marks her attended, its undo clears it
    voucher = booklet.vouchers[0]
    with unit_of_work():
        taken = redeem([voucher.manual_code], venue=scene.venue78, workshop=scene.workshop,
                       actor=scene.agent78, channel="test")
    day = agent.get(f"/ateliers/{scene.workshop.id}").text
    assert "✓ venu(e)" in day and "1 inscrit sur 2" in day
    with unit_of_work():
        undo(taken.id, actor=scene.agent78)
    day = agent.get(f"/ateliers/{scene.workshop.id}").text
    assert "✓ venu(e)" not in day and "DURAND Camille" in day


def test_skipping_the_step_keeps_the_departement_list_without_distances(client, scene,
                                                                         monkeypatch):
    use_communes(monkeypatch, ())  # no centroid known: no distance anywhere
    scene.venue78.latitude = scene.venue78.longitude = None
    db.session.commit()
    login(client, scene.issuer78)
    booklet, step = hand_out_stock_booklet(client, scene)
    skip = re.search(r'href="([^"]+)">Passer cette étape', client.get(step).text).group(1)
    assert skip == f"/chequiers/{booklet.id}"
    cover = " ".join(page_texts(client.post(f"/chequiers/{booklet.id}/pdf").data)[0].split())
    assert "Premier atelier" not in cover and " km" not in cover
    assert "GeoNames" not in cover and "GeoNames" not in client.get(step).text
    assert "Lieux labellisés de votre commune, puis du département" in cover


def test_a_refused_booking_is_shown_on_the_form(client, scene):
    login(client, scene.issuer78)
    other = make_beneficiary(scene.issuer78, postal_code="78000")  # a commune of the scene
    with unit_of_work():
        book(scene.issuer78, other, scene.workshop)
    # the list was shown with one seat left; a colleague takes it before the choice is sent
    page = client.get(f"/beneficiaires/{scene.person.id}/atelier")
    assert "1 place libre" in page.text
    with unit_of_work():
        book(scene.issuer78, make_beneficiary(scene.issuer78, postal_code="78000"),
             scene.workshop)
    response = client.post(f"/beneficiaires/{scene.person.id}/atelier",
                           data={"workshop": str(scene.workshop.id)})
    assert response.status_code == 422 and "Le formulaire contient 1 erreur" in response.text
    assert "Premiers pas sur tablette" not in response.text  # full: no longer offered
    assert db.session.scalar(select(WorkshopBooking).where(
        WorkshopBooking.beneficiary_id == scene.person.id)) is None


def test_cancel_from_the_person_page_and_from_the_venue_page(client, app, scene):
    login(client, scene.issuer78)
    client.post(f"/beneficiaires/{scene.person.id}/atelier",
                data={"workshop": str(scene.workshop.id)})
    booking = db.session.scalar(select(WorkshopBooking))
    response = client.post(f"/reservations/{booking.id}/annuler")
    assert response.location == f"/beneficiaires/{scene.person.id}"
    assert "Réserver un premier atelier" in client.get(response.location).text
    client.post(f"/beneficiaires/{scene.person.id}/atelier",
                data={"workshop": str(scene.workshop.id)})
    agent = app.test_client()
    login(agent, scene.agent78)
    response = agent.post(f"/reservations/{booking.id}/annuler")
    assert response.location == f"/ateliers/{scene.workshop.id}"
    assert "Aucune réservation pour cet atelier" in agent.get(response.location).text


def test_scope_of_the_booking_pages(client, app, scene):
    login(client, scene.issuer78)
    client.post(f"/beneficiaires/{scene.person.id}/atelier",
                data={"workshop": str(scene.workshop.id)})
    booking = db.session.scalar(select(WorkshopBooking))
    other = app.test_client()
    login(other, scene.issuer78b)  # another structure of the same département
    assert other.get(f"/beneficiaires/{scene.person.id}/atelier").status_code == 404
    assert other.post(f"/beneficiaires/{scene.person.id}/atelier",
                      data={"workshop": str(scene.workshop.id)}).status_code == 404
    assert other.post(f"/reservations/{booking.id}/annuler").status_code == 404
    # an agent of another venue: neither the workshop's names nor the booking
    stranger = app.test_client()
    login(stranger, make_user("venue_agent", venue_id=make_venue(scene.d78).id))
    assert stranger.get(f"/ateliers/{scene.workshop.id}").status_code == 404
    assert stranger.get(f"/beneficiaires/{scene.person.id}/atelier").status_code == 403
    assert stranger.post(f"/reservations/{booking.id}/annuler").status_code == 404
    db.session.expire_all()
    assert db.session.scalar(select(WorkshopBooking)).cancelled_at is None
    # a manager reads the person but books nothing
    manager = app.test_client()
    login(manager, scene.manager78)
    assert manager.get(f"/beneficiaires/{scene.person.id}/atelier").status_code == 403
