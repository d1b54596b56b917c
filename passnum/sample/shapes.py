"""What the generated data sets share: the programme's shape, people's names and
communes, and the calendar of issues (a ramp-up, then a plateau, weekdays only)."""

from __future__ import annotations

import calendar
import random
from datetime import UTC, date, datetime, time, timedelta

from passnum.core.clock import PARIS

DEPARTEMENTS = [
    # code, name, target beneficiaries (36,000 in all)
    ("78", "Yvelines", 20_000),
    ("92", "Hauts-de-Seine", 16_000),
]
FULL_BENEFICIARIES = sum(target for _code, _name, target in DEPARTEMENTS)
VOUCHERS_PER_BOOKLET = 10
VOUCHER_VALUE_CENTS = 1000
VALIDITY_MONTHS = 12
RAMP_UP_MONTHS = 9
SAME_DEPARTEMENT_VENUE = 0.85  # share of redemptions at a venue of the person's département
WORKSHOP_EVERY_DAYS = 14
THEMES = [
    "Premiers pas sur ordinateur",
    "Utiliser son smartphone",
    "Démarches administratives en ligne",
    "Messagerie et sécurité en ligne",
    "Rechercher un emploi en ligne",
]
FIRST_NAMES = ["Camille", "Léa", "Manon", "Chloé", "Inès", "Sarah", "Fatou", "Aïcha",
               "Marie", "Nathalie", "Sylvie", "Isabelle", "Hélène", "Amina", "Julie",
               "Lucas", "Hugo", "Thomas", "Nicolas", "Mohamed", "Karim", "Jean", "Pierre",
               "Michel", "Philippe", "Alain", "Bernard", "Moussa", "Éric", "François"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit",
              "Durand", "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel",
              "Garcia", "David", "Bertrand", "Roux", "Vincent", "Fournier", "Morel",
              "Girard", "André", "Mercier", "Dupont", "Lambert", "Bonnet", "François",
              "Diallo", "Traoré", "Benali", "Nguyen", "Da Silva", "Haddad", "Kone"]
COMMUNES = {
    "78": [("Versailles", "78000"), ("Sartrouville", "78500"), ("Mantes-la-Jolie", "78200"),
           ("Saint-Quentin-en-Yvelines", "78180"), ("Poissy", "78300"),
           ("Les Mureaux", "78130"), ("Trappes", "78190"), ("Houilles", "78800")],
    "92": [("Nanterre", "92000"), ("Gennevilliers", "92230"),
           ("Boulogne-Billancourt", "92100"), ("Colombes", "92700"),
           ("Asnières-sur-Seine", "92600"), ("Clichy", "92110"), ("Bagneux", "92220"),
           ("Villeneuve-la-Garenne", "92390")],
}
NEEDS = ["Démarches en ligne", "Recherche d'emploi", "Premiers pas", "Smartphone", ""]


def add_months(day: date, months: int) -> date:
    """``day`` plus ``months`` calendar months, clamped to the month's last day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def issue_days(rng: random.Random, starts_on: date, months: int, day: date,
               count: int) -> list[date]:
    """``count`` sorted issue dates over ``months`` months from ``starts_on``, before
    ``day``: a ramp-up over the first months, then a plateau; weekdays only."""
    weights = [min(1.0, (m + 1) / RAMP_UP_MONTHS) * rng.uniform(0.85, 1.15)
               for m in range(months)]
    chosen = rng.choices(range(months), weights=weights, k=count)
    days = []
    for m in chosen:
        first = add_months(starts_on, m)
        last = min(add_months(first, 1) - timedelta(days=1), day - timedelta(days=1))
        issued = first + timedelta(days=rng.randrange((last - first).days + 1))
        while issued.weekday() >= 5:
            issued -= timedelta(days=1)
        days.append(max(issued, starts_on))
    return sorted(days)


def paris_instant(day: date, minutes: int) -> datetime:
    """UTC instant of ``day`` at ``minutes`` past midnight (under 24 h), Paris time."""
    return datetime.combine(day, time(minutes // 60, minutes % 60), PARIS).astimezone(UTC)
