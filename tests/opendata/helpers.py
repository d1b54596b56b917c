"""Venues of every awkward kind for the open-data tests, and the fixed day they run on."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.venues.models import LabelStatus, Venue

# the fixed clock of these tests (data·inclusion refuses a date_maj after today)
NOW = datetime(2025, 3, 12, 10, 0, tzinfo=UTC)

FULL_DESCRIPTION = (
    "Ateliers « débutants », le mardi ; accès libre l'après-midi.\n"
    "Deuxième ligne, avec une virgule, des \"guillemets\" et un | au milieu.\n"
    "=SOMME(A1:A2) n'est pas une formule ici."
)


def make_profile_venue(dep: Departement, slug: str, **over: Any) -> Venue:
    """An active venue of ``dep`` with a complete public profile (``over`` replaces
    any value), committed."""
    values: dict[str, Any] = {
        "slug": slug, "name": "Espace \"Le Lien\", médiation numérique – Poissy",
        "departement": dep, "address": "12, rue de l'Église", "postal_code": "78300",
        "commune": "Poissy", "commune_insee": "78498", "latitude": 48.9301,
        "longitude": 2.0452, "siret": "12345678200015", "phone": "01 39 12 34 56",
        "email": "contact@le-lien.example.fr", "website": "https://le-lien.example.fr/",
        "booking_url": "https://rdv.example.fr/le-lien?atelier=1",
        "acceslibre_url": "https://acceslibre.beta.gouv.fr/app/78-poissy/a/espace/erp/le-lien/",
        "address_complement": "Bâtiment B; 2e étage, porte « C »",
        "summary": "+ de 20 ateliers par mois | accès libre",
        "description": FULL_DESCRIPTION,
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00",
        "typologies": ["EPN", "ASSO"],
        "mediation_services": ["demarches", "outils_quotidien", "materiel_solidaire"],
        "specific_publics": ["seniors", "jeunes"],
        "specific_support": ["surdite", "langues_autres"],
        "national_programmes": ["conseillers_numeriques", "aidants_connect"],
        "labels": ["mon_espace_sante", "fabriques"],
        "other_labels": "=HYPERLINK(\"x\"), label « Numérique solidaire »; Pass",
        "access_modes": ["se_presenter", "telephoner", "rdv_en_ligne"],
        "support_modes": ["atelier", "individuel", "distance"],
        "label_status": LabelStatus.ACTIVE,
        "label_changed_at": datetime(2024, 5, 2, 8, 0, tzinfo=UTC),
        "profile_updated_at": datetime(2025, 2, 28, 23, 30, tzinfo=UTC),
        "created_at": datetime(2024, 4, 1, 9, 0, tzinfo=UTC),
    }
    values.update(over)
    venue = Venue(**values)
    db.session.add(venue)
    db.session.commit()
    return venue


def make_bare_venue(dep: Departement, slug: str, **over: Any) -> Venue:
    """An active venue with only what an application gives (name, address, commune;
    no SIRET, no typed position, no profile), committed."""
    values: dict[str, Any] = {
        "name": "Médiathèque Jules-Verne", "address": "3 avenue Jean-Jaurès",
        "postal_code": "92000", "commune": "Nanterre", "commune_insee": "92050",
        "latitude": None, "longitude": None, "siret": None, "phone": "", "email": "",
        "website": "", "booking_url": "", "acceslibre_url": "", "address_complement": "",
        "summary": "", "description": "", "opening_hours": "", "typologies": [],
        "mediation_services": [], "specific_publics": [], "specific_support": [],
        "national_programmes": [], "labels": [], "other_labels": "", "access_modes": [],
        "support_modes": [], "profile_updated_at": None,
    }
    values.update(over)
    return make_profile_venue(dep, slug, **values)


def make_edge_cases(dep78: Departement, dep92: Departement) -> dict[str, Venue]:
    """The fixture of every case the files must survive, by name."""
    return {
        "full": make_profile_venue(dep78, "espace-le-lien-poissy"),
        "bare": make_bare_venue(dep92, "mediatheque-jules-verne",
                                label_changed_at=datetime(2024, 9, 3, 22, 30, tzinfo=UTC)),
        "nowhere": make_bare_venue(dep92, "lieu-sans-commune-connue", commune_insee=None,
                                   label_changed_at=None, siret="98765432100018",
                                   phone="0590 12 34 56"),
        "suspended": make_profile_venue(dep78, "lieu-suspendu", siret="11111111100011",
                                        label_status=LabelStatus.SUSPENDED),
        "pending": make_bare_venue(dep78, "lieu-en-attente", label_status=LabelStatus.PENDING),
        "no_address": make_bare_venue(dep78, "lieu-sans-adresse", address=" "),
    }


PUBLISHED = ("espace-le-lien-poissy", "lieu-sans-commune-connue", "mediatheque-jules-verne")
