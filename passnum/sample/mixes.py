"""Realistic category mixes for generated people (the demo and ``seed``).

Shaped on what Pass Numérique programmes report: people reached are mostly older (the
age bands skew towards 60 and over), about 55 % women, a social status that follows the
age, a commune chosen among the postal code's communes (the commune reference), about
25 % living in a QPV or an FRR commune, about 60 % in at least one of the programme's
priority publics, and a consent to messages for about 40 % of those who gave a phone.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from passnum.beneficiaries.categories import Gender, PriorityArea, SocialStatus
from passnum.communes.reference import communes_for_postal_code
from passnum.programmes.eligibility import age_on

# the programme's priority publics (code, label) and the convention's target share
PRIORITY_PUBLICS = (
    ("demandeur_d_emploi_peu_qualifie", "Demandeur d'emploi peu qualifié"),
    ("jeune_sans_qualification_16_25_ans", "Jeune sans qualification (16-25 ans)"),
    ("beneficiaire_des_minima_sociaux", "Bénéficiaire des minima sociaux"),
)
PRIORITY_TARGET_PERCENT = 60

# (lowest age, highest age, weight): the people reached are mostly older
AGES = ((14, 17, 2), (18, 24, 7), (25, 39, 12), (40, 59, 22), (60, 69, 24), (70, 92, 33))
GENDERS = ((Gender.FEMALE.value, 55), (Gender.MALE.value, 42), (None, 3))
AREAS = ((PriorityArea.YES.value, 25), (PriorityArea.NO.value, 58),
         (PriorityArea.UNKNOWN.value, 12), (None, 5))
PRIORITY_SHARE = 0.6
PHONE_SHARE = 0.7
EMAIL_SHARE = 0.25
MESSAGES_SHARE = 0.4  # of the people with a phone
STATUS_NOT_GIVEN = 0.06


@dataclass(frozen=True)
class Mix:
    """One person's drawn categories."""

    birth_date: date
    gender: str | None
    social_status: str | None
    commune_insee: str | None
    priority_area: str | None
    priority_publics: tuple[str, ...] = field(default=())
    phone: str | None = None
    email: str | None = None
    messages_consent: bool = False


def _weighted(rng: random.Random, choices: tuple[tuple[str | None, int], ...]) -> str | None:
    values, weights = zip(*choices, strict=True)
    return rng.choices(values, weights)[0]


def _status(rng: random.Random, age: int) -> str | None:
    """A social status that follows the age."""
    if rng.random() < STATUS_NOT_GIVEN:
        return None
    s = SocialStatus
    table: tuple[tuple[SocialStatus, int], ...]
    if age < 18:
        table = ((s.IN_SCHOOL, 95), (s.UNEMPLOYED, 5))
    elif age < 25:
        table = ((s.IN_SCHOOL, 35), (s.UNEMPLOYED, 40), (s.EMPLOYED, 25))
    elif age < 60:
        table = ((s.UNEMPLOYED, 50), (s.EMPLOYED, 45), (s.RETIRED, 5))
    elif age < 65:
        table = ((s.RETIRED, 55), (s.UNEMPLOYED, 25), (s.EMPLOYED, 20))
    else:
        table = ((s.RETIRED, 96), (s.EMPLOYED, 4))
    return _weighted(rng, tuple((status.value, weight) for status, weight in table))


def _publics(rng: random.Random, age: int, status: str | None) -> tuple[str, ...]:
    """About 60 % in at least one priority public, the young and the jobless more so."""
    if rng.random() >= PRIORITY_SHARE:
        return ()
    weights = [6 if status == SocialStatus.UNEMPLOYED else 2, 6 if age < 26 else 0.3, 4]
    first = rng.choices(range(len(PRIORITY_PUBLICS)), weights)[0]
    codes = {PRIORITY_PUBLICS[first][0]}
    if rng.random() < 0.2:
        codes.add(rng.choice(PRIORITY_PUBLICS)[0])
    return tuple(sorted(codes))


def draw(rng: random.Random, postal_code: str, day: date,
         birth_date: date | None = None) -> Mix:
    """A person reached on ``day`` living at ``postal_code``, drawn from ``rng`` (born
    on ``birth_date`` when given, else at an age drawn from ``AGES``)."""
    if birth_date is None:
        low, high, _weight = rng.choices(AGES, [weight for _l, _h, weight in AGES])[0]
        age = rng.randint(low, high)
        birth = (date(day.year - age - 1, day.month, min(day.day, 28))
                 + timedelta(days=rng.randrange(1, 365)))
    else:
        birth, age = birth_date, age_on(birth_date, day)
    status = _status(rng, age)
    communes = communes_for_postal_code(postal_code)
    phone = (f"06{rng.randrange(10 ** 8):08d}" if rng.random() < PHONE_SHARE else None)
    return Mix(
        birth_date=birth, gender=_weighted(rng, GENDERS), social_status=status,
        # the postal code's communes, the more populous the likelier
        commune_insee=rng.choices(communes, [c.population or 1 for c in communes])[0].insee
        if communes else None,
        priority_area=_weighted(rng, AREAS), priority_publics=_publics(rng, age, status),
        phone=phone,
        email=f"personne{rng.randrange(10 ** 6)}@example.org"
        if rng.random() < EMAIL_SHARE else None,
        messages_consent=phone is not None and rng.random() < MESSAGES_SHARE)
