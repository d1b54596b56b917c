"""Workshop pages: forms in French, Paris time, permissions, who came without names."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core.clock import PARIS, frozen, now
from passnum.extensions import db
from passnum.venues.models import Workshop
from tests.factories import World, issue, make_beneficiary, make_user, make_venue
from tests.factories import login as log_in
from tests.venues.helpers import add_workshop_row, make_theme, make_workshop, redeem_rows


def login(client, user):
    response = log_in(client, user)
    assert response.status_code == 302, response.text
    return response


def form_data(theme, **over):
    data = {"theme_id": str(theme.id), "title": "Découvrir la tablette", "description": "",
            "start_date": f"{now().year + 1}-07-01", "start_time": "14:30",
            "duration_minutes": "90", "capacity": "8", "price_vouchers": "2"}
    data.update(over)
    return data


def only_workshop():
    db.session.expire_all()
    return db.session.scalars(select(Workshop)).one()


def error_of(page, field_id):
    """The error text shown under a form field."""
    found = re.search(rf'<p class="error" id="{field_id}-err">([^<]*)</p>', page)
    return html.unescape(found.group(1)).strip() if found else None


@pytest.mark.parametrize(("month", "utc_hour"), [(7, 12), (1, 13)])
def test_agent_creates_a_workshop_read_in_paris_time(client, app, month, utc_hour):
    world = World()
    theme = make_theme()
    login(client, world.agent78)
    year = now().year + 1
    response = client.post("/ateliers/nouveau",
                           data=form_data(theme, start_date=f"{year}-{month:02d}-01"))
    assert response.status_code == 302
    workshop = only_workshop()
    assert response.location.endswith(f"/ateliers/{workshop.id}")
    assert workshop.venue_id == world.venue78.id
    assert workshop.starts_at == datetime(year, month, 1, utc_hour, 30, tzinfo=UTC)
    page = client.get(response.location).text
    assert "Atelier créé." in page and "Découvrir la tablette" in page
    assert f"01/{month:02d}/{year} 14:30" in page and "1 h 30" in page and "fin à 16:00" in page


def test_form_errors_are_french_and_on_their_field(client, app):
    world = World()
    theme = make_theme()
    login(client, world.agent78)
    page = client.get("/ateliers/nouveau").text
    for name in ("theme_id", "title", "description", "start_date", "start_time",
                 "duration_minutes", "capacity", "price_vouchers"):
        assert f'<label for="{name}"' in page
    assert 'name="venue_id"' not in page  # agents always work on their own venue
    response = client.post("/ateliers/nouveau", data=form_data(theme, start_date=""))
    assert response.status_code == 422
    assert error_of(response.text, "start_date") == "Ce champ est obligatoire."
    response = client.post("/ateliers/nouveau", data=form_data(theme, capacity="beaucoup"))
    assert response.status_code == 422
    assert error_of(response.text, "capacity") == "Nombre invalide : chiffres 0 à 9 uniquement."
    response = client.post("/ateliers/nouveau", data=form_data(theme, duration_minutes="5"))
    assert response.status_code == 400
    assert "entre 15 et 600" in error_of(response.text, "duration_minutes")
    yesterday = (now() - timedelta(days=2)).date().isoformat()
    response = client.post("/ateliers/nouveau", data=form_data(theme, start_date=yesterday))
    assert response.status_code == 422
    assert "déjà passées" in error_of(response.text, "start_date")
    assert 'aria-invalid="true"' in response.text
    assert db.session.scalars(select(Workshop)).all() == []


def test_edit_form_is_prefilled_and_saves(client, app):
    world = World()
    theme = make_theme()
    start = datetime(now().year + 1, 1, 10, 9, 15, tzinfo=UTC)  # 10:15 in Paris
    workshop = make_workshop(world.agent78, world.venue78, theme, starts_at=start,
                             capacity=8)
    login(client, world.agent78)
    page = client.get(f"/ateliers/{workshop.id}/modifier").text
    assert f'value="{start.year}-01-10"' in page and 'value="10:15"' in page
    assert 'value="8"' in page
    data = form_data(theme, start_date=f"{start.year}-01-10", start_time="10:15",
                     capacity="12", title="Nouveau titre")
    response = client.post(f"/ateliers/{workshop.id}/modifier", data=data)
    assert response.status_code == 302
    stored = only_workshop()
    assert (stored.capacity, stored.title, stored.starts_at) == (12, "Nouveau titre", start)
    assert "Atelier modifié." in client.get(response.location).text


def test_capacity_refusal_is_shown_on_the_field(client, app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme, capacity=5)
    vouchers = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers
    redeem_rows(world.agent78, workshop, vouchers[:1])
    redeem_rows(world.agent78, workshop, vouchers[1:2])
    login(client, world.agent78)
    local = workshop.starts_at.astimezone(PARIS)
    response = client.post(f"/ateliers/{workshop.id}/modifier", data=form_data(
        theme, start_date=local.date().isoformat(), start_time=local.strftime("%H:%M"),
        capacity="1"))
    assert response.status_code == 422
    assert "2 personnes déjà inscrites" in error_of(response.text, "capacity")
    assert only_workshop().capacity == 5


def test_cancel_through_the_page(client, app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    login(client, world.agent78)
    url = f"/ateliers/{workshop.id}"
    assert "Annuler l'atelier" in client.get(url).text
    response = client.post(f"{url}/annuler", data={"reason": ""})
    assert response.status_code == 422
    assert error_of(response.text, "reason") == "Indiquez le motif de l'annulation."
    assert only_workshop().cancelled_at is None
    response = client.post(f"{url}/annuler", data={"reason": "Formateur absent", "confirm": "oui"},
                           follow_redirects=True)
    assert "Atelier annulé." in response.text
    assert 'badge-ws-cancelled">Annulé' in response.text
    assert "Modifier l'atelier" not in response.text and 'name="reason"' not in response.text
    assert only_workshop().cancelled_at is not None
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "workshop.cancelled"))
    assert event.actor_id == world.agent78.id and "Formateur absent" in event.details
    # the edit page of a cancelled workshop sends back with the reason
    response = client.get(f"{url}/modifier", follow_redirects=True)
    assert "a été annulé le" in response.text
    response = client.post(f"{url}/annuler", data={"reason": "encore", "confirm": "oui"})
    assert response.status_code == 409 and "a été annulé le" in response.text


def test_list_shows_upcoming_then_past_on_request(client, app):
    world = World()
    theme = make_theme()
    evening = datetime(2031, 6, 15, 17, 0, tzinfo=UTC)
    add_workshop_row(world.venue78, theme, evening + timedelta(days=1), title="Demain")
    add_workshop_row(world.venue78, theme, evening - timedelta(days=7), title="La semaine passée")
    add_workshop_row(make_venue(world.d92), theme, evening + timedelta(days=1),
                     title="Ailleurs")
    login(client, world.agent78)
    with frozen(evening):
        page = client.get("/ateliers").text
        assert "Demain" in page and "La semaine passée" not in page and "Ailleurs" not in page
        assert "Nouvel atelier" in page and "16/06/2031 19:00" in page
        assert '<th scope="row"' in page and '<th scope="col">Inscrits / places</th>' in page
        assert 'href="/ateliers"' in page  # the nav link of venue agents
        page = client.get("/ateliers?passes=1").text
        assert "Demain" in page and "La semaine passée" in page and "Ailleurs" not in page
        assert 'badge-ws-past">Terminé' in page


def test_pages_need_the_right_role_and_venue(client, app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    url = f"/ateliers/{workshop.id}"
    response = client.get("/ateliers")
    assert response.status_code == 302 and "/connexion" in response.location
    login(client, world.issuer78)
    for page in ("/ateliers", "/ateliers/nouveau", url, f"{url}/modifier"):
        assert client.get(page).status_code == 403
    assert client.post(f"{url}/annuler", data={"reason": "x"}).status_code == 403
    assert 'href="/ateliers"' not in client.get("/lieux").text
    client.post("/deconnexion")
    agent92 = make_user(Role.VENUE_AGENT, venue_id=make_venue(world.d92).id)
    login(client, agent92)
    for page in (url, f"{url}/modifier"):
        assert client.get(page).status_code == 404
    assert client.post(f"{url}/modifier", data=form_data(theme, capacity="3")).status_code == 404
    assert client.post(f"{url}/annuler", data={"reason": "x"}).status_code == 404
    assert workshop.title not in client.get("/ateliers").text
    assert only_workshop().cancelled_at is None and only_workshop().capacity == 8


def test_admin_picks_the_venue(client, app):
    world = World()
    theme = make_theme()
    venue92 = make_venue(world.d92)
    login(client, world.admin)
    page = client.get("/ateliers").text
    assert "Choisissez un lieu" in page and venue92.name in page
    assert client.get("/ateliers?lieu=999999999999").status_code == 404
    page = client.get(f"/ateliers/nouveau?lieu={venue92.id}").text
    assert f'<option selected value="{venue92.id}">' in page
    response = client.post("/ateliers/nouveau",
                           data=form_data(theme, venue_id=str(venue92.id)))
    assert response.status_code == 302
    workshop = only_workshop()
    assert workshop.venue_id == venue92.id
    page = client.get(f"/ateliers?lieu={venue92.id}").text
    assert "Découvrir la tablette" in page
    assert client.get(f"/ateliers/{workshop.id}").status_code == 200


def test_attendance_shows_serials_and_counts_but_no_identity(client, app):
    world = World()
    theme = make_theme()
    person = make_beneficiary(world.issuer78, last_name="Dumoulin", first_name="Gisèle")
    booklet = issue(world.issuer78, person)
    workshop = make_workshop(world.agent78, world.venue78, theme, capacity=6)
    redeem_rows(world.agent78, workshop, booklet.vouchers[:2],
                at=datetime(2031, 3, 12, 13, 2, tzinfo=UTC))
    login(client, world.agent78)
    page = client.get(f"/ateliers/{workshop.id}").text
    assert booklet.vouchers[0].serial in page and booklet.vouchers[1].serial in page
    assert booklet.vouchers[2].serial not in page
    assert "12/03/2031 14:02" in page
    assert "1 personne sur 6 places" in page and "2 chèques encaissés" in page
    for secret in ("Dumoulin", "DUMOULIN", "Gisèle", person.postal_code, "1958"):
        assert secret not in page
