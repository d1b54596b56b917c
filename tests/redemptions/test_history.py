"""The venue's redemption history: filters, CSV, undo from the page, finding a voucher."""

import csv
import io
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select

from passnum.booklets.models import Booklet
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.redemptions.models import Redemption
from passnum.redemptions.services import redeem
from passnum.venues.models import Workshop
from tests.factories import World, issue, make_beneficiary, make_user, make_venue, make_workshop
from tests.web.test_issuing_pages import login


def take(world, vouchers, workshop=None):
    with unit_of_work():
        return redeem([v.manual_code for v in vouchers], venue=world.venue78, workshop=workshop,
                      actor=world.agent78, channel="test")


@dataclass
class Scene:
    """A venue with two redemptions: two vouchers for a workshop, then one alone."""

    world: World
    booklet: Booklet
    workshop: Workshop
    first: Redemption
    second: Redemption


def setup(app) -> Scene:
    world = World()
    booklet = issue(world.issuer78, make_beneficiary(world.issuer78))
    workshop = make_workshop(world.venue78, price=2)
    first = take(world, booklet.vouchers[:2], workshop)
    second = take(world, booklet.vouchers[2:3])
    return Scene(world, booklet, workshop, first, second)


def test_history_lists_filters_and_totals(client, app):
    scene = setup(app)
    world, booklet = scene.world, scene.booklet
    login(client, world.agent78)
    page = client.get("/encaissements/").text
    for v in booklet.vouchers[:3]:
        assert v.serial in page
    assert "3 chèques encaissés" in page and "30,00" in page
    page = client.get(f"/encaissements/?workshop={scene.workshop.id}&include_undone=y").text
    assert booklet.vouchers[0].serial in page and booklet.vouchers[2].serial not in page
    tomorrow = (clock.today() + timedelta(days=1)).isoformat()
    page = client.get(f"/encaissements/?start={tomorrow}&include_undone=y").text
    assert "Aucun encaissement" in page
    assert booklet.beneficiary.last_name not in page


def test_csv_export_one_row_per_voucher(client, app):
    scene = setup(app)
    world, booklet = scene.world, scene.booklet
    login(client, world.agent78)
    response = client.get("/encaissements/export.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff")),
                           delimiter=";"))
    assert rows[0][:4] == ["encaissement", "date", "atelier", "numero_de_serie"]
    assert sorted(r[3] for r in rows[1:]) == sorted(v.serial for v in booklet.vouchers[:3])
    assert {r[4] for r in rows[1:]} == {"10,00"} and {r[5] for r in rows[1:]} == {"78"}


def test_undo_from_the_page_then_the_voucher_is_usable(client, app):
    scene = setup(app)
    world = scene.world
    login(client, world.agent78)
    response = client.post(f"/encaissements/{scene.second.id}/annuler", data={"confirm": "oui"},
                           follow_redirects=True)
    assert "Encaissement annulé" in response.text
    db.session.expire_all()
    assert db.session.get(Redemption, scene.second.id).undone_at is not None
    response = client.post(f"/encaissements/{scene.second.id}/annuler", data={"confirm": "oui"},
                           follow_redirects=True)
    assert "déjà été annulé" in response.text
    other = make_user("venue_agent", venue_id=make_venue(world.d78).id)
    client.post("/deconnexion")
    login(client, other)
    assert client.post(f"/encaissements/{scene.first.id}/annuler").status_code == 404


def test_find_a_voucher_by_serial_or_code(client, app):
    scene = setup(app)
    world, booklet = scene.world, scene.booklet
    login(client, world.agent78)
    page = client.post("/encaissements/chercher",
                       data={"code": booklet.vouchers[0].serial.lower()}).text
    assert "Encaissé ici" in page and scene.workshop.title in page
    page = client.post("/encaissements/chercher",
                       data={"code": booklet.vouchers[5].manual_code.lower()}).text
    assert booklet.vouchers[5].serial in page and "Valide" in page
    page = client.post("/encaissements/chercher", data={"code": "pas-un-code"}).text
    assert "Code non reconnu" in page


def test_history_is_for_venue_agents_only(client, app):
    world = World()
    login(client, world.issuer78)
    assert client.get("/encaissements/").status_code == 403
    assert client.get("/encaissements/export.csv").status_code == 403


def test_redemptions_of_another_venue_are_not_listed(client, app):
    scene = setup(app)
    world, booklet = scene.world, scene.booklet
    other = make_user("venue_agent", venue_id=make_venue(world.d78).id)
    login(client, other)
    page = client.get("/encaissements/").text
    assert booklet.vouchers[0].serial not in page and "Aucun encaissement" in page
    assert db.session.scalar(select(Redemption.id).where(Redemption.id == scene.first.id))
