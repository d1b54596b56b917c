"""The venues in data·inclusion's schema v1: one structure per venue, and one service
per venue, its workshops paid with the pass numérique
(``schemas/data-inclusion-v1-structure.json``, ``…-service.json``).

Both start from the standard's row (``lieux.lieu_row``), so a value is written one way.
data·inclusion v1 knows two ``frais`` only, ``gratuit`` and ``payant`` (its former
``pass-numerique`` value was dropped in June 2025): a person pays nothing with the
chèques, so ``gratuit``, and ``frais_precisions`` names the pass numérique
(docs/opendata.md).
"""

from __future__ import annotations

from typing import Any

from passnum.opendata.lieux import SOURCE, Row, lieu_row
from passnum.venues.models import Venue
from passnum.venues.vocabulary import FEES_DETAIL

SERVICE_NAME = "Ateliers numériques avec le pass numérique"
SERVICE_DESCRIPTION = (
    "Des ateliers pour apprendre à se servir d'un ordinateur, d'un smartphone ou "
    "d'internet, seul ou en groupe. Ils se paient avec les chèques du pass numérique : "
    "la personne n'a rien à payer."
)
FEES_PRECISIONS = (f"{FEES_DETAIL} : chaque atelier coûte un ou plusieurs chèques, "
                   "la personne n'a rien à payer.")
ACCESS_CONDITIONS = ("Avoir reçu un chéquier pass numérique d'un service social ou d'une "
                     "structure partenaire.")
PUBLICS_PRECISIONS = ("Personnes qui ont besoin d'aide avec le numérique et ont reçu un "
                      "chéquier pass numérique.")

# data·inclusion v1 référentiels, keyed by the codes the venue stores
THEMATIQUES = {
    "demarches": "numerique--acceder-a-des-services-en-ligne",
    "acces_materiel": "numerique--acceder-a-une-connexion-internet",
    "materiel_solidaire": "numerique--acquerir-un-equipement",
}
FUNDAMENTALS = "numerique--maitriser-les-fondamentaux-du-numerique"
PUBLICS = {"jeunes": "jeunes", "etudiants": "etudiants", "familles": "familles",
           "seniors": "seniors", "femmes": "femmes"}
RESEAUX_BY_PROGRAMME = {
    "aidants_connect": "aidants-connect", "conseillers_numeriques": "conseillers-numeriques",
    "emmaus_connect": "emmaus", "relais_emmaus": "emmaus", "france_services": "france-service",
    "gen": "grandes-ecoles-du-numerique", "croix_rouge": "croix-rouge", "caf": "caf",
}
RESEAUX_BY_TYPOLOGY = {
    "CAF": "caf", "CCAS": "ccas-cias", "CIAS": "ccas-cias", "EPI": "espaces-publics-numeriques",
    "EPN": "espaces-publics-numeriques", "FT": "france-travail", "LA_POSTE": "la-poste",
    "MDS": "maisons-des-solidarites", "MJC": "mjc", "ML": "mission-locale", "MUNI": "communes",
    "PIJ_BIJ": "reseau-information-jeunesse", "PIMMS": "pimms-mediation",
    "RESSOURCERIE": "ressourceries", "RFS": "france-service",
}
RESEAUX_BY_LABEL = {"fabriques": "fabrique-de-territoire"}


def structure_id(venue: Venue) -> str:
    """data·inclusion's id: the producer and the venue's own id (``passnum--<slug>``)."""
    return f"{SOURCE}--{venue.slug}"


def _place(row: Row) -> dict[str, Any]:
    """The fields a structure and its service share: address, position, contacts."""
    return {
        "commune": row["commune"], "code_postal": row["code_postal"],
        "code_insee": row["code_insee"], "adresse": row["adresse"],
        "complement_adresse": row["complement_adresse"], "latitude": row["latitude"],
        "longitude": row["longitude"], "telephone": row["telephone"],
        "courriel": row["courriels"], "horaires_accueil": row["horaires"],
    }


def _description(venue: Venue) -> str | None:
    """The venue's description, else its summary; None when shorter than the five
    characters data·inclusion asks for."""
    text = (venue.description or "").strip() or (venue.summary or "").strip()
    return text[:10_000] if len(text) >= 5 else None


def _sorted(values: set[str]) -> list[str] | None:
    """A set of codes as a sorted list, None when empty."""
    return sorted(values) or None


def structure(venue: Venue, row: Row | None = None) -> dict[str, Any]:
    """The venue as a data·inclusion v1 structure (absent values left out)."""
    row = row or lieu_row(venue)
    reseaux = {RESEAUX_BY_PROGRAMME[c] for c in venue.national_programmes or ()
               if c in RESEAUX_BY_PROGRAMME}
    reseaux |= {RESEAUX_BY_TYPOLOGY[c] for c in venue.typologies or ()
                if c in RESEAUX_BY_TYPOLOGY}
    reseaux |= {RESEAUX_BY_LABEL[c] for c in venue.labels or () if c in RESEAUX_BY_LABEL}
    values = {
        "source": SOURCE, "id": structure_id(venue), "nom": str(row["nom"])[:150],
        "date_maj": row["date_maj"], "description": _description(venue),
        "siret": venue.siret if venue.siret and venue.siret.isdigit() else None,
        **_place(row),
        "site_web": row["site_web"], "accessibilite_lieu": row["fiche_acces_libre"],
        "reseaux_porteurs": _sorted(reseaux),
    }
    return {key: value for key, value in values.items() if value is not None}


def service(venue: Venue, departements: list[str], row: Row | None = None) -> dict[str, Any]:
    """The venue's workshops paid with the pass numérique as a data·inclusion v1
    service: open to the residents of ``departements`` (the codes where chèques are
    handed out), reached at the venue, by its booking link, phone or e-mail."""
    row = row or lieu_row(venue)
    services = set(venue.mediation_services or ())
    thematiques = {FUNDAMENTALS} | {THEMATIQUES[c] for c in services if c in THEMATIQUES}
    publics = {PUBLICS[c] for c in venue.specific_publics or () if c in PUBLICS}
    values = {
        "source": SOURCE, "structure_id": structure_id(venue),
        "id": f"{structure_id(venue)}--ateliers-pass-numerique", "nom": SERVICE_NAME,
        "description": SERVICE_DESCRIPTION, "date_maj": row["date_maj"], "type": "atelier",
        "thematiques": sorted(thematiques), "frais": "gratuit",
        "frais_precisions": FEES_PRECISIONS,
        "publics": sorted(publics) if publics else ["tous-publics"],
        "publics_precisions": PUBLICS_PRECISIONS, "conditions_acces": ACCESS_CONDITIONS,
        **_place(row),
        "modes_accueil": (["a-distance", "en-presentiel"]
                          if "distance" in (venue.support_modes or ()) else ["en-presentiel"]),
        "zone_eligibilite": departements or None,
        "lien_mobilisation": row["prise_rdv"],
        "modes_mobilisation": _mobilisation(venue, row),
        "mobilisable_par": ["professionnels", "usagers"],
    }
    return {key: value for key, value in values.items() if value is not None}


def _mobilisation(venue: Venue, row: Row) -> list[str] | None:
    """How a person reaches the service, from the venue's access modes, keeping only
    the ways the venue gave the means of (a phone to call, an address to write to, a
    booking link); the booking link counts whenever there is one."""
    modes = set(venue.access_modes or ())
    chosen = set()
    if "se_presenter" in modes:
        chosen.add("se-presenter")
    if "telephoner" in modes and row["telephone"]:
        chosen.add("telephoner")
    if modes & {"courriel", "prescription"} and row["courriels"]:
        chosen.add("envoyer-un-courriel")
    if row["prise_rdv"]:
        chosen.add("utiliser-lien-mobilisation")
    return _sorted(chosen)
