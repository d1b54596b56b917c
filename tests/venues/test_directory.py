"""The public directory (``/lieux``): search by commune or postal code sorted by
distance, the filters, the map's data, and only active venues."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from typing import Any

import pytest

from passnum.communes.reference import centroid, distance_km
from passnum.core.clock import PARIS, frozen
from passnum.core.formatting import distance_fr
from passnum.extensions import db
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme
from tests.factories import make_departement

VERSAILLES = "78646"
# a Monday, a Saturday and a Sunday morning, Paris time
MONDAY = datetime(2031, 6, 16, 10, 30, tzinfo=PARIS)
SATURDAY = datetime(2031, 6, 21, 10, 30, tzinfo=PARIS)
SUNDAY = datetime(2031, 6, 22, 10, 30, tzinfo=PARIS)


@pytest.fixture
def dep(app):
    """The Yvelines."""
    return make_departement("78", "Yvelines")


def venue(dep, slug: str, *, status: str = LabelStatus.ACTIVE, **fields: Any) -> Venue:
    """A venue of ``dep`` (committed) with the given profile fields."""
    values: dict[str, Any] = {"name": slug.replace("-", " ").title(), "commune": "Versailles",
                              "postal_code": "78000", "address": "1 rue de la Paix"}
    values.update(fields)
    row = Venue(slug=slug, departement=dep, label_status=status, **values)
    db.session.add(row)
    db.session.commit()
    return row


def add_workshop(venue_: Venue, starts_at: datetime, **fields: Any) -> Workshop:
    """A workshop of the venue (committed)."""
    theme = db.session.query(WorkshopTheme).first() or WorkshopTheme(name="Smartphone")
    workshop = Workshop(venue=venue_, theme=theme, title=fields.pop("title", "Atelier"),
                        starts_at=starts_at, duration_minutes=90, capacity=8, **fields)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def listed(page: str) -> list[str]:
    """The venues' slugs in the order the list shows them."""
    return re.findall(r'data-venue="([^"]+)"', page)


def markers(page: str) -> list[dict[str, Any]]:
    """The map's markers carried by the page."""
    found = re.search(r"<script type=\"application/json\" data-map-venues>(.*?)</script>",
                      page, re.S)
    return json.loads(found.group(1)) if found else []


@pytest.fixture
def around_versailles(dep) -> dict[str, Venue]:
    """Four venues: typed positions at Sartrouville and Mantes, one placed by its
    commune's centroid (Saint-Cyr-l'École), one with no position at all."""
    return {
        "sartrouville": venue(dep, "sartrouville", commune="Sartrouville", postal_code="78500",
                              commune_insee="78586", latitude=48.9372, longitude=2.1644),
        "mantes": venue(dep, "mantes", commune="Mantes-la-Jolie", postal_code="78200",
                        commune_insee="78361", latitude=48.9958, longitude=1.6934),
        "saint-cyr": venue(dep, "saint-cyr", commune="Saint-Cyr-l'École", postal_code="78210",
                           commune_insee="78545"),
        "nowhere": venue(dep, "nowhere", commune="Ailleurs", postal_code="78999"),
    }


def expected_distances() -> dict[str, float]:
    """Kilometres from Versailles's centroid, computed by hand with ``distance_km``."""
    origin = centroid(VERSAILLES)
    assert origin is not None
    return {"sartrouville": distance_km(origin, (48.9372, 2.1644)),
            "mantes": distance_km(origin, (48.9958, 1.6934)),
            "saint-cyr": distance_km(origin, (48.79865, 2.06814))}


def test_a_postal_code_sorts_the_list_by_distance(client, around_versailles):
    page = client.get("/lieux?lieu=78000")
    assert page.status_code == 200
    distances = expected_distances()
    assert listed(page.text) == ["saint-cyr", "sartrouville", "mantes", "nowhere"]
    assert sorted(distances, key=distances.get) == ["saint-cyr", "sartrouville", "mantes"]
    shown = re.findall(r'class="distance">([^<]+)</strong>', page.text)
    assert shown == [distance_fr(distances[slug]) for slug in ("saint-cyr", "sartrouville",
                                                               "mantes")]
    assert round(distances["saint-cyr"], 1) == 4.9 and "à 4,9 km" in page.text
    assert "4 lieux du plus proche au plus loin de Versailles" in page.text
    assert 'value="78000"' in page.text  # the field keeps what was typed


def test_a_commune_name_sorts_the_same_way(client, around_versailles):
    by_name = client.get("/lieux?lieu=versailles").text
    assert listed(by_name) == ["saint-cyr", "sartrouville", "mantes", "nowhere"]
    spelled = client.get("/lieux", query_string={"lieu": "  SAINT cyr l’ecole "}).text
    assert listed(spelled)[0] == "saint-cyr" and "à moins de 100 m" in spelled


def test_without_a_search_the_list_is_by_commune(client, around_versailles):
    page = client.get("/lieux").text
    assert listed(page) == ["nowhere", "mantes", "saint-cyr", "sartrouville"]
    assert "km</strong>" not in page and "4 lieux" in page
    assert '<a href="/lieu/mantes">Mantes</a>' in page


@pytest.mark.parametrize(("typed", "message"), [
    ("Zzzville", "Aucune commune ne s&#39;appelle « Zzzville »"),
    ("00000", "Aucune commune n&#39;a le code postal 00000"),
    ("780", "Un code postal compte cinq chiffres"),
    ("x" * 200, "Tapez au plus 80 caractères"),
])
def test_an_unknown_place_gets_a_french_message(client, around_versailles, typed, message):
    page = client.get("/lieux", query_string={"lieu": typed})
    assert page.status_code == 200
    assert message in page.text and 'aria-invalid="true"' in page.text
    assert len(listed(page.text)) == 4  # the whole list stays


def test_an_ambiguous_place_lists_the_communes_to_choose(client, around_versailles):
    page = client.get("/lieux", query_string={"lieu": "Bois d'Arcy", "atelier": "1"}).text
    assert "Plusieurs communes correspondent à « Bois d&#39;Arcy »" in page
    assert 'href="/lieux?insee=78073&amp;atelier=1">Bois-d&#39;Arcy (78390)</a>' in page
    assert 'href="/lieux?insee=89049&amp;atelier=1">Bois-d&#39;Arcy (89660)</a>' in page
    chosen = client.get("/lieux?insee=78073").text
    assert listed(chosen)[0] == "saint-cyr" and "de Bois-d&#39;Arcy" in chosen
    # the other one has no centroid in the reference: said, and the list by name
    far = client.get("/lieux?insee=89049").text
    assert "n'a pas de position connue" in far and len(listed(far)) == 4
    several = client.get("/lieux?lieu=78120").text  # one postal code, three communes
    assert "Rambouillet (78120)" in several and "Sonchamp (78120)" in several
    unknown = client.get("/lieux?insee=99999x").text
    assert "Cette commune est inconnue" in unknown


def test_the_service_filter(client, dep):
    venue(dep, "demarches", mediation_services=["demarches", "securite"])
    venue(dep, "loisirs", mediation_services=["loisirs"])
    venue(dep, "rien")
    assert listed(client.get("/lieux?service=demarches").text) == ["demarches"]
    assert listed(client.get("/lieux?service=loisirs").text) == ["loisirs"]
    page = client.get("/lieux?service=inconnu").text
    assert "Ce service n&#39;existe pas" in page and len(listed(page)) == 3
    assert "Utilisation sécurisée du numérique" in client.get("/lieux").text


def test_open_now_at_fixed_times(client, dep):
    venue(dep, "semaine", opening_hours="Mo-Fr 09:00-12:00,14:00-18:00")
    venue(dep, "samedi", opening_hours="Sa 09:00-12:00")
    venue(dep, "sans-horaires")
    with frozen(MONDAY):
        page = client.get("/lieux?ouvert=1").text
        assert listed(page) == ["semaine"]
        assert "Ouvert maintenant, ferme à 12 h" in page
    with frozen(SATURDAY):
        assert listed(client.get("/lieux?ouvert=1").text) == ["samedi"]
    with frozen(SUNDAY):
        page = client.get("/lieux?ouvert=1").text
        assert listed(page) == [] and "Aucun lieu ne répond à tous ces critères" in page
        assert "Fermé, ouvre demain à 9 h" in client.get("/lieux").text


def test_with_an_upcoming_workshop_and_combined_filters(client, dep):
    busy = venue(dep, "avec-atelier", opening_hours="Mo-Fr 09:00-18:00",
                 mediation_services=["demarches"])
    past = venue(dep, "atelier-passe", opening_hours="Mo-Fr 09:00-18:00",
                 mediation_services=["demarches"])
    cancelled = venue(dep, "atelier-annule", mediation_services=["demarches"])
    weekend = venue(dep, "week-end", opening_hours="Sa 09:00-12:00",
                    mediation_services=["demarches"])
    with frozen(MONDAY):
        add_workshop(busy, MONDAY + timedelta(days=2), title="Smartphone débutant")
        add_workshop(past, MONDAY - timedelta(days=2))
        add_workshop(cancelled, MONDAY + timedelta(days=2), cancelled_at=MONDAY)
        add_workshop(weekend, MONDAY + timedelta(days=5))
        assert listed(client.get("/lieux?atelier=1").text) == ["avec-atelier", "week-end"]
        both = client.get("/lieux?atelier=1&ouvert=1&service=demarches").text
        assert listed(both) == ["avec-atelier"] and "Smartphone débutant" in both
        assert "1 lieu</h2>" in both.replace("\n", "")
        assert listed(client.get("/lieux?atelier=1&service=loisirs").text) == []
        assert 'name="atelier" value="1" checked' in both


def test_only_active_venues_are_listed(client, dep):
    venue(dep, "actif", commune_insee=VERSAILLES)
    for status in (LabelStatus.PENDING, LabelStatus.SUSPENDED, LabelStatus.WITHDRAWN):
        venue(dep, f"lieu-{status}", status=status, commune_insee=VERSAILLES)
    for url in ("/lieux", "/lieux?lieu=78000"):
        page = client.get(url).text
        assert listed(page) == ["actif"]
        assert [m["url"] for m in markers(page)] == ["/lieu/actif"]


def test_the_map_has_one_marker_per_listed_venue_with_a_position(client, around_versailles):
    page = client.get("/lieux?lieu=78000").text
    found = markers(page)
    assert [m["url"] for m in found] == ["/lieu/saint-cyr", "/lieu/sartrouville",
                                         "/lieu/mantes"]
    assert found[1] == {"name": "Sartrouville", "commune": "Sartrouville",
                        "url": "/lieu/sartrouville", "lat": 48.9372, "lon": 2.1644}
    assert 'href="#resultats">Aller à la liste</a>' in page
    assert "vendor/leaflet/leaflet.js" in page and "js/venue-map.js" in page
    assert 'data-tile-url="https://tile.openstreetmap.org/{z}/{x}/{y}.png"' in page
    csp = client.get("/lieux").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tile.openstreetmap.org;" in csp
    assert "script-src 'self';" in csp
    filtered = client.get("/lieux?service=loisirs").text
    assert markers(filtered) == [] and "data-map-block" not in filtered


def test_every_odd_parameter_gets_a_page(client, around_versailles):
    for query in ({"lieu": "\x00"}, {"lieu": "７８０００"}, {"insee": "../.."},
                  {"service": "<script>"}, {"ouvert": "oui"}, {"lieu": "'; drop table"},
                  {"lieu": "-"}, {"insee": "7" * 300}):
        page = client.get("/lieux", query_string=query)
        assert page.status_code == 200, query
        assert "<script>" not in page.text.split("</header>")[1]
