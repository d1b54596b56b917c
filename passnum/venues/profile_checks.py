"""Checks on the fields of a venue's public profile: texts and their lengths, the phone
in the standard's form, the e-mail address, links, lists of the vocabulary's codes.

Each ``check_*`` function returns the value to store, or raises ``InvalidInput`` naming
its ``field`` with a French message. E-mail addresses are read by ``email-validator``
(syntax only: no lookup of the domain, which the tests and offline servers lack).
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email

from passnum.errors import InvalidInput
from passnum.venues.validation import check_phone
from passnum.venues.vocabulary import PROFILE_LISTS

# field: (its name in messages, maximum length)
TEXTS: dict[str, tuple[str, int]] = {
    "address": ("L'adresse", 300),
    "address_complement": ("Le complément d'adresse", 160),
    "summary": ("La présentation courte", 280),
    "description": ("La présentation détaillée", 5000),
    "other_labels": ("Les autres formations et labels", 500),
}
URL_MAX = 300
EMAIL_MAX = 254
URLS: dict[str, str] = {
    "website": "Le site internet",
    "booking_url": "Le lien de prise de rendez-vous",
    "acceslibre_url": "Le lien vers la fiche Acceslibre",
}
# the national accessibility register: its sheets live on its own host
ACCESLIBRE_HOSTS = ("acceslibre.beta.gouv.fr", "www.acceslibre.beta.gouv.fr")
# field: the list's name in messages
LIST_NAMES: dict[str, str] = {
    "typologies": "typologie", "mediation_services": "services",
    "specific_publics": "publics spécifiquement adressés",
    "specific_support": "prises en charge spécifiques",
    "national_programmes": "dispositifs nationaux", "labels": "formations et labels",
    "access_modes": "modalités d'accès", "support_modes": "modalités d'accompagnement",
}


def check_text(value: str | None, name: str) -> str:
    """An optional text of the profile, surrounding spaces removed, within its length
    (line breaks kept for the detailed presentation). Raises ``InvalidInput``
    (``value_too_long``)."""
    what, limit = TEXTS[name]
    text = (value or "").strip()
    if name != "description":
        text = " ".join(text.split())
    if len(text) > limit:
        raise InvalidInput(f"{what} ne doit pas dépasser {limit} caractères (actuellement "
                           f"{len(text)}).", code="value_too_long", field=name)
    return text


def check_address(value: str | None) -> str:
    """The street address, required (the standard's ``adresse``). Raises ``InvalidInput``
    (``value_required``, ``value_too_long``)."""
    address = check_text(value, "address")
    if not address:
        raise InvalidInput("Indiquez l'adresse du lieu (numéro et rue).",
                           code="value_required", field="address")
    return address


def check_profile_phone(value: str | None) -> str:
    """An optional French phone number as the standard writes it, ``+33XXXXXXXXX``
    ("" when empty), read by ``validation.check_phone``. Raises ``InvalidInput``
    (``phone_invalid``)."""
    phone = check_phone(value).replace(" ", "")
    return "+33" + phone[1:] if phone else ""


def check_email(value: str | None) -> str:
    """An optional e-mail address, its domain in lower case ("" when empty). Raises
    ``InvalidInput`` (``email_invalid``)."""
    email = (value or "").strip()
    if not email:
        return ""
    try:
        checked = validate_email(email, check_deliverability=False)
    except EmailNotValidError as err:
        raise InvalidInput("Cette adresse e-mail n'est pas valide : écrivez-la comme "
                           "contact@mediatheque.fr.", code="email_invalid",
                           field="email") from err
    if len(checked.normalized) > EMAIL_MAX:
        raise InvalidInput(f"L'adresse e-mail ne doit pas dépasser {EMAIL_MAX} caractères.",
                           code="email_invalid", field="email")
    return checked.normalized


def check_url(value: str | None, name: str) -> str:
    """An optional web link, http or https, with a host and no spaces; the acceslibre
    link on acceslibre's own host. Raises ``InvalidInput`` (``url_invalid``,
    ``url_too_long``, ``acceslibre_host``)."""
    what = URLS[name]
    url = (value or "").strip()
    if not url:
        return ""
    if len(url) > URL_MAX:
        raise InvalidInput(f"{what} ne doit pas dépasser {URL_MAX} caractères.",
                           code="url_too_long", field=name)
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
    except ValueError:
        parts, host = None, ""
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not host
            or "." not in host or any(c.isspace() for c in url) or not url.isprintable()):
        raise InvalidInput(f"{what} doit être une adresse web complète commençant par "
                           "https:// (par exemple https://www.mediatheque.fr).",
                           code="url_invalid", field=name)
    if name == "acceslibre_url" and host not in ACCESLIBRE_HOSTS:
        raise InvalidInput("Le lien vers la fiche Acceslibre doit mener au site "
                           "acceslibre.beta.gouv.fr (la fiche d'accessibilité du lieu).",
                           code="acceslibre_host", field=name)
    return url


def check_codes(codes: Iterable[str] | None, name: str) -> list[str]:
    """The ticked codes of a list, each once, in the vocabulary's order. Raises
    ``InvalidInput`` (``code_unknown``) for a code the vocabulary does not have."""
    _column, words = PROFILE_LISTS[name]
    chosen = [str(code).strip() for code in codes or ()]
    unknown = [code for code in chosen if code not in words]
    if unknown:
        raise InvalidInput(f"Valeur inconnue dans la liste « {LIST_NAMES[name]} » : "
                           "cochez seulement les choix proposés.", code="code_unknown",
                           field=name)
    return [code for code in words if code in chosen]
