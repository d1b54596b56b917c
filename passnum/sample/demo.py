"""The demo data set: one programme, both départements, accounts for each role."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import click
from sqlalchemy import func, select

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.services import create_user
from passnum.communes.reference import communes_for_postal_code
from passnum.core.clock import PARIS, now, today
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.sample.accounts import SAMPLE_CODE_HELP, enable_sample_second_factor
from passnum.sample.mixes import PRIORITY_PUBLICS, PRIORITY_TARGET_PERCENT
from passnum.sample.profiles import VENUE_PROFILES
from passnum.sample.shapes import (
    DEPARTEMENTS,
    FULL_BENEFICIARIES,
    THEMES,
    VALIDITY_MONTHS,
    VOUCHER_VALUE_CENTS,
    VOUCHERS_PER_BOOKLET,
)
from passnum.venues.models import LabelStatus, Venue, VenueLabelChange, Workshop, WorkshopTheme

DEMO_PASSWORD = "passnum-demo"  # noqa: S105  (public demo accounts, documented)
DEMO_DOMAIN = "demo.passnum.fr"
PROGRAMME_NAME = "Pass numérique 78-92"
STRUCTURES = [
    ("78", "DGAS 78 – Territoire d'action départementale Boucles de Seine", "dgas",
     "Sartrouville", "78500"),
    ("78", "CCAS de Mantes-la-Jolie", "ccas", "Mantes-la-Jolie", "78200"),
    ("78", "Mission locale de Versailles", "mission_locale", "Versailles", "78000"),
    ("92", "DGAS 92 – Espace départemental d'actions sociales de Nanterre", "dgas",
     "Nanterre", "92000"),
    ("92", "CCAS de Gennevilliers", "ccas", "Gennevilliers", "92230"),
    ("92", "Association Lien numérique Boulogne", "association", "Boulogne-Billancourt",
     "92100"),
]
# SIRET and IBAN are fictitious but pass their checksums, as the application form asks.
VENUES = [
    ("78", "mediatheque-sartrouville", "Médiathèque de Sartrouville", "2 rue Jean Jaurès",
     "Sartrouville", "78500", "21785260781597", "FR7630004012340001234567862"),
    ("78", "espace-numerique-mantes", "Espace numérique du Val Fourré", "1 place Mendès France",
     "Mantes-la-Jolie", "78200", "31784335726503", "FR7610278061230002045670133"),
    ("92", "mediatheque-nanterre", "Médiathèque Pierre et Marie Curie",
     "8 rue des Anciennes Mairies", "Nanterre", "92000", "21924026440145",
     "FR7620041010050500123430288"),
    ("92", "centre-social-gennevilliers", "Centre social Aimé Césaire", "4 avenue de la Libération",
     "Gennevilliers", "92230", "31927407288189", "FR7616275001000800123456788"),
]
# Where the demo venues are (WGS84, approximate): typed positions, closer than their
# commune's centroid (docs/communes.md), which not every commune has.
VENUE_POSITIONS = {
    "mediatheque-sartrouville": (48.9372, 2.1644),
    "espace-numerique-mantes": (48.9958, 1.6934),
    "mediatheque-nanterre": (48.8924, 2.2071),
    "centre-social-gennevilliers": (48.9326, 2.2994),
}
DEMO_APPROVAL = "Candidature complète, services conformes à la charte."
# An application waiting for the Yvelines manager's decision. The demo keeps one
# account per role and département, so this venue has no agent account.
PENDING_APPLICATION: dict[str, Any] = {
    "slug": "connexions-solidaires-poissy", "name": "Association Connexions solidaires",
    "address": "12 rue de la Gare", "postal_code": "78300", "commune": "Poissy",
    "siret": "45321098100016", "iban": "FR7630003036900005011223395",
    "legal_representative": "Claire Dupont, présidente",
    "mediation_services": ["outils_quotidien", "demarches"],
    "summary": "Initiation au smartphone, démarches en ligne, permanences le mercredi.",
    "phone": "+33139000000",
}
ALLOCATION_PER_STRUCTURE = 200
# the convention's priority publics (docs/reach.md) and its target share:
# sample.mixes.PRIORITY_PUBLICS and PRIORITY_TARGET_PERCENT, shared with ``seed``


def demo_accounts() -> list[tuple[str, str]]:
    """The demo logins and what they are, as printed by ``make run``."""
    return [
        (f"admin@{DEMO_DOMAIN}", "administrateur du syndicat"),
        (f"manager78@{DEMO_DOMAIN}", "gestionnaire DGAS des Yvelines"),
        (f"manager92@{DEMO_DOMAIN}", "gestionnaire DGAS des Hauts-de-Seine"),
        (f"issuer78@{DEMO_DOMAIN}", "travailleur social, DGAS 78"),
        (f"issuer92@{DEMO_DOMAIN}", "travailleur social, DGAS 92"),
        (f"venue78@{DEMO_DOMAIN}", "agent de la Médiathèque de Sartrouville"),
        (f"venue92@{DEMO_DOMAIN}", "agent de la Médiathèque de Nanterre"),
    ]


class DemoRefused(RuntimeError):
    """The database already holds data that is not the demo's."""


def _has_other_data() -> bool:
    counts = [db.session.scalar(select(func.count()).select_from(m))
              for m in (Programme, Structure, Venue, User)]
    return any(counts)


def load_demo(day: date | None = None) -> bool:
    """Load the demo set once; return False when it is already there.

    The programme spans four years around ``day`` (today) so that issuing works the day
    the demo is tried. Raises ``DemoRefused`` on a database holding other data.
    """
    if db.session.scalar(select(User.id).where(User.email == f"admin@{DEMO_DOMAIN}")):
        return False
    if _has_other_data():
        raise DemoRefused("La base contient déjà des données : démo non chargée.")
    day = day or today()
    programme = Programme(
        name=PROGRAMME_NAME, starts_on=date(day.year - 2, 1, 1), ends_on=date(day.year + 1, 12, 31),
        target_beneficiaries=FULL_BENEFICIARIES,
        budget_cents=FULL_BENEFICIARIES * VOUCHERS_PER_BOOKLET * VOUCHER_VALUE_CENTS,
        vouchers_per_booklet=VOUCHERS_PER_BOOKLET, voucher_value_cents=VOUCHER_VALUE_CENTS,
        validity_months=VALIDITY_MONTHS, priority_target_percent=PRIORITY_TARGET_PERCENT,
        priority_publics=[PriorityPublic(code=code, label=text, position=n)
                          for n, (code, text) in enumerate(PRIORITY_PUBLICS, 1)],
    )
    db.session.add(programme)
    deps = {}
    for code, name, target in DEPARTEMENTS:
        deps[code] = Departement(code=code, name=name)
        db.session.add(deps[code])
        db.session.add(ProgrammeQuota(programme=programme, departement=deps[code],
                                      target_beneficiaries=target, booklet_quota=target,
                                      budget_cents=target * programme.booklet_value_cents))
    structures = []
    for code, name, kind, commune, postal in STRUCTURES:
        structure = Structure(name=name, kind=kind, departement=deps[code], commune=commune,
                              postal_code=postal)
        structures.append(structure)
        db.session.add(structure)
        db.session.add(Allocation(programme=programme, structure=structure,
                                  booklets_allocated=ALLOCATION_PER_STRUCTURE))
    venues = _demo_venues(deps)
    db.session.flush()
    _demo_users(deps, structures, venues)
    _demo_application(deps["78"])
    record("demo.loaded", actor_id=None, object_type="programme", object_id=programme.id)
    return True


def commune_insee(postal_code: str, name: str) -> str:
    """The code INSEE of the commune ``name`` among those of ``postal_code``."""
    return next(c.insee for c in communes_for_postal_code(postal_code) if c.name == name)


def _demo_venues(deps: dict[str, Departement]) -> list[Venue]:
    themes = [WorkshopTheme(name=name) for name in THEMES]
    db.session.add_all(themes)
    venues = []
    start = datetime.combine(today(), time(9, 30), PARIS)
    for i, (code, slug, name, address, commune, postal, siret, iban) in enumerate(VENUES):
        latitude, longitude = VENUE_POSITIONS[slug]
        venue = Venue(slug=slug, name=name, departement=deps[code], address=address,
                      commune=commune, postal_code=postal, siret=siret, iban=iban,
                      commune_insee=commune_insee(postal, commune), latitude=latitude,
                      longitude=longitude,
                      legal_representative="Direction de l'établissement",
                      **VENUE_PROFILES[slug], profile_updated_at=now(),
                      label_status=LabelStatus.ACTIVE, label_changed_at=now(),
                      label_reason=DEMO_APPROVAL, charter_accepted_at=now())
        venues.append(venue)
        db.session.add(venue)
        db.session.add(VenueLabelChange(venue=venue, from_status=LabelStatus.PENDING,
                                        to_status=LabelStatus.ACTIVE, reason=DEMO_APPROVAL,
                                        changed_at=now()))
        for j, theme in enumerate(themes):
            starts = start + timedelta(days=j * 3 + i, hours=(j % 2) * 4)
            db.session.add(Workshop(venue=venue, theme=theme, title=theme.name,
                                    starts_at=starts, duration_minutes=120, capacity=10 + 2 * j,
                                    price_vouchers=1 + (j % 3)))
    return venues


def _demo_application(dep: Departement) -> None:
    """A venue whose application waits for a decision, as the online form leaves it."""
    venue = Venue(**PENDING_APPLICATION, departement=dep, label_status=LabelStatus.PENDING,
                  commune_insee=commune_insee(PENDING_APPLICATION["postal_code"],
                                              PENDING_APPLICATION["commune"]),
                  charter_accepted_at=now(), profile_updated_at=now())
    db.session.add(venue)
    db.session.flush()
    record("venue.applied", actor_id=None, object_type="venue", object_id=venue.id,
           details={"departement_id": dep.id, "siret": venue.siret})


def _demo_users(deps: dict[str, Departement], structures: list[Structure],
                venues: list[Venue]) -> None:
    scopes = [
        ("admin", Role.ADMIN, {}),
        ("manager78", Role.MANAGER, {"departement_id": deps["78"].id}),
        ("manager92", Role.MANAGER, {"departement_id": deps["92"].id}),
        ("issuer78", Role.ISSUER, {"structure_id": structures[0].id}),
        ("issuer92", Role.ISSUER, {"structure_id": structures[3].id}),
        ("venue78", Role.VENUE_AGENT, {"venue_id": venues[0].id}),
        ("venue92", Role.VENUE_AGENT, {"venue_id": venues[2].id}),
    ]
    for name, role, scope in scopes:
        user = create_user(email=f"{name}@{DEMO_DOMAIN}", password=DEMO_PASSWORD,
                           role=role.value, full_name=f"Démo {name}", **scope)
        # each demo venue's agent is its lead, who manages the venue's other accounts
        user.is_venue_lead = role == Role.VENUE_AGENT
        if role in (Role.ADMIN, Role.MANAGER):
            enable_sample_second_factor(user)


def print_logins() -> None:
    """Print the demo logins."""
    click.echo(f"Comptes de démonstration (mot de passe : {DEMO_PASSWORD}) :")
    for email, what in demo_accounts():
        click.echo(f"  {email:<32} {what}")
    click.echo(SAMPLE_CODE_HELP)

