"""A labelled venue's public page (``/lieu/<slug>``): every field of its profile, the
map's data, and 404 for venues without an active label."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from passnum.core.clock import PARIS, frozen
from passnum.venues.models import LabelStatus
from tests.conftest import make_app
from tests.factories import make_departement
from tests.venues.test_directory import add_workshop, markers, venue

MONDAY = datetime(2031, 6, 16, 10, 30, tzinfo=PARIS)


@pytest.fixture
def dep(app):
    """The Yvelines."""
    return make_departement("78", "Yvelines")


@pytest.fixture
def full(dep):
    """A venue with its whole public profile."""
    return venue(
        dep, "mediatheque-exemple", name="Médiathèque d'exemple", address="2 rue Jean Jaurès",
        address_complement="Bâtiment B, 1er étage", postal_code="78500",
        commune="Sartrouville", commune_insee="78586", latitude=48.9372, longitude=2.1644,
        phone="01 39 12 34 56", email="accueil@mediatheque.example.org",
        website="https://mediatheque.example.org", booking_url="https://rdv.example.org/m",
        acceslibre_url="https://acceslibre.beta.gouv.fr/app/78-sartrouville/a/bibliotheque/",
        summary="Ateliers numériques pour tous, sans rendez-vous le mercredi.",
        description="Un espace de 12 postes.\nDes conseillers numériques vous accueillent.",
        opening_hours='Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:30 "sur rendez-vous"',
        typologies=["BIB"], mediation_services=["demarches", "securite"],
        specific_publics=["seniors"], specific_support=["surdite"],
        national_programmes=["conseillers_numeriques"], labels=["duplex"],
        access_modes=["se_presenter", "telephoner"], support_modes=["atelier"],
        other_labels="Label Numérique inclusif",
        profile_updated_at=datetime(2031, 6, 1, 22, 30, tzinfo=UTC),
    )


def test_the_page_shows_each_field(client, full):
    with frozen(MONDAY):
        add_workshop(full, MONDAY + timedelta(days=1, hours=4), title="Smartphone débutant")
        add_workshop(full, MONDAY + timedelta(days=2), title="Annulé", cancelled_at=MONDAY)
        add_workshop(full, MONDAY - timedelta(days=2), title="Passé")
        page = client.get("/lieu/mediatheque-exemple")
    assert page.status_code == 200
    text = page.text
    for shown in (
        "<h1>Médiathèque d&#39;exemple", "2 rue Jean Jaurès", "Bâtiment B, 1er étage",
        "78500 Sartrouville", 'href="tel:0139123456">01 39 12 34 56</a>',
        'href="mailto:accueil@mediatheque.example.org"',
        'href="https://mediatheque.example.org"', 'href="https://rdv.example.org/m"',
        'href="https://acceslibre.beta.gouv.fr/app/78-sartrouville/a/bibliotheque/"',
        "Ateliers numériques pour tous", "Des conseillers numériques vous accueillent.",
        "latitude 48,93720, longitude 2,16440",
        "Ouvert maintenant, ferme à 12 h",
        '<th scope="row">Lundi 16 juin</th>', "<td>9 h – 12 h, 14 h – 18 h</td>",
        "<td>9 h – 12 h 30 (sur rendez-vous)</td>", '<th scope="row">Dimanche 22 juin</th>',
        "Bibliothèque / Médiathèque", "Aide aux démarches administratives",
        "Utilisation sécurisée du numérique", "Seniors", "Surdité", "Conseillers numériques",
        "Formé à « DUPLEX » (illettrisme)", "Se présenter", "Téléphoner",
        "Dans un atelier collectif", "Label Numérique inclusif",
        "Smartphone débutant", "17/06/2031 14:30",
        "Fiche mise à jour le 02/06/2031",  # 22:30 UTC is the 2nd in Paris
    ):
        assert shown in text, shown
    assert "Annulé" not in text and "Passé" not in text
    assert text.count("<td>Fermé</td>") == 1  # Sunday
    assert markers(text) == [{"name": "Médiathèque d'exemple", "commune": "Sartrouville",
                              "url": "", "lat": 48.9372, "lon": 2.1644}]


def test_a_sparse_page_says_what_is_missing(client, dep):
    venue(dep, "sobre", commune_insee="78646", website="javascript:alert(1)")
    page = client.get("/lieu/sobre").text
    assert "Horaires non communiqués" in page and "Pas d'atelier programmé" in page
    assert "javascript:" not in page  # a stored value of another scheme is no link
    assert "Position approchée" in page and "(centre de la commune)" in page
    assert "Fiche mise à jour" not in page and "Ce que propose le lieu" not in page


def test_the_directory_links_to_the_page(client, full):
    assert 'href="/lieu/mediatheque-exemple"' in client.get("/lieux").text


@pytest.mark.parametrize("status", [LabelStatus.SUSPENDED, LabelStatus.PENDING,
                                    LabelStatus.WITHDRAWN])
def test_a_venue_without_an_active_label_has_no_page(client, dep, status):
    venue(dep, "sans-label", status=status)
    page = client.get("/lieu/sans-label")
    assert page.status_code == 404
    assert "Ce lieu n&#39;existe pas ou n&#39;est plus labellisé." in page.text


def test_an_unknown_slug_is_404(client, dep):
    for slug in ("inconnu", "x" * 300, "%00", "é"):
        assert client.get(f"/lieu/{slug}").status_code == 404


def test_without_a_tile_url_there_is_no_map(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, MAP_TILE_URL="")
    with app.app_context():
        dep = make_departement("78")
        venue(dep, "sans-carte", latitude=48.9, longitude=2.1)
        client = app.test_client()
        for url in ("/lieux", "/lieu/sans-carte"):
            page = client.get(url)
            assert "data-map" not in page.text and "leaflet" not in page.text
            assert "img-src 'self' data:;" in page.headers["Content-Security-Policy"]
        assert "latitude 48,90000" in client.get("/lieu/sans-carte").text
