"""Plain ``make_*`` factories; they go through the services where one exists."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from stdnum import luhn

from passnum.auth import totp
from passnum.auth.models import Role, User
from passnum.auth.services import create_user
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.services import create_beneficiary
from passnum.booklets.models import Booklet
from passnum.booklets.services import issue_booklet
from passnum.core import clock
from passnum.core.clock import today
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.programmes.models import (
    Allocation,
    Departement,
    PriorityPublic,
    Programme,
    ProgrammeQuota,
    Structure,
)
from passnum.venues.models import LabelStatus, Venue, Workshop, WorkshopTheme

PASSWORD = "correct-horse-battery"
# the authenticator secret of test administrators and managers (second factor)
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
_seq = itertools.count(1)


def make_departement(code: str = "78", name: str | None = None) -> Departement:
    """A département (committed)."""
    dep = Departement(code=code, name=name or f"Département {code}")
    db.session.add(dep)
    db.session.commit()
    return dep


def make_programme(
    departements: list[Departement], *, quota: int = 100, starts_on: date | None = None,
    ends_on: date | None = None, vouchers_per_booklet: int = 10, validity_months: int = 12,
) -> Programme:
    """An open programme with a quota of ``quota`` booklets per département."""
    day = today()
    programme = Programme(
        name=f"Programme {next(_seq)}",
        starts_on=starts_on or date(day.year - 1, 1, 1),
        ends_on=ends_on or date(day.year + 2, 12, 31),
        target_beneficiaries=quota * len(departements), budget_cents=quota * 10_000,
        vouchers_per_booklet=vouchers_per_booklet, voucher_value_cents=1000,
        validity_months=validity_months,
    )
    db.session.add(programme)
    for dep in departements:
        db.session.add(ProgrammeQuota(programme=programme, departement=dep,
                                      target_beneficiaries=quota, budget_cents=quota * 10_000,
                                      booklet_quota=quota))
    db.session.commit()
    return programme


def make_structure(dep: Departement, programme: Programme | None = None, *,
                   allocation: int = 50, name: str | None = None) -> Structure:
    """A structure of ``dep`` with an allocation in ``programme``."""
    structure = Structure(name=name or f"Structure {next(_seq)}", kind="ccas",
                          departement=dep, commune="Commune", postal_code="78000")
    db.session.add(structure)
    if programme is not None:
        db.session.add(Allocation(programme=programme, structure=structure,
                                  booklets_allocated=allocation))
    db.session.commit()
    return structure


def valid_siret(n: int) -> str:
    """A SIRET that python-stdnum accepts, distinct for each ``n``."""
    siren = f"{700000000 + n:09d}"[:8]
    siren += luhn.calc_check_digit(siren)
    body = f"{siren}{n % 10000:04d}"
    return body + luhn.calc_check_digit(body)


def make_venue(dep: Departement, *, status: str = LabelStatus.ACTIVE) -> Venue:
    """A labelled venue of ``dep``; a pending one holds a complete application (SIRET,
    IBAN, legal representative, charter), so that it can be approved."""
    n = next(_seq)
    venue = Venue(slug=f"lieu-{n}", name=f"Lieu {n}", departement=dep, commune="Commune",
                  postal_code="78000", label_status=status)
    if status == LabelStatus.PENDING:
        venue.siret, venue.iban = valid_siret(n), "FR7630006000011234567890189"
        venue.legal_representative, venue.charter_accepted_at = "Camille Dupont", clock.now()
    db.session.add(venue)
    db.session.commit()
    return venue


def make_workshop(venue: Venue, *, price: int = 1, capacity: int = 10, days: int = 0,
                  cancelled: bool = False) -> Workshop:
    """A workshop of ``venue`` starting in a few minutes (or ``days`` from now)."""
    theme = db.session.scalar(select(WorkshopTheme)) or WorkshopTheme(name="Smartphone")
    workshop = Workshop(venue=venue, theme=theme, title="Atelier", duration_minutes=90,
                        capacity=capacity, price_vouchers=price,
                        starts_at=clock.now() + timedelta(days=days, minutes=5),
                        cancelled_at=clock.now() if cancelled else None)
    db.session.add(workshop)
    db.session.commit()
    return workshop


def make_user(role: Role | str, *, email: str | None = None, totp: bool = True,
              **scope: Any) -> User:
    """An account with role and scope, password ``PASSWORD``; administrators and
    managers have their authenticator app set up with ``TOTP_SECRET`` unless ``totp``
    is False."""
    with unit_of_work():
        user = create_user(email=email or f"user{next(_seq)}@example.org", password=PASSWORD,
                           role=str(role), **scope)
        if totp and str(role) in (Role.ADMIN, Role.MANAGER):
            user.totp_secret, user.totp_enabled_at = TOTP_SECRET, clock.now()
    return user


def fresh_code(user_id: int) -> str:
    """The current code of the account's authenticator app.

    Tests log the same account in several times within one 30-second step, which a
    person cannot do; the step already used is forgotten so that its code works again.
    """
    with unit_of_work():
        user = db.session.get(User, user_id)
        user.totp_last_step = None
        secret = user.totp_secret
    return totp.current_code(secret, clock.now())


SECOND_STEPS = ("/connexion/code", "/connexion/activation")
_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def login(client: Any, user: User | str, password: str = PASSWORD) -> Any:
    """Log ``client`` in as ``user`` (or the account of that e-mail) through the login
    form, second factor included; returns the last response."""
    if isinstance(user, str):
        user = db.session.scalar(select(User).where(User.email == user))
    user_id = user.id
    response = client.post("/connexion", data={"email": user.email, "password": password})
    return second_step(client, user_id, response)


def second_step(client: Any, user_id: int, response: Any) -> Any:
    """After the password step's ``response``: type the app's code (setting the app up
    first for an account without one), CSRF token included when the form has one."""
    location = (response.location or "") if response.status_code == 302 else ""
    step = next((p for p in SECOND_STEPS if location.split("?")[0].endswith(p)), None)
    if step is None:
        return response
    page = client.get(step)  # shows the enrolment secret, creating it on first call
    data = {"code": fresh_code(user_id)}
    if token := _CSRF.search(page.get_data(as_text=True)):
        data["csrf_token"] = token.group(1)
    return client.post(step, data=data)


PRIORITY_PUBLICS = (("low_skilled_jobseeker", "Demandeur d'emploi peu qualifié"),
                    ("young_unqualified", "Jeune sans qualification (16-25 ans)"),
                    ("minimum_income", "Bénéficiaire des minima sociaux"))


def make_priority_publics(programme: Programme, entries: tuple[tuple[str, str], ...] = (
        PRIORITY_PUBLICS), *, retired: tuple[str, ...] = ()) -> list[PriorityPublic]:
    """The programme's checklist of priority publics (codes in ``retired`` inactive)."""
    made = [PriorityPublic(programme_id=programme.id, code=code, label=text, position=n,
                           is_active=code not in retired)
            for n, (code, text) in enumerate(entries, 1)]
    db.session.add_all(made)
    db.session.commit()
    return made


def beneficiary_data(**over: Any) -> dict[str, Any]:
    """Valid beneficiary input."""
    n = next(_seq)
    data = {"first_name": "Camille", "last_name": f"Martin{chr(65 + n % 26)}{n}",
            "birth_date": "1958-04-12", "postal_code": "78500", "consent": True}
    data.update(over)
    return data


def make_beneficiary(actor: User, **over: Any) -> Beneficiary:
    """A beneficiary created by ``actor`` (an issuer)."""
    with unit_of_work():
        return create_beneficiary(actor, beneficiary_data(**over))


def issue(actor: User, beneficiary: Beneficiary, **kw: Any) -> Booklet:
    """Issue a booklet through the service, committed."""
    with unit_of_work():
        return issue_booklet(actor, beneficiary, **kw)


class World:
    """Two départements, a structure in each, an issuer in each, a manager in each."""

    def __init__(self, *, allocation: int = 50, quota: int = 100) -> None:
        self.d78 = make_departement("78", "Yvelines")
        self.d92 = make_departement("92", "Hauts-de-Seine")
        self.programme = make_programme([self.d78, self.d92], quota=quota)
        self.s78 = make_structure(self.d78, self.programme, allocation=allocation)
        self.s78b = make_structure(self.d78, self.programme, allocation=allocation)
        self.s92 = make_structure(self.d92, self.programme, allocation=allocation)
        self.issuer78 = make_user(Role.ISSUER, structure_id=self.s78.id)
        self.issuer78b = make_user(Role.ISSUER, structure_id=self.s78b.id)
        self.issuer92 = make_user(Role.ISSUER, structure_id=self.s92.id)
        self.manager78 = make_user(Role.MANAGER, departement_id=self.d78.id)
        self.manager92 = make_user(Role.MANAGER, departement_id=self.d92.id)
        self.admin = make_user(Role.ADMIN)
        self.venue78 = make_venue(self.d78)
        self.agent78 = make_user(Role.VENUE_AGENT, venue_id=self.venue78.id)
