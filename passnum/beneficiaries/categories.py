"""The categories a funder reports people by, as the national médiation-numérique
reporting names them: age band (derived from the birth date, never typed), genre,
statut social, commune (code INSEE), résident QPV/FRR and the programme's priority
publics. docs/reach.md says why each is collected.

Codes are stored (English, stable); the French labels are what the forms, the
indicators and the exports show. ``None`` in a column means "non communiqué".
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from typing import Any

from passnum.programmes.eligibility import age_on


class Gender(StrEnum):
    """Genre, optional."""

    FEMALE = "female"
    MALE = "male"


class SocialStatus(StrEnum):
    """Statut social, optional."""

    IN_SCHOOL = "in_school"
    UNEMPLOYED = "unemployed"
    EMPLOYED = "employed"
    RETIRED = "retired"


class PriorityArea(StrEnum):
    """Résident d'un quartier prioritaire (QPV) ou d'une commune France Ruralités
    Revitalisation (FRR), optional."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


class AgeBand(StrEnum):
    """Tranche d'âge, derived from the birth date on a given day."""

    UNDER_12 = "under_12"
    FROM_12_TO_17 = "12_17"
    FROM_18_TO_24 = "18_24"
    FROM_25_TO_39 = "25_39"
    FROM_40_TO_59 = "40_59"
    FROM_60_TO_69 = "60_69"
    FROM_70 = "70_plus"
    UNKNOWN = "unknown"


NOT_GIVEN = "non communiqué"

GENDER_LABELS = {Gender.FEMALE: "féminin", Gender.MALE: "masculin"}
SOCIAL_STATUS_LABELS = {
    SocialStatus.IN_SCHOOL: "scolarisé",
    SocialStatus.UNEMPLOYED: "sans emploi",
    SocialStatus.EMPLOYED: "en emploi",
    SocialStatus.RETIRED: "retraité",
}
PRIORITY_AREA_LABELS = {
    PriorityArea.YES: "oui",
    PriorityArea.NO: "non",
    PriorityArea.UNKNOWN: "ne sait pas",
}
AGE_BAND_LABELS = {
    AgeBand.UNDER_12: "moins de 12 ans",
    AgeBand.FROM_12_TO_17: "12 à 17 ans",
    AgeBand.FROM_18_TO_24: "18 à 24 ans",
    AgeBand.FROM_25_TO_39: "25 à 39 ans",
    AgeBand.FROM_40_TO_59: "40 à 59 ans",
    AgeBand.FROM_60_TO_69: "60 à 69 ans",
    AgeBand.FROM_70: "70 ans et plus",
    AgeBand.UNKNOWN: NOT_GIVEN,
}

# lower bound (age in whole years) of each band, oldest first (the indicators' SQL
# buckets ages by the same floors)
BAND_FLOORS = (
    (70, AgeBand.FROM_70),
    (60, AgeBand.FROM_60_TO_69),
    (40, AgeBand.FROM_40_TO_59),
    (25, AgeBand.FROM_25_TO_39),
    (18, AgeBand.FROM_18_TO_24),
    (12, AgeBand.FROM_12_TO_17),
    (0, AgeBand.UNDER_12),
)


def age_band(birth_date: date | None, day: date) -> AgeBand:
    """The band of a person born on ``birth_date`` on ``day`` (``UNKNOWN`` without a date)."""
    return band_of_age(None if birth_date is None else age_on(birth_date, day))


def band_of_age(age: int | None) -> AgeBand:
    """The band of an age in whole years (``UNKNOWN`` without one)."""
    if age is None:
        return AgeBand.UNKNOWN
    for floor, band in BAND_FLOORS:
        if age >= floor:
            return band
    return AgeBand.UNKNOWN


def label(labels: Mapping[Any, str], code: str | None) -> str:
    """The French label of ``code`` in ``labels`` (``non communiqué`` for ``None``)."""
    if code is None:
        return NOT_GIVEN
    return labels.get(code, NOT_GIVEN)
