"""Checks on beneficiary input, shared by the web form, the API and the CLI."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from passnum.beneficiaries.categories import Gender, PriorityArea, SocialStatus
from passnum.beneficiaries.consent import CURRENT_CONSENT_VERSION, current_consent_text
from passnum.communes.reference import communes_for_postal_code
from passnum.core.clock import today
from passnum.core.text import (
    check_name_characters,
    clean_name,
    first_name_case,
    normalise_name,
)
from passnum.errors import InvalidInput, RuleRefused

POSTAL_CODE = re.compile(r"^\d{5}$")
PHONE = re.compile(r"^\+?[0-9 .\-]{6,20}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME_MAX = 80
# kept for callers that predate ``consent.py``, which holds every version of the text
CONSENT_TEXT_VERSION = CURRENT_CONSENT_VERSION
CONSENT_TEXT = current_consent_text()


@dataclass(frozen=True)
class BeneficiaryInput:
    """Validated beneficiary data."""

    first_name: str
    last_name: str
    birth_date: date
    postal_code: str
    phone: str | None = None
    email: str | None = None
    need: str = ""

    @property
    def identity_key(self) -> str:
        """What duplicate detection compares: normalised names and birth date."""
        return identity_key(self.last_name, self.first_name, self.birth_date)


def identity_key(last_name: str, first_name: str, birth_date: date) -> str:
    """``last|first|YYYY-MM-DD`` with accents, case, hyphens and spaces removed."""
    return f"{normalise_name(last_name)}|{normalise_name(first_name)}|{birth_date.isoformat()}"


def _name(raw: Any, field: str, label: str) -> str:
    if not isinstance(raw, str) or not clean_name(raw):
        raise InvalidInput(f"{label} est obligatoire.", code="missing_field", field=field)
    value = clean_name(check_name_characters(raw, field=field, label=label))
    if len(value) > NAME_MAX or not normalise_name(value):
        raise InvalidInput(f"{label} n'est pas valide.", field=field)
    return value


def parse_birth_date(raw: Any) -> date:
    """Parse ``YYYY-MM-DD`` or ``DD/MM/YYYY``; refuse impossible birth dates."""
    if isinstance(raw, date):
        value = raw
    elif isinstance(raw, str):
        text = raw.strip()
        try:
            if re.fullmatch(r"\d{2}/\d{2}/\d{4}", text):
                d, m, y = text.split("/")
                value = date(int(y), int(m), int(d))
            else:
                value = date.fromisoformat(text)
        except ValueError as err:
            raise InvalidInput(
                "Date de naissance invalide (format attendu : JJ/MM/AAAA).",
                code="invalid_date", field="birth_date",
            ) from err
    else:
        raise InvalidInput("La date de naissance est obligatoire.", code="missing_field",
                           field="birth_date")
    if value > today() or value.year < 1900:
        raise InvalidInput("Date de naissance impossible.", code="invalid_date",
                           field="birth_date")
    return value


def _optional(raw: Any, pattern: re.Pattern[str], field: str, label: str) -> str | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if not isinstance(raw, str) or not pattern.match(raw.strip()):
        raise InvalidInput(f"{label} n'est pas valide.", field=field)
    return raw.strip()


def clean_beneficiary(data: dict[str, Any]) -> BeneficiaryInput:
    """Validate raw input; raise ``InvalidInput`` naming the field, or ``RuleRefused``."""
    if data.get("consent") is not True:
        raise RuleRefused(
            "Le consentement de la personne est obligatoire pour l'enregistrer.",
            code="consent_required", field="consent",
        )
    postal = data.get("postal_code")
    if not isinstance(postal, str) or not POSTAL_CODE.match(postal.strip()):
        raise InvalidInput("Le code postal doit compter 5 chiffres.", field="postal_code")
    need = data.get("need") or ""
    if not isinstance(need, str) or len(need) > 1000:
        raise InvalidInput("Le besoin exprimé est trop long (1000 caractères).", field="need")
    return BeneficiaryInput(
        first_name=first_name_case(_name(data.get("first_name"), "first_name", "Le prénom")),
        last_name=_name(data.get("last_name"), "last_name", "Le nom"),
        birth_date=parse_birth_date(data.get("birth_date")),
        postal_code=postal.strip(),
        phone=_optional(data.get("phone"), PHONE, "phone", "Le téléphone"),
        email=_optional(data.get("email"), EMAIL, "email", "L'adresse e-mail"),
        need=need.strip(),
    )


# --- The reporting categories (docs/reach.md) ---------------------------------------------

CATEGORY_FIELDS = {
    "gender": (Gender, "Le genre"),
    "social_status": (SocialStatus, "Le statut social"),
    "priority_area": (PriorityArea, "La résidence en QPV ou FRR"),
}


@dataclass(frozen=True)
class Categories:
    """Validated reporting categories of a person; ``None`` is "non communiqué"."""

    commune_insee: str
    gender: str | None = None
    social_status: str | None = None
    priority_area: str | None = None
    # codes of the programme's priority publics ticked for the person
    priority_publics: tuple[str, ...] = ()
    messages_consent: bool = False


def _category(raw: Any, choices: type[StrEnum], field: str, label: str) -> str | None:
    """A category code, ``None`` when not given; ``RuleRefused`` (``unknown_code``) for
    a code the reporting does not know."""
    if raw is None or raw == "":
        return None
    known = [c.value for c in choices]
    if not isinstance(raw, str) or raw not in known:
        raise RuleRefused(f"{label} : valeur inconnue (valeurs admises : {', '.join(known)}).",
                          code="unknown_code", field=field, details={"allowed": known})
    return raw


def clean_commune(postal_code: str, raw: Any) -> str:
    """The code INSEE of the person's commune, checked against the postal code.

    Without a choice, a postal code serving one commune gives it; one serving several
    raises ``RuleRefused`` (``commune_required``, the choices in ``details``). A commune
    the postal code does not serve raises ``RuleRefused`` (``commune_mismatch``); an
    unknown postal code ``InvalidInput`` (``unknown_postal_code``).
    """
    communes = communes_for_postal_code(postal_code)
    if not communes:
        raise InvalidInput("Ce code postal ne correspond à aucune commune : vérifiez-le.",
                           code="unknown_postal_code", field="postal_code")
    choices = [{"insee": c.insee, "name": c.name} for c in communes]
    if raw is None or raw == "":
        if len(communes) == 1:
            return communes[0].insee
        raise RuleRefused(f"Plusieurs communes ont le code postal {postal_code} : "
                          "choisissez celle de la personne.", code="commune_required",
                          field="commune_insee", details={"choices": choices})
    if not isinstance(raw, str) or raw.strip().upper() not in {c.insee for c in communes}:
        raise RuleRefused(f"Cette commune n'a pas le code postal {postal_code} : choisissez "
                          "l'une des communes proposées.", code="commune_mismatch",
                          field="commune_insee", details={"choices": choices})
    return raw.strip().upper()


def clean_categories(data: dict[str, Any], *, postal_code: str, phone: str | None,
                     email: str | None) -> Categories:
    """Validate the categories of ``data`` for a person of ``postal_code``.

    All are optional but the commune (``clean_commune``). The consent to messages
    (``messages_consent``, a boolean) needs a phone or an e-mail to send them to
    (``RuleRefused``, ``messages_need_contact``). Priority public codes are checked
    against the programme by the service.
    """
    values = {field: _category(data.get(field), choices, field, label)
              for field, (choices, label) in CATEGORY_FIELDS.items()}
    publics = data.get("priority_publics") or []
    if not isinstance(publics, list | tuple) or not all(isinstance(c, str) for c in publics):
        raise InvalidInput("Les publics prioritaires sont une liste de codes.",
                           field="priority_publics")
    consent = data.get("messages_consent") or False
    if not isinstance(consent, bool):
        raise InvalidInput("Le consentement aux messages est vrai ou faux.",
                           field="messages_consent")
    if consent and not (phone or email):
        raise RuleRefused("Pour recevoir des messages, la personne doit donner un téléphone "
                          "ou une adresse e-mail.", code="messages_need_contact",
                          field="messages_consent")
    return Categories(commune_insee=clean_commune(postal_code, data.get("commune_insee")),
                      priority_publics=tuple(dict.fromkeys(c.strip() for c in publics)),
                      messages_consent=consent, **values)
