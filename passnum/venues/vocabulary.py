"""The words of a venue's public profile, as the national standard of the lieux de
médiation numérique (schéma « Lieux de médiation numérique », v1.0.2, shipped in
``passnum/opendata/schemas/``) spells them.

Each list maps the code passnum stores (a short, stable slug) to the standard's exact
value, which is what forms show, the public page prints and the open-data files carry.
The standard writes several values in one cell joined by ``|``
(``MULTIPLE_SEPARATOR``). Typologies are the typology codes the national map reads
(data·inclusion's référentiel of structure types), restricted to the kinds of places
that do digital mediation.
"""

from __future__ import annotations

MULTIPLE_SEPARATOR = "|"

# ``services``: the standard's nine services
MEDIATION_SERVICES: dict[str, str] = {
    "demarches": "Aide aux démarches administratives",
    "outils_quotidien": "Maîtrise des outils numériques du quotidien",
    "insertion": "Insertion professionnelle via le numérique",
    "securite": "Utilisation sécurisée du numérique",
    "parentalite": "Parentalité et éducation avec le numérique",
    "loisirs": "Loisirs et créations numériques",
    "comprehension": "Compréhension du monde numérique",
    "acces_materiel": "Accès internet et matériel informatique",
    "materiel_solidaire": "Acquisition de matériel informatique à prix solidaire",
}

# ``publics_specifiquement_adresses``
SPECIFIC_PUBLICS: dict[str, str] = {
    "jeunes": "Jeunes",
    "etudiants": "Étudiants",
    "familles": "Familles et/ou enfants",
    "seniors": "Seniors",
    "femmes": "Femmes",
}

# ``prise_en_charge_specifique``
SPECIFIC_SUPPORT: dict[str, str] = {
    "surdite": "Surdité",
    "handicaps_moteurs": "Handicaps moteurs",
    "handicaps_mentaux": "Handicaps mentaux",
    "illettrisme": "Illettrisme",
    "langues_anglais": "Langues étrangères (anglais)",
    "langues_autres": "Langues étrangères (autres)",
    "deficience_visuelle": "Déficience visuelle",
}

# ``dispositif_programmes_nationaux``
NATIONAL_PROGRAMMES: dict[str, str] = {
    "aidants_connect": "Aidants Connect",
    "bnr": "Bibliothèques numérique de référence",
    "pix": "Certification PIX",
    "conseillers_numeriques": "Conseillers numériques",
    "emmaus_connect": "Emmaüs Connect",
    "france_services": "France Services",
    "gen": "Grande école du numérique",
    "croix_rouge": "La Croix Rouge",
    "caf": "Point d'accès numérique CAF",
    "promeneurs": "Promeneurs du net",
    "relais_emmaus": "Relais numérique (Emmaüs Connect)",
}

# ``formations_labels``
LABELS: dict[str, str] = {
    "mon_espace_sante": "Formé à « Mon Espace Santé »",
    "duplex": "Formé à « DUPLEX » (illettrisme)",
    "arnia": "Arnia/MedNum BFC (Bourgogne-Franche-Comté)",
    "reemploi_normandie": "Collectif ressources et acteurs réemploi (Normandie)",
    "etapes_numeriques": "Étapes numériques(La Poste)",
    "fabriques": "Fabriques de Territoire",
    "eclaireurs": "Les Éclaireurs du numérique (Drôme)",
    "mes_papiers": "Mes Papiers (Métropole de Lyon)",
    "ordi3": "ORDI 3.0",
    "sud_labs": "SUD LABS (PACA)",
}

# ``modalites_acces``
ACCESS_MODES: dict[str, str] = {
    "se_presenter": "Se présenter",
    "telephoner": "Téléphoner",
    "courriel": "Contacter par mail",
    "rdv_en_ligne": "Prendre un RDV en ligne",
    "pas_de_public": "Ce lieu n'accueille pas de public",
    "prescription": "Envoyer un mail avec une fiche de prescription",
}

# ``modalites_accompagnement``
SUPPORT_MODES: dict[str, str] = {
    "autonomie": "En autonomie",
    "individuel": "Accompagnement individuel",
    "atelier": "Dans un atelier collectif",
    "distance": "À distance",
}

# ``typologie``: codes of the structure types (stored as the code itself), those the
# national map's own library accepts
TYPOLOGIES: dict[str, str] = {
    "ASSO": "Association",
    "BIB": "Bibliothèque / Médiathèque",
    "CAF": "Caisse d’allocations familiales (CAF)",
    "CCAS": "Centre communal d’action sociale (CCAS)",
    "CIAS": "Centre intercommunal d’action sociale (CIAS)",
    "CS": "Centre social",
    "CSC": "Centre socio-culturel",
    "ENM": "Espace numérique mobile",
    "EPI": "Espace public internet",
    "EPN": "Espace public numérique",
    "ESS": "Entreprise de l’économie sociale et solidaire",
    "EVS": "Espace de vie sociale",
    "FABLAB": "Fablab / atelier partagé",
    "FT": "France Travail",
    "LA_POSTE": "Bureau de poste / agence postale",
    "MDS": "Maison départementale des solidarités",
    "MJC": "Maison des jeunes et de la culture",
    "ML": "Mission locale",
    "MQ": "Maison de quartier",
    "MUNI": "Mairie",
    "OF": "Organisme de formation",
    "PIJ_BIJ": "Point ou bureau information jeunesse",
    "PIMMS": "Point information médiation multi services (PIMMS)",
    "RESSOURCERIE": "Ressourcerie",
    "RFS": "France Services",
    "TIERS_LIEUX": "Tiers-lieu / coworking",
}

# every multi-valued field of the profile: Venue attribute -> (standard column, words)
PROFILE_LISTS: dict[str, tuple[str, dict[str, str]]] = {
    "typologies": ("typologie", TYPOLOGIES),
    "mediation_services": ("services", MEDIATION_SERVICES),
    "specific_publics": ("publics_specifiquement_adresses", SPECIFIC_PUBLICS),
    "specific_support": ("prise_en_charge_specifique", SPECIFIC_SUPPORT),
    "national_programmes": ("dispositif_programmes_nationaux", NATIONAL_PROGRAMMES),
    "labels": ("formations_labels", LABELS),
    "access_modes": ("modalites_acces", ACCESS_MODES),
    "support_modes": ("modalites_accompagnement", SUPPORT_MODES),
}

# ``frais_a_charge`` of every venue: a person pays with the pass numérique's chèques
FEES = "Gratuit sous condition"
FEES_DETAIL = "Gratuit avec les chèques du pass numérique"


def labels_of(codes: list[str] | None, words: dict[str, str]) -> list[str]:
    """The standard's values of ``codes``, in the standard's order (unknown codes,
    left by an older list, are skipped)."""
    chosen = set(codes or ())
    return [label for code, label in words.items() if code in chosen]


def codes_of(labels: list[str], words: dict[str, str]) -> tuple[list[str], list[str]]:
    """``(codes, unknown)``: the codes of the standard's ``labels`` (read from a file,
    compared without case or surrounding spaces), and the labels that match none."""
    by_label = {label.casefold(): code for code, label in words.items()}
    by_label.update({code.casefold(): code for code in words})
    codes: list[str] = []
    unknown: list[str] = []
    for label in labels:
        code = by_label.get(label.strip().casefold())
        if code is None:
            unknown.append(label.strip())
        elif code not in codes:
            codes.append(code)
    return [code for code in words if code in codes], unknown

# the standard's columns, in its order (the CSV header of /lieux.csv and of an import)
LIEUX_COLUMNS = (
    "id", "pivot", "nom", "commune", "code_postal", "code_insee", "adresse",
    "complement_adresse", "latitude", "longitude", "typologie", "telephone", "courriels",
    "site_web", "horaires", "presentation_resume", "presentation_detail", "source",
    "itinerance", "structure_parente", "date_maj", "services",
    "publics_specifiquement_adresses", "prise_en_charge_specifique", "frais_a_charge",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels",
    "modalites_acces", "modalites_accompagnement", "fiche_acces_libre", "prise_rdv",
)
