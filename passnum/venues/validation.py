"""Checks on a venue's identity, bank details and location (SIRET, IBAN, postal code,
phone, commune, coordinates).

Each ``check_*`` function returns the normalised value to store, or raises
``InvalidInput`` naming the faulty ``field`` with a French message. The numbers' own
rules (SIRET and SIREN keys with La Poste's exception, the IBAN registry's lengths and
formats, ISO 13616 check digits) are python-stdnum's and schwifty's.
"""

from __future__ import annotations

import math
import re

from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
)
from stdnum.fr import siret as stdnum_siret

from passnum.communes.reference import Commune, communes_for_postal_code
from passnum.core.formatting import format_iban
from passnum.errors import InvalidInput

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_IBAN_SHAPE = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]+$")
_POSTAL_CODE = re.compile(r"^(?!00)[0-9]{5}$")
_PHONE_SEPARATORS = re.compile(r"[\s\u00a0\u202f.\-/()]+")
_FRENCH_PHONE = re.compile(r"^0[1-9][0-9]{8}$")


def _compact(value: str | None) -> str:
    """``value`` without any kind of space."""
    return _SPACES.sub("", value or "")


def check_siret(value: str | None) -> str:
    """Return the SIRET as 14 digits (spaces removed).

    Its key and its SIREN's (the first nine digits) must hold, or La Poste's rule for its
    establishments (INSEE's documented exception), as python-stdnum checks them.
    Raises ``InvalidInput`` (``siret_required``, ``siret_malformed``, ``siret_invalid``).
    """
    siret = _compact(value)
    if not siret:
        raise InvalidInput("Indiquez le numéro SIRET du lieu.", code="siret_required",
                           field="siret")
    if not (siret.isascii() and siret.isdigit() and len(siret) == 14):
        raise InvalidInput("Le SIRET doit compter 14 chiffres (espaces permis).",
                           code="siret_malformed", field="siret")
    if not stdnum_siret.is_valid(siret):
        raise InvalidInput("Ce numéro SIRET n'existe pas : sa clé de contrôle est fausse. "
                           "Vérifiez-le sur votre avis de situation INSEE.",
                           code="siret_invalid", field="siret")
    return siret


def _sepa_iban(iban: str) -> IBAN:
    """``iban`` (compact, upper-case, well formed) as schwifty reads it, unchecked; raises
    ``InvalidInput`` (``iban_country``) outside the SEPA zone: reimbursements are SEPA
    transfers."""
    try:
        parsed = IBAN(iban, allow_invalid=True)
        sepa = parsed.in_sepa_zone
    except InvalidCountryCode:
        sepa = False
    if not sepa:
        raise InvalidInput("Seuls les IBAN de la zone SEPA sont acceptés.",
                           code="iban_country", field="iban")
    return parsed


def check_iban(value: str | None) -> str:
    """Return the IBAN compact and upper-case, as it is stored.

    Raises ``InvalidInput`` (``iban_required``, ``iban_malformed``, ``iban_country``,
    ``iban_length``, ``iban_invalid``).
    """
    iban = _compact(value).upper()
    if not iban:
        raise InvalidInput("Indiquez l'IBAN du compte à créditer.", code="iban_required",
                           field="iban")
    if not (iban.isascii() and _IBAN_SHAPE.match(iban)):
        raise InvalidInput("L'IBAN ne peut contenir que des lettres et des chiffres, et "
                           "commence par le code du pays (FR76…).", code="iban_malformed",
                           field="iban")
    parsed = _sepa_iban(iban)
    try:
        parsed.validate()
    except InvalidLength as err:
        expected = parsed.spec.iban_length
        raise InvalidInput(f"Un IBAN {iban[:2]} compte {expected} caractères ; celui-ci en "
                           f"compte {len(iban)}.", code="iban_length", field="iban") from err
    except InvalidStructure as err:
        raise InvalidInput(f"Cet IBAN est erroné : ses lettres et chiffres ne sont pas placés "
                           f"comme dans un IBAN {iban[:2]}. Recopiez-le depuis votre RIB.",
                           code="iban_invalid", field="iban") from err
    except InvalidChecksumDigits as err:
        raise InvalidInput("Cet IBAN est erroné : sa clé de contrôle ne correspond pas. "
                           "Recopiez-le depuis votre RIB.", code="iban_invalid",
                           field="iban") from err
    return iban


def mask_iban(iban: str | None) -> str:
    """The IBAN with everything but its country and last four characters hidden."""
    if not iban:
        return ""
    hidden = iban[:2] + "•" * (len(iban) - 6) + iban[-4:]
    return format_iban(hidden)


def check_postal_code(value: str | None) -> str:
    """Return a French postal code (5 digits). Raises ``InvalidInput`` (``postal_code_invalid``)."""
    code = _compact(value)
    if not (code.isascii() and _POSTAL_CODE.match(code)):
        raise InvalidInput("Le code postal doit compter 5 chiffres (par exemple 78500).",
                           code="postal_code_invalid", field="postal_code")
    return code


def departement_of_postal_code(code: str) -> str:
    """The département code a 5-digit postal code belongs to (La Poste's numbering):
    the first two digits, the first three overseas (97x, 98x), 2A or 2B for Corsica
    (20000–20199 is Corse-du-Sud, 20200–20999 Haute-Corse)."""
    if code.startswith("20"):
        return "2A" if int(code) < 20200 else "2B"
    if code[:2] in ("97", "98"):
        return code[:3]
    return code[:2]


def check_postal_code_in_departement(postal_code: str, departement_code: str,
                                     departement_name: str) -> None:
    """Refuse a (checked) postal code that lies outside the chosen département.

    Raises ``InvalidInput`` (``postal_code_departement_mismatch``) on the postal code.
    """
    if departement_of_postal_code(postal_code) != departement_code.upper():
        raise InvalidInput(
            f"Le code postal {postal_code} n'est pas dans le département choisi, "
            f"{departement_name} ({departement_code}) : corrigez le code postal ou le "
            "département.", code="postal_code_departement_mismatch", field="postal_code")


def check_phone(value: str | None) -> str:
    """Return an optional French phone number as ``01 23 45 67 89`` ("" when empty).

    ``+33 1 23 45 67 89`` and ``0033…`` are accepted. Raises ``InvalidInput``
    (``phone_invalid``).
    """
    phone = _PHONE_SEPARATORS.sub("", value or "")
    if not phone:
        return ""
    for prefix in ("+33", "0033"):
        if phone.startswith(prefix):
            phone = "0" + phone.removeprefix(prefix)
    if not (phone.isascii() and _FRENCH_PHONE.match(phone)):
        raise InvalidInput("Le numéro de téléphone doit compter 10 chiffres "
                           "(par exemple 01 39 12 34 56).", code="phone_invalid", field="phone")
    return " ".join(phone[i:i + 2] for i in range(0, 10, 2))


# --- location -------------------------------------------------------------------------

# (south, north, west, east) in degrees: metropolitan France with Corsica, then each
# overseas département and collectivité (the COG's communes all lie in one of them)
FRANCE_BOXES = (
    (41.3, 51.2, -5.3, 9.7),        # métropole, Corse
    (15.8, 16.6, -61.9, -60.9),     # Guadeloupe
    (14.3, 14.9, -61.3, -60.8),     # Martinique
    (2.1, 5.8, -54.7, -51.6),       # Guyane
    (-21.4, -20.8, 55.2, 55.9),     # La Réunion
    (-13.1, -12.6, 44.9, 45.4),     # Mayotte
    (46.7, 47.2, -56.5, -56.1),     # Saint-Pierre-et-Miquelon
    (17.8, 18.2, -63.2, -62.7),     # Saint-Barthélemy, Saint-Martin
    (-14.4, -13.1, -178.3, -176.1),  # Wallis-et-Futuna
    (-28.0, -7.8, -154.8, -134.4),  # Polynésie française
    (-22.8, -19.5, 163.5, 168.2),   # Nouvelle-Calédonie
)


def _degrees(value: str | float | None, what: str, field: str) -> float | None:
    """A typed coordinate (decimal comma or point) as a float, None when empty."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(value.strip().replace(",", ".") if isinstance(value, str) else value)
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise InvalidInput(f"La {what} doit être un nombre décimal de degrés (par exemple "
                           f"{'48,8039' if field == 'latitude' else '2,1191'}).",
                           code="coordinate_invalid", field=field)
    return number


def check_position(latitude: str | float | None,
                   longitude: str | float | None) -> tuple[float, float] | None:
    """Return an optional (latitude, longitude) in WGS84 degrees, None when both are empty.

    Both or neither; the point must lie in France (metropolitan or overseas). Raises
    ``InvalidInput`` (``coordinate_invalid``, ``position_incomplete``,
    ``position_outside_france``).
    """
    lat = _degrees(latitude, "latitude", "latitude")
    lon = _degrees(longitude, "longitude", "longitude")
    if lat is None and lon is None:
        return None
    if lat is None or lon is None:
        raise InvalidInput("Indiquez la latitude et la longitude, ou aucune des deux.",
                           code="position_incomplete",
                           field="latitude" if lat is None else "longitude")
    if not any(s <= lat <= n and w <= lon <= e for s, n, w, e in FRANCE_BOXES):
        raise InvalidInput("Ce point n'est pas en France : vérifiez la latitude (nord, par "
                           "exemple 48,8) et la longitude (est, par exemple 2,1) ; ne les "
                           "inversez pas.", code="position_outside_france", field="latitude")
    return round(lat, 6), round(lon, 6)


def check_commune(postal_code: str, commune_insee: str | None) -> Commune:
    """The commune chosen among those of a (checked) postal code; the only one when the
    code serves a single commune and none was chosen.

    Raises ``InvalidInput`` (``postal_code_unknown`` on the postal code,
    ``commune_required``, ``commune_not_in_postal_code`` on ``commune_insee``).
    """
    communes = communes_for_postal_code(postal_code)
    if not communes:
        raise InvalidInput(f"Aucune commune n'a le code postal {postal_code} : vérifiez-le.",
                           code="postal_code_unknown", field="postal_code")
    chosen = (commune_insee or "").strip()
    if not chosen and len(communes) == 1:
        return communes[0]
    if not chosen:
        raise InvalidInput(f"Plusieurs communes ont le code postal {postal_code} : "
                           "choisissez la vôtre dans la liste.",
                           code="commune_required", field="commune_insee")
    for found in communes:
        if found.insee == chosen:
            return found
    raise InvalidInput(f"Cette commune n'a pas le code postal {postal_code} : choisissez-la "
                       "dans la liste.", code="commune_not_in_postal_code",
                       field="commune_insee")
