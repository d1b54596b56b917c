"""Who may receive a booklet of a programme: a territory (postal codes) and a minimum age.

A pure rule on a programme and a person's postal code and birth date; the issuing
services apply it and a manager's recorded reason overrides it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from passnum.programmes.models import Programme

_SEPARATORS = re.compile(r"[\s,;]+")
_TERRITORY_ENTRY = re.compile(r"^[0-9]{2,5}$")


@dataclass(frozen=True)
class EligibilityProblem:
    """Why a person is outside the programme: a stable ``code`` and a French message."""

    code: str
    message: str


def territory_entries(text: str) -> list[str]:
    """The postal codes (5 digits) or their first digits (a département: 2 or 3) listed
    in ``text``, separated by spaces, commas or semicolons."""
    return [entry for entry in _SEPARATORS.split(text or "") if entry]


def invalid_territory_entries(text: str) -> list[str]:
    """The entries of ``text`` that are neither a postal code nor its first digits."""
    return [entry for entry in territory_entries(text) if not _TERRITORY_ENTRY.match(entry)]


def age_on(birth_date: date, day: date) -> int:
    """Full years of age on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month,
                                                                  birth_date.day))


def eligibility_problem(programme: Programme, *, postal_code: str, birth_date: date | None,
                        on: date) -> EligibilityProblem | None:
    """``None`` when the person may receive a booklet of ``programme`` on day ``on``."""
    entries = territory_entries(programme.eligible_postal_codes)
    if entries and not any(postal_code.startswith(entry) for entry in entries):
        return EligibilityProblem(
            "outside_territory",
            f"Le code postal {postal_code} est hors du territoire du programme "
            f"({', '.join(entries)}).")
    minimum = programme.minimum_age
    if minimum and (birth_date is None or age_on(birth_date, on) < minimum):
        return EligibilityProblem(
            "below_minimum_age", f"Le programme est réservé aux personnes d'au moins "
            f"{minimum} ans le jour de l'émission.")
    return None
