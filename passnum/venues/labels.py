"""Venue qualification: online application, label decisions, the venue's agent accounts.

Services flush, never commit: the caller owns the transaction. Scope is checked here:
a manager decides on the venues of their département, an administrator on all; a
venue's lead agent manages the other agent accounts of that venue only.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from passnum.audit.services import record
from passnum.auth.models import Role, User
from passnum.auth.scope import ensure_may_decide_label, is_agent_of, lead_venue_id
from passnum.auth.services import create_user, hash_password, normalise_email
from passnum.auth.sessions import end_sessions
from passnum.core.clock import now
from passnum.core.text import check_name_characters
from passnum.errors import Conflict, InvalidInput, NotFound, RuleRefused
from passnum.extensions import db
from passnum.messages.staff_notices import notify_label_decision
from passnum.programmes.models import Departement
from passnum.venues.models import LABEL_LABELS, LabelStatus, Venue, VenueLabelChange
from passnum.venues.profile_checks import check_codes, check_profile_phone, check_text
from passnum.venues.validation import (
    check_commune,
    check_iban,
    check_postal_code,
    check_postal_code_in_departement,
    check_siret,
)

PASSWORD_MIN = 12
REASON_MAX = 500
# field: (label in messages, maximum length)
TEXT_FIELDS = {
    "name": ("le nom du lieu", 160),
    "address": ("l'adresse", 300),
    "legal_representative": ("le représentant légal", 120),
}


@dataclass(frozen=True)
class LabelAction:
    """A decision on a label: the states it starts from, the state it leads to."""

    name: str
    label: str
    sources: tuple[LabelStatus, ...]
    target: LabelStatus


LABEL_ACTIONS = {
    action.name: action for action in (
        LabelAction("approve", "Approuver le label", (LabelStatus.PENDING,), LabelStatus.ACTIVE),
        LabelAction("suspend", "Suspendre le label", (LabelStatus.ACTIVE,),
                    LabelStatus.SUSPENDED),
        LabelAction("reactivate", "Réactiver le label", (LabelStatus.SUSPENDED,),
                    LabelStatus.ACTIVE),
        LabelAction("withdraw", "Retirer le label définitivement",
                    (LabelStatus.PENDING, LabelStatus.ACTIVE, LabelStatus.SUSPENDED),
                    LabelStatus.WITHDRAWN),
    )
}


# what an application holds before its label can be approved: a venue that applied
# online has it all; an imported one (imports.py) has none of the bank details yet
APPROVAL_REQUIREMENTS = {
    "siret": "le numéro SIRET",
    "iban": "l'IBAN",
    "legal_representative": "le représentant légal",
    "charter_accepted_at": "l'acceptation de la charte",
}


def missing_for_approval(venue: Venue) -> list[str]:
    """The attributes of ``APPROVAL_REQUIREMENTS`` that ``venue`` lacks."""
    return [name for name in APPROVAL_REQUIREMENTS if not getattr(venue, name)]


def _listed(words: list[str]) -> str:
    """``a``, ``a et b``, ``a, b et c``."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} et {words[-1]}"


def _ensure_complete(venue: Venue) -> None:
    """Raise ``RuleRefused`` (``application_incomplete``) when the venue lacks what
    approval requires."""
    missing = missing_for_approval(venue)
    if missing:
        raise RuleRefused(
            f"Impossible d'approuver ce lieu : son dossier est incomplet, il manque "
            f"{_listed([APPROVAL_REQUIREMENTS[name] for name in missing])}.",
            code="application_incomplete", details={"missing": missing})


def allowed_actions(status: str) -> list[LabelAction]:
    """The decisions that may be taken on a label in ``status``."""
    return [action for action in LABEL_ACTIONS.values() if status in action.sources]


# --- application ----------------------------------------------------------------------


def _text(values: dict[str, Any], name: str) -> str:
    """A required free-text value, spaces tidied, within its maximum length."""
    what, limit = TEXT_FIELDS[name]
    raw = values.get(name) or ""
    check_name_characters(raw, field=name, label=f"Le champ « {what} »")
    text = " ".join(raw.split())
    if not text:
        raise InvalidInput(f"Indiquez {what}.", code="value_required", field=name)
    if len(text) > limit:
        raise InvalidInput(f"Le champ « {what} » ne doit pas dépasser {limit} caractères.",
                           code="value_too_long", field=name)
    return text


def _departement(departement_id: Any) -> Departement:
    """The chosen département; ``InvalidInput`` when unknown."""
    dep = (db.session.get(Departement, departement_id)
           if isinstance(departement_id, int) and not isinstance(departement_id, bool)
           and 1 <= departement_id < 2**31 else None)
    if dep is None:
        raise InvalidInput("Choisissez le département du lieu dans la liste.",
                           code="departement_unknown", field="departement_id")
    return dep


def _check_password(password: str | None) -> str:
    """At least ``PASSWORD_MIN`` characters."""
    if len(password or "") < PASSWORD_MIN:
        raise InvalidInput(f"Le mot de passe doit compter au moins {PASSWORD_MIN} caractères.",
                           code="password_too_short", field="password")
    return password or ""


def _ensure_email_free(email: str | None) -> str:
    """The normalised e-mail, refused with ``email_taken`` when an account has it."""
    email = normalise_email(email or "")
    if email and db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("Un compte existe déjà avec cette adresse e-mail : connectez-vous, ou "
                       "choisissez une autre adresse.", code="email_taken", field="email")
    return email


def _siret_taken() -> Conflict:
    """The refusal for a SIRET that another venue already has."""
    return Conflict("Ce numéro SIRET est déjà celui d'un lieu inscrit. Si votre lieu a déjà "
                    "candidaté, connectez-vous avec le compte de la candidature.",
                    code="siret_taken", field="siret")


def slugify(name: str) -> str:
    """``Médiathèque de Sartrouville`` → ``mediatheque-de-sartrouville`` (≤ 60 chars)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-")
    return slug or "lieu"


def unique_slug(name: str) -> str:
    """A slug for ``name`` that no venue has yet (``-2``, ``-3``… appended)."""
    base = slugify(name)
    taken = set(db.session.scalars(select(Venue.slug).where(Venue.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    suffix = next(n for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)
    return f"{base}-{suffix}"


def _insert_venue(venue: Venue) -> None:
    """Insert in a savepoint: a concurrent twin's SIRET becomes ``siret_taken``."""
    try:
        with db.session.begin_nested():
            db.session.add(venue)
            db.session.flush()
    except IntegrityError as err:
        if db.session.scalar(select(Venue.id).where(Venue.siret == venue.siret)) is not None:
            raise _siret_taken() from err
        venue.slug = f"{slugify(venue.name)}-{secrets.token_hex(3)}"
        with db.session.begin_nested():
            db.session.add(venue)
            db.session.flush()


def _insert_lead(venue: Venue, *, email: str, password: str, full_name: str) -> User | None:
    """Create the applicant's account, the venue's lead agent; None when the address
    already has an account.

    The public form must not tell who has an account: an address in use gets the same
    answer as a new one (after the same checks of the e-mail and password, and as long
    a wait), no account is created, and the application's audit record says so to the
    manager who examines it.
    """
    try:
        with db.session.begin_nested():
            lead = create_user(email=email, password=password, role=Role.VENUE_AGENT.value,
                               full_name=full_name, venue_id=venue.id)
    except Conflict as err:
        if err.code != "email_taken":
            raise
        hash_password(password)  # the time a new account takes
        return None
    except IntegrityError:  # the same address registered at the same moment
        return None
    lead.is_venue_lead = True
    return lead


def apply_for_label(
    *, name: str, address: str, postal_code: str, commune_insee: str | None = None,
    departement_id: int, siret: str, legal_representative: str, iban: str,
    mediation_services: list[str], summary: str = "", phone: str = "",
    applicant_name: str, email: str, password: str, charter_accepted: bool,
) -> Venue:
    """Record a venue's application: a ``pending`` venue and its lead agent account
    (none when the e-mail already has one, answered alike: see ``_insert_lead``).

    The commune is one of the postal code's (``validation.check_commune``: the only one
    when the code serves a single commune and none is chosen); its name is the reference's.
    The services are the standard's (``vocabulary.MEDIATION_SERVICES``), one at least;
    the short presentation is optional. Both start the venue's public profile, whose
    phone is stored as the standard writes it (``+33…``).
    Raises ``InvalidInput`` naming the faulty field (text missing or too long, no or
    unknown service, bad postal code, commune, phone, SIRET or IBAN, unknown
    département, short password, charter not accepted) and ``Conflict``
    (``siret_taken``).
    """
    values = {"name": name, "address": address,
              "legal_representative": legal_representative}
    texts = {key: _text(values, key) for key in TEXT_FIELDS}
    services = check_codes(mediation_services, "mediation_services")
    if not services:
        raise InvalidInput("Cochez au moins un des services proposés par le lieu.",
                           code="services_required", field="mediation_services")
    summary = check_text(summary, "summary")
    postal_code, departement = check_postal_code(postal_code), _departement(departement_id)
    check_postal_code_in_departement(postal_code, departement.code, departement.name)
    commune = check_commune(postal_code, commune_insee)
    venue = Venue(
        **texts, postal_code=postal_code, commune=commune.name, commune_insee=commune.insee,
        phone=check_profile_phone(phone), mediation_services=services, summary=summary,
        departement_id=departement.id, siret=check_siret(siret),
        iban=check_iban(iban), label_status=LabelStatus.PENDING,
    )
    full_name = " ".join(check_name_characters(
        applicant_name or "", field="applicant_name", label="Votre nom").split())
    if not full_name or len(full_name) > 120:
        raise InvalidInput("Indiquez vos nom et prénom (120 caractères au plus).",
                           code="value_required", field="applicant_name")
    password = _check_password(password)
    if charter_accepted is not True:
        raise InvalidInput("Vous devez accepter la charte des lieux labellisés.",
                           code="charter_required", field="charter")
    if db.session.scalar(select(Venue.id).where(Venue.siret == venue.siret)) is not None:
        raise _siret_taken()
    email = normalise_email(email or "")
    venue.slug = unique_slug(venue.name)
    venue.charter_accepted_at = venue.profile_updated_at = now()
    _insert_venue(venue)
    lead = _insert_lead(venue, email=email, password=password, full_name=full_name)
    db.session.flush()
    record("venue.applied", actor_id=lead.id if lead else None, object_type="venue",
           object_id=venue.id, details={"departement_id": venue.departement_id,
                                        "siret": venue.siret,
                                        "lead_account": "created" if lead else "email_in_use"})
    return venue


def complete_application(actor: User, venue: Venue, *, siret: str, iban: str,
                         legal_representative: str, charter_signed: bool) -> Venue:
    """A manager completes a pending application that lacks what approval requires (a
    venue imported from a file): its SIRET, IBAN and legal representative as the venue
    gave them, and the charter the venue signed (on paper or by e-mail).

    Raises ``Forbidden`` / ``NotFound`` as label decisions do, ``RuleRefused``
    (``application_decided``) once the label is no longer pending, ``InvalidInput``
    (SIRET, IBAN, legal representative, ``charter_required``) and ``Conflict``
    (``siret_taken``).
    """
    ensure_may_decide_label(actor, venue)
    venue = _locked_venue(venue.id)
    if venue.label_status != LabelStatus.PENDING:
        raise RuleRefused("Le dossier se complète avant la décision sur le label.",
                          code="application_decided")
    values = {"siret": check_siret(siret), "iban": check_iban(iban),
              "legal_representative": _text({"legal_representative": legal_representative},
                                            "legal_representative")}
    if not charter_signed and venue.charter_accepted_at is None:
        raise InvalidInput("Cochez la case une fois la charte signée par le lieu.",
                           code="charter_required", field="charter")
    if db.session.scalar(select(Venue.id).where(Venue.siret == values["siret"],
                                                Venue.id != venue.id)) is not None:
        raise _siret_taken()
    changed = sorted(name for name, value in values.items() if getattr(venue, name) != value)
    for name, value in values.items():
        setattr(venue, name, value)
    if venue.charter_accepted_at is None:
        venue.charter_accepted_at = now()
        changed.append("charter_accepted_at")
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as err:  # the same SIRET registered at the same moment
        raise _siret_taken() from err
    record("venue.application_completed", actor_id=actor.id, object_type="venue",
           object_id=venue.id, details={"siret": venue.siret, "changed": changed})
    return venue


# --- label decisions ------------------------------------------------------------------


def check_reason(reason: str | None) -> str:
    """A non-empty reason of at most ``REASON_MAX`` characters, spaces tidied."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidInput("Indiquez le motif de la décision : il sera affiché au lieu.",
                           code="reason_required", field="reason")
    if len(reason) > REASON_MAX:
        raise InvalidInput(f"Le motif ne doit pas dépasser {REASON_MAX} caractères.",
                           code="reason_too_long", field="reason")
    return reason


def _locked_venue(venue_id: int) -> Venue:
    """Re-read the venue under a row lock: concurrent decisions take turns."""
    return db.session.execute(
        select(Venue).where(Venue.id == venue_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def change_label(actor: User, venue: Venue, action: str, reason: str) -> VenueLabelChange:
    """Approve, suspend, reactivate or withdraw a venue's label, with a reason; the
    venue's agents are told by e-mail (``messages.staff_notices``).

    Raises ``Forbidden`` for roles other than manager and admin, ``NotFound`` for a
    venue of another département, ``InvalidInput`` (``unknown_label_action``,
    ``reason_required``, ``reason_too_long``) and ``RuleRefused``
    (``illegal_label_transition``) when the label's current state does not allow the
    action, e.g. after another manager's decision on the same venue, or
    (``application_incomplete``) when approving a venue that lacks what
    ``APPROVAL_REQUIREMENTS`` lists (an imported venue, until completed).
    """
    ensure_may_decide_label(actor, venue)
    chosen = LABEL_ACTIONS.get(action)
    if chosen is None:
        raise InvalidInput("Décision inconnue.", code="unknown_label_action", field="action")
    reason = check_reason(reason)
    venue = _locked_venue(venue.id)
    current = LabelStatus(venue.label_status)
    if current not in chosen.sources:
        raise RuleRefused(
            f"Impossible : le label de ce lieu est « {LABEL_LABELS[current]} », "
            f"l'action « {chosen.label} » ne s'applique pas.",
            code="illegal_label_transition",
            details={"from": current.value, "action": chosen.name})
    if chosen.name == "approve":
        _ensure_complete(venue)
    change = VenueLabelChange(venue_id=venue.id, from_status=current.value,
                              to_status=chosen.target.value, reason=reason, actor_id=actor.id,
                              changed_at=now())
    venue.label_status, venue.label_reason = chosen.target.value, reason
    venue.label_changed_at = change.changed_at
    db.session.add(change)
    db.session.flush()
    record("venue.label_changed", actor_id=actor.id, object_type="venue", object_id=venue.id,
           details={"action": chosen.name, "from": current.value,
                    "to": chosen.target.value, "reason": reason})
    notify_label_decision(change)
    return change


# --- the venue's agent accounts -------------------------------------------------------


def add_venue_agent(actor: User, *, full_name: str, email: str, password: str) -> User:
    """Create an agent account at the lead agent's own venue.

    Raises ``Forbidden`` (``not_venue_lead``), ``InvalidInput`` (name, e-mail,
    ``password_too_short``) and ``Conflict`` (``email_taken``).
    """
    venue_id = lead_venue_id(actor)
    full_name = " ".join((full_name or "").split())
    if not full_name or len(full_name) > 120:
        raise InvalidInput("Indiquez les nom et prénom de l'agent (120 caractères au plus).",
                           code="value_required", field="full_name")
    password = _check_password(password)
    email = _ensure_email_free(email)
    agent = create_user(email=email, password=password, role=Role.VENUE_AGENT.value,
                        full_name=full_name, venue_id=venue_id, actor_id=actor.id)
    record("venue.agent_added", actor_id=actor.id, object_type="user", object_id=agent.id,
           details={"venue_id": venue_id})
    return agent


def set_agent_active(actor: User, agent: User, *, active: bool) -> User:
    """Deactivate or reactivate another agent account of the lead agent's venue.

    Raises ``Forbidden`` (``not_venue_lead``), ``NotFound`` for an account of another
    venue, ``RuleRefused`` (``own_account``) for the lead's own account.
    """
    venue_id = lead_venue_id(actor)
    if not is_agent_of(agent, venue_id):
        raise NotFound("Compte introuvable.")
    if agent.id == actor.id:
        raise RuleRefused("Vous ne pouvez pas désactiver votre propre compte.",
                          code="own_account")
    if agent.is_active_account == active:
        return agent
    agent.is_active_account = active
    db.session.flush()
    if not active:  # a later reactivation must not bring old sessions back
        end_sessions(agent, why="suspended", actor_id=actor.id)
    record("venue.agent_reactivated" if active else "venue.agent_deactivated",
           actor_id=actor.id, object_type="user", object_id=agent.id,
           details={"venue_id": venue_id})
    return agent
