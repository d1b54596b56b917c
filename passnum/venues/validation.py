"""Checks on a venue's identity and bank details (SIRET, IBAN, postal code, phone).

Each ``check_*`` function returns the normalised value to store, or raises
``InvalidInput`` naming the faulty ``field`` with a French message. The numbers' own
rules (SIRET and SIREN keys with La Poste's exception, the IBAN registry's lengths and
formats, ISO 13616 check digits) are python-stdnum's and schwifty's.
"""

from __future__ import annotations

import re

from schwifty import IBAN
from schwifty.exceptions import (
    InvalidChecksumDigits,
    InvalidCountryCode,
    InvalidLength,
    InvalidStructure,
)
from stdnum.fr import siret as stdnum_siret

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
