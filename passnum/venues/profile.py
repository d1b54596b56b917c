"""A venue's public profile: checked, proposed by its agents, checked by a manager.

The profile is what the public directory, the venue's public page and the open-data
files show (``docs/venue-profile.md``). A venue agent's edit is a proposal
(``VenueProfileChange``) that changes nothing public until a manager of the venue's
département, or an administrator, approves it; those two may also edit the profile
directly, published at once. ``profile_updated_at`` (the standard's ``date_maj``) moves
only when a published value really changes.

Services flush, never commit: the caller owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_may_check_profile, ensure_may_propose_profile
from passnum.core.clock import now
from passnum.errors import InvalidInput, RuleRefused
from passnum.extensions import db
from passnum.messages.staff_notices import notify_profile_decision
from passnum.venues.hours import check_opening_hours
from passnum.venues.labels import check_reason
from passnum.venues.location import check_location
from passnum.venues.models import ProfileChangeStatus, Venue, VenueProfileChange
from passnum.venues.profile_checks import (
    check_address,
    check_codes,
    check_email,
    check_profile_phone,
    check_text,
    check_url,
)
from passnum.venues.queries import pending_change
from passnum.venues.vocabulary import PROFILE_LISTS, labels_of

# the Venue columns a profile sets, in the form's order
PROFILE_COLUMNS = (
    "address", "address_complement", "postal_code", "commune", "commune_insee", "latitude",
    "longitude", "phone", "email", "website", "booking_url", "acceslibre_url", "summary",
    "description", "opening_hours", *PROFILE_LISTS, "other_labels",
)


@dataclass(frozen=True)
class ProfileInput:
    """A profile as typed: text as given, each list as the codes ticked."""

    address: str = ""
    address_complement: str = ""
    postal_code: str = ""
    commune_insee: str | None = None
    latitude: str | float | None = None
    longitude: str | float | None = None
    phone: str = ""
    email: str = ""
    website: str = ""
    booking_url: str = ""
    acceslibre_url: str = ""
    summary: str = ""
    description: str = ""
    opening_hours: str = ""
    other_labels: str = ""
    typologies: list[str] = field(default_factory=list)
    mediation_services: list[str] = field(default_factory=list)
    specific_publics: list[str] = field(default_factory=list)
    specific_support: list[str] = field(default_factory=list)
    national_programmes: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    access_modes: list[str] = field(default_factory=list)
    support_modes: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, venue: Venue) -> ProfileInput:
        """The venue's published profile, as a form would send it back."""
        values = {name: getattr(venue, name) for name in PROFILE_COLUMNS
                  if name != "commune"}
        values["commune_insee"] = venue.commune_insee or ""
        for name in PROFILE_LISTS:
            values[name] = list(values[name] or [])
        return cls(**values)

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> ProfileInput:
        """A stored proposal's values (``check_profile``'s output) as input again."""
        return cls(**{name: value for name, value in values.items() if name != "commune"})


Step = tuple[str, Callable[[], dict[str, Any]]]


def _steps(data: ProfileInput, venue: Venue) -> list[Step]:
    """Each check of the profile, in the form's order: (field, check giving the
    values it stores)."""
    def location() -> dict[str, Any]:
        found = check_location(venue, postal_code=data.postal_code,
                               commune_insee=data.commune_insee, latitude=data.latitude,
                               longitude=data.longitude)
        return {"postal_code": found.postal_code, "commune": found.commune,
                "commune_insee": found.commune_insee, "latitude": found.latitude,
                "longitude": found.longitude}

    def one(name: str, check: Callable[[], Any]) -> Step:
        return name, lambda: {name: check()}

    def url(name: str) -> Step:
        return one(name, lambda: check_url(getattr(data, name), name))

    def codes(name: str) -> Step:
        return one(name, lambda: check_codes(getattr(data, name), name))

    return [
        one("address", lambda: check_address(data.address)),
        one("address_complement",
            lambda: check_text(data.address_complement, "address_complement")),
        ("postal_code", location),
        one("phone", lambda: check_profile_phone(data.phone)),
        one("email", lambda: check_email(data.email)),
        *(url(name) for name in ("website", "booking_url", "acceslibre_url")),
        one("summary", lambda: check_text(data.summary, "summary")),
        one("description", lambda: check_text(data.description, "description")),
        one("opening_hours", lambda: check_opening_hours(data.opening_hours)),
        *(codes(name) for name in PROFILE_LISTS),
        one("other_labels", lambda: check_text(data.other_labels, "other_labels")),
    ]


def check_profile(data: ProfileInput, *, venue: Venue) -> dict[str, Any]:
    """The profile's values as the Venue columns store them, checked and normalised.

    The address is required (the standard's ``adresse``); the phone is stored as
    ``+33XXXXXXXXX``; links are http or https, the accessibility sheet on acceslibre;
    the summary at most 280 characters; opening hours in OpenStreetMap's syntax; each
    list only codes of its vocabulary (``vocabulary.PROFILE_LISTS``); the location as
    ``location.check_location`` checks it for ``venue``. Raises ``InvalidInput`` naming
    the first faulty field, in the form's order.
    """
    values: dict[str, Any] = {}
    for _name, check in _steps(data, venue):
        values.update(check())
    return values


def profile_errors(data: ProfileInput, *, venue: Venue) -> list[InvalidInput]:
    """Every field's refusal at once (for a form to show them all), in the form's
    order; [] when ``check_profile`` accepts the profile."""
    errors: list[InvalidInput] = []
    for _name, check in _steps(data, venue):
        try:
            check()
        except InvalidInput as err:
            errors.append(err)
    return errors


# each column's French name, as the form and the manager's comparison show it
FIELD_LABELS: dict[str, str] = {
    "address": "Adresse", "address_complement": "Complément d'adresse",
    "postal_code": "Code postal", "commune": "Commune", "commune_insee": "Code INSEE",
    "latitude": "Latitude", "longitude": "Longitude", "phone": "Téléphone",
    "email": "Adresse e-mail", "website": "Site internet",
    "booking_url": "Prise de rendez-vous en ligne", "acceslibre_url": "Fiche Acceslibre",
    "summary": "Présentation courte", "description": "Présentation détaillée",
    "opening_hours": "Horaires d'ouverture", "typologies": "Typologie",
    "mediation_services": "Services", "specific_publics": "Publics spécifiquement adressés",
    "specific_support": "Prise en charge spécifique",
    "national_programmes": "Dispositifs nationaux", "labels": "Formations et labels",
    "access_modes": "Modalités d'accès", "support_modes": "Modalités d'accompagnement",
    "other_labels": "Autres formations et labels",
}


@dataclass(frozen=True)
class ComparedField:
    """One changed field of a proposal: its name, the published and proposed values as
    shown."""

    name: str
    label: str
    published: str
    proposed: str


def shown(name: str, value: Any) -> str:
    """A profile value as a page shows it: the vocabulary's words for a list, a decimal
    comma for a coordinate, "" for nothing."""
    if name in PROFILE_LISTS:
        return ", ".join(labels_of(value, PROFILE_LISTS[name][1]))
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return "" if value is None else str(value)


def compare(venue: Venue, values: dict[str, Any]) -> list[ComparedField]:
    """The fields a proposal changes, published and proposed side by side."""
    return [ComparedField(name, FIELD_LABELS[name], shown(name, _published(venue, name)),
                          shown(name, values[name]))
            for name in changed_fields(venue, values)]


def changed_fields(venue: Venue, values: dict[str, Any]) -> list[str]:
    """The profile columns whose value in ``values`` differs from the venue's."""
    return [name for name in PROFILE_COLUMNS
            if name in values and _published(venue, name) != values[name]]


def _published(venue: Venue, name: str) -> Any:
    """A published column as ``check_profile`` would give it (lists as lists)."""
    value = getattr(venue, name)
    return list(value or []) if name in PROFILE_LISTS else value


def _locked_venue(venue_id: int) -> Venue:
    """Re-read the venue under a row lock: proposals and decisions take turns."""
    return db.session.execute(
        select(Venue).where(Venue.id == venue_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one()


def _publish(actor: User, venue: Venue, values: dict[str, Any]) -> list[str]:
    """Write ``values`` to the venue's columns; ``profile_updated_at`` moves only when
    one really changed. Returns the changed columns."""
    changed = changed_fields(venue, values)
    for name in changed:
        setattr(venue, name, values[name])
    if changed:
        venue.profile_updated_at = now()
    db.session.flush()
    return changed


def propose_profile(actor: User, venue: Venue, data: ProfileInput) -> VenueProfileChange:
    """A venue agent proposes its venue's profile; nothing public changes until a
    manager approves it. A pending proposal is replaced by the newer one.

    Raises ``Forbidden`` (other roles), ``NotFound`` (another venue), ``InvalidInput``
    (see ``check_profile``) and ``RuleRefused`` (``profile_unchanged``: the proposal
    is the published profile).
    """
    ensure_may_propose_profile(actor, venue)
    values = check_profile(data, venue=venue)
    venue = _locked_venue(venue.id)
    changed = changed_fields(venue, values)
    pending = pending_change(venue.id)
    if not changed and pending is None:
        raise RuleRefused("La fiche proposée est identique à la fiche publiée : modifiez "
                          "au moins un champ.", code="profile_unchanged")
    change = pending or VenueProfileChange(venue_id=venue.id)
    change.values, change.submitted_by_id, change.submitted_at = values, actor.id, now()
    db.session.add(change)
    db.session.flush()
    record("venue.profile_proposed", actor_id=actor.id, object_type="venue",
           object_id=venue.id, details={"change_id": change.id, "fields": changed,
                                        "replaced": pending is not None})
    return change


def _decidable(actor: User, venue: Venue, change_id: int) -> tuple[Venue, VenueProfileChange]:
    """The venue (locked) and its pending proposal ``change_id``, for a manager.

    Raises ``Forbidden``, ``NotFound`` (venue out of scope, proposal of another venue)
    and ``RuleRefused`` (``profile_change_not_pending``: decided, or replaced meanwhile).
    """
    ensure_may_check_profile(actor, venue)
    venue = _locked_venue(venue.id)
    change = db.session.get(VenueProfileChange, change_id)
    if change is None or change.venue_id != venue.id:
        raise RuleRefused("Cette proposition n'existe plus : rechargez la page.",
                          code="profile_change_not_pending")
    db.session.refresh(change)
    if change.status != ProfileChangeStatus.PENDING:
        raise RuleRefused("Cette proposition a déjà été traitée : rechargez la page.",
                          code="profile_change_not_pending")
    return venue, change


def approve_profile_change(actor: User, venue: Venue, change_id: int) -> VenueProfileChange:
    """Publish a pending proposal: its values go to the venue's columns (checked again:
    the vocabularies or the communes may have moved), and the venue's agents are told.

    Raises as ``_decidable`` and ``InvalidInput`` when a value no longer passes.
    """
    venue, change = _decidable(actor, venue, change_id)
    values = check_profile(ProfileInput.from_values(change.values), venue=venue)
    changed = _publish(actor, venue, values)
    change.status, change.decided_by_id, change.decided_at = (
        ProfileChangeStatus.APPROVED, actor.id, now())
    db.session.flush()
    record("venue.profile_approved", actor_id=actor.id, object_type="venue",
           object_id=venue.id, details={"change_id": change.id, "fields": changed})
    notify_profile_decision(change)
    return change


def refuse_profile_change(actor: User, venue: Venue, change_id: int,
                          reason: str) -> VenueProfileChange:
    """Refuse a pending proposal with a reason, shown to the venue; the published
    profile stays. Raises as ``_decidable`` and ``InvalidInput`` (``reason_required``,
    ``reason_too_long``)."""
    reason = check_reason(reason)
    venue, change = _decidable(actor, venue, change_id)
    change.status, change.decided_by_id, change.decided_at = (
        ProfileChangeStatus.REFUSED, actor.id, now())
    change.reason = reason
    db.session.flush()
    record("venue.profile_refused", actor_id=actor.id, object_type="venue",
           object_id=venue.id, details={"change_id": change.id})
    notify_profile_decision(change)
    return change


def update_profile(actor: User, venue: Venue, data: ProfileInput) -> list[str]:
    """A manager of the venue's département, or an administrator, edits the profile
    directly: published at once. Returns the changed columns ([]: nothing changed,
    nothing recorded). A pending proposal stays for its own decision.

    Raises ``Forbidden``, ``NotFound`` and ``InvalidInput`` (see ``check_profile``).
    """
    ensure_may_check_profile(actor, venue)
    values = check_profile(data, venue=venue)
    venue = _locked_venue(venue.id)
    changed = _publish(actor, venue, values)
    if changed:
        record("venue.profile_updated", actor_id=actor.id, object_type="venue",
               object_id=venue.id, details={"fields": changed})
    return changed
