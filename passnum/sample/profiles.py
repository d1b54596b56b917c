"""Public profiles of the sample venues (docs/venue-profile.md), in the standard's codes
(``venues/vocabulary.py``): the demo's four venues by slug, and the seed's by kind of
place, so that the directory, the venue pages and the open-data files show real content.
"""

from __future__ import annotations

import json
from typing import Any

# The demo venues' public profiles (docs/venue-profile.md), in the standard's codes
# (venues/vocabulary.py), so that the directory and the open-data files show content.
_WEEKDAYS_AND_SATURDAY = "Tu-Fr 10:00-12:30,14:00-18:00; Sa 10:00-17:00; PH off"
VENUE_PROFILES: dict[str, dict[str, Any]] = {
    "mediatheque-sartrouville": {
        "summary": "Ateliers numériques pour débutants, accès libre aux ordinateurs et aide "
                   "aux démarches en ligne, avec ou sans rendez-vous.",
        "description": "L'espace multimédia de la médiathèque accueille chacun pour "
                       "apprendre à se servir d'un ordinateur, d'un smartphone ou d'une "
                       "tablette.\nAteliers collectifs le mercredi et le samedi, "
                       "accompagnement individuel sur rendez-vous.",
        "opening_hours": _WEEKDAYS_AND_SATURDAY, "phone": "+33139141234",
        "email": "multimedia@mediatheque-sartrouville.example.fr",
        "website": "https://mediatheque-sartrouville.example.fr",
        "booking_url": "https://mediatheque-sartrouville.example.fr/rendez-vous",
        "typologies": ["BIB"], "address_complement": "Espace multimédia, 1er étage",
        "mediation_services": ["outils_quotidien", "demarches", "acces_materiel", "loisirs"],
        "specific_publics": ["seniors", "familles"], "specific_support": ["handicaps_moteurs"],
        "national_programmes": ["conseillers_numeriques", "bnr"],
        "access_modes": ["se_presenter", "telephoner", "rdv_en_ligne"],
        "support_modes": ["autonomie", "individuel", "atelier"],
    },
    "espace-numerique-mantes": {
        "summary": "Espace public numérique du quartier : initiation, démarches "
                   "administratives et recherche d'emploi accompagnées.",
        "opening_hours": "Mo-Fr 09:00-12:00,13:30-17:30", "phone": "+33130981122",
        "email": "epn@val-fourre.example.fr",
        "typologies": ["EPN"],
        "mediation_services": ["demarches", "insertion", "outils_quotidien", "securite"],
        "specific_publics": ["jeunes", "femmes"],
        "specific_support": ["illettrisme", "langues_autres"],
        "national_programmes": ["aidants_connect", "conseillers_numeriques"],
        "labels": ["mon_espace_sante"],
        "access_modes": ["se_presenter", "telephoner"],
        "support_modes": ["individuel", "atelier"],
    },
    "mediatheque-nanterre": {
        "summary": "Initiations au numérique, ateliers parents-enfants et postes en accès "
                   "libre au cœur du centre ancien.",
        "opening_hours": "Tu,Th,Fr 13:00-19:00; We,Sa 10:00-18:00; PH off",
        "phone": "+33141371010", "website": "https://mediatheques-nanterre.example.fr",
        "acceslibre_url": "https://acceslibre.beta.gouv.fr/app/92-nanterre/a/bibliotheque-"
                          "mediatheque/erp/mediatheque-pierre-et-marie-curie/",
        "typologies": ["BIB"],
        "mediation_services": ["outils_quotidien", "parentalite", "comprehension",
                               "acces_materiel"],
        "specific_publics": ["familles", "etudiants"], "specific_support": ["surdite"],
        "national_programmes": ["pix"],
        "access_modes": ["se_presenter", "courriel"],
        "support_modes": ["autonomie", "atelier"],
    },
    "centre-social-gennevilliers": {
        "summary": "Permanences d'aide aux démarches en ligne et ateliers smartphone, en "
                   "petit groupe, pour les habitants du quartier.",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00; We 09:00-12:00",
        "phone": "+33147981234", "email": "accueil@cs-cesaire.example.fr",
        "typologies": ["CS"],
        "mediation_services": ["demarches", "outils_quotidien", "materiel_solidaire"],
        "specific_publics": ["seniors", "femmes"],
        "specific_support": ["langues_anglais", "illettrisme"],
        "national_programmes": ["france_services"], "other_labels": "Point relais CAF",
        "access_modes": ["se_presenter", "telephoner", "prescription"],
        "support_modes": ["individuel", "atelier", "distance"],
    },
}


# the seed's venues, by kind of place (``generator.VENUE_KINDS``)
SEED_PROFILES: dict[str, dict[str, Any]] = {
    "Médiathèque": {
        "summary": "Postes en accès libre et ateliers d'initiation au numérique pour tous.",
        "opening_hours": _WEEKDAYS_AND_SATURDAY, "typologies": ["BIB"],
        "mediation_services": ["outils_quotidien", "acces_materiel", "loisirs"],
        "access_modes": ["se_presenter"], "support_modes": ["autonomie", "atelier"],
    },
    "Espace numérique": {
        "summary": "Accompagnement aux démarches en ligne et ateliers smartphone.",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-17:30", "typologies": ["EPN"],
        "mediation_services": ["demarches", "outils_quotidien", "securite"],
        "national_programmes": ["conseillers_numeriques"],
        "access_modes": ["se_presenter", "telephoner"],
        "support_modes": ["individuel", "atelier"],
    },
    "Centre social": {
        "summary": "Permanences numériques et ateliers en petit groupe pour les habitants.",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00", "typologies": ["CS"],
        "mediation_services": ["demarches", "outils_quotidien", "parentalite"],
        "specific_publics": ["familles", "seniors"],
        "access_modes": ["se_presenter", "telephoner"],
        "support_modes": ["individuel", "atelier"],
    },
}


def seed_profile(kind: str) -> dict[str, Any]:
    """The profile columns of a seed venue of ``kind``, as the seed's bulk insert writes
    them (COPY, executemany: the DBAPI's own values, so each list as its JSON text)."""
    return {name: json.dumps(value) if isinstance(value, list) else value
            for name, value in SEED_PROFILES[kind].items()}
