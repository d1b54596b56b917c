"""Files of venues in the national standard, for the import's tests: 200 venues of the
Yvelines, of which 10 are faulty, each in its own way."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from passnum.communes.reference import communes_for_postal_code
from passnum.venues.vocabulary import LIEUX_COLUMNS
from tests.factories import valid_siret

# (postal code, commune as a file may write it): communes of the Yvelines
COMMUNES = (("78000", "Versailles"), ("78300", "Poissy"), ("78500", "Sartrouville"),
            ("78100", "Saint-Germain-en-Laye"), ("78260", "Achères"),
            ("78570", "Andrésy"), ("78410", "Aubergenville"))
SOURCE = "Cartographie nationale"
TAKEN_SIRET = valid_siret(9001)  # the SIRET of a venue already registered

# line (the header is line 1) -> (cells changed, the reason's words)
FAULTS: dict[int, tuple[dict[str, str], str]] = {
    5: ({"nom": ""}, "« nom » manquant"),
    25: ({"code_postal": "75011", "commune": "Paris", "code_insee": ""},
         "n'est pas dans le département choisi"),
    45: ({"commune": "Versailles", "code_postal": "78300", "code_insee": ""},
         "n'a pas le code postal 78300"),
    65: ({"latitude": "2.13", "longitude": "48.80"}, "n'est pas en France"),
    85: ({"horaires": "du lundi au vendredi 9h-18h"}, "pas au format OpenStreetMap"),
    105: ({"services": "Aide aux démarches administratives|Cours de cuisine"},
          "valeur inconnue « Cours de cuisine »"),
    125: ({"telephone": "12 34"}, "10 chiffres"),
    145: ({"courriels": "contact-at-exemple.fr"}, "n'est pas une adresse e-mail valide"),
    165: ({"pivot": TAKEN_SIRET}, f"le SIRET {TAKEN_SIRET} est déjà celui d'un lieu"),
    185: ({"id": "mednum-0010"}, "« mednum-0010 » est déjà importé"),
}
ROWS = 200
GOOD = ROWS - len(FAULTS)


def venue_row(n: int) -> dict[str, str]:
    """The cells of the ``n``-th venue (1-based), all valid."""
    postal_code, name = COMMUNES[n % len(COMMUNES)]
    commune = communes_for_postal_code(postal_code)[0]
    return {
        "id": f"mednum-{n:04d}", "pivot": valid_siret(5000 + n) if n % 2 else "00000000000000",
        "nom": f"Espace numérique n° {n}", "commune": name, "code_postal": postal_code,
        "code_insee": commune.insee if n % 3 == 0 else "", "adresse": f"{n} rue de la Paix",
        "complement_adresse": "Bâtiment B" if n % 4 == 0 else "",
        "latitude": f"{(commune.latitude or 48.8) + 0.001:.6f}",
        "longitude": f"{(commune.longitude or 2.1) + 0.001:.6f}",
        "typologie": "BIB|EPN", "telephone": f"+3313900{n:04d}",
        "courriels": f"contact{n}@exemple.fr|accueil{n}@exemple.fr",
        "site_web": f"https://lieu{n}.exemple.fr", "horaires": "Mo-Fr 09:00-12:00,14:00-18:00",
        "presentation_resume": "Ateliers et accompagnement au numérique.",
        "presentation_detail": "Des ateliers collectifs\net un accompagnement individuel.",
        "source": SOURCE, "itinerance": "", "structure_parente": "", "date_maj": "2024-05-02",
        "services": "Aide aux démarches administratives|Maîtrise des outils numériques du "
                    "quotidien",
        "publics_specifiquement_adresses": "Seniors", "prise_en_charge_specifique": "",
        "frais_a_charge": "Gratuit", "dispositif_programmes_nationaux": "Conseillers numériques",
        "formations_labels": "", "autres_formations_labels": "",
        "modalites_acces": "Se présenter|Téléphoner",
        "modalites_accompagnement": "Accompagnement individuel|Dans un atelier collectif",
        "fiche_acces_libre": "", "prise_rdv": f"https://rdv.exemple.fr/lieu{n}",
    }


def rows_200() -> list[dict[str, str]]:
    """200 venues, the 10 of ``FAULTS`` faulty (file line n is venue n - 1)."""
    rows = [venue_row(n) for n in range(1, ROWS + 1)]
    for line, (changes, _words) in FAULTS.items():
        rows[line - 2].update(changes)
    return rows


def as_csv(rows: list[dict[str, Any]], *, delimiter: str = ",", bom: bool = False,
           columns: tuple[str, ...] = LIEUX_COLUMNS) -> bytes:
    """The rows as a CSV file of the standard (UTF-8)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, delimiter=delimiter,
                            extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" if bom else "").encode() + out.getvalue().encode()


def _number(cell: str) -> float | str | None:
    """A coordinate as a JSON number (a faulty one as it is)."""
    try:
        return float(cell) if cell else None
    except ValueError:
        return cell


def as_json(rows: list[dict[str, Any]]) -> bytes:
    """The rows as a JSON array of objects: lists as arrays, coordinates as numbers."""
    items = []
    for row in rows:
        item: dict[str, Any] = dict(row)
        for key in ("services", "typologie", "modalites_acces", "modalites_accompagnement"):
            if key in row:
                item[key] = [v for v in row[key].split("|") if v]
        for key in ("latitude", "longitude"):
            if key in row:
                item[key] = _number(row[key])
        items.append(item)
    return json.dumps(items, ensure_ascii=False).encode()
