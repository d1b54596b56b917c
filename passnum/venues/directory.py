"""The public directory of labelled venues: "near me" search, filters, and the public
venue page's reads.

A search names a commune (its name or a postal code, resolved with the commune
reference); the list is then sorted by the distance from that commune's centroid to each
venue (``queries.venue_position``: typed coordinates, else the venue's commune centroid).
Filters are plain GET parameters, never personal data: a standard service, "open now"
(the opening hours at the clock's now) and "with an upcoming workshop". Active venues
only; the directory is small (hundreds of venues), so filters run on the loaded rows,
one implementation for both databases.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from passnum.communes.reference import (
    Commune,
    commune,
    communes_for_postal_code,
    communes_named,
    normalise_postal_code,
    sort_key,
)
from passnum.errors import InvalidInput, NotFound
from passnum.extensions import db
from passnum.venues.hours import describe, is_open
from passnum.venues.models import LabelStatus, Venue, Workshop
from passnum.venues.queries import Position, distance_between, venue_position
from passnum.venues.vocabulary import MEDIATION_SERVICES

PLACE_MAX = 80  # characters of the "Commune ou code postal" field
PER_VENUE = 5  # upcoming workshops shown per venue in the list
PAGE_WORKSHOPS = 10  # on the venue's own page
DIGITS = re.compile(r"[\d\s]+")
SLUG = re.compile(r"[A-Za-z0-9_-]{1,80}")  # labels.slugify's, imported ones included


@dataclass(frozen=True)
class DirectoryFilters:
    """What the list is narrowed to: a service code of the standard, venues open now,
    venues with an upcoming workshop (all optional, combinable)."""

    service: str = ""
    open_now: bool = False
    with_workshop: bool = False

    @property
    def active(self) -> bool:
        """True when at least one filter narrows the list."""
        return bool(self.service or self.open_now or self.with_workshop)


@dataclass
class DirectorySearch:
    """A read of the directory's GET parameters: the place typed (``text``) and what it
    resolved to (one ``place``, several ``choices``, or a French ``message``), and the
    filters. Unusable input never raises: it becomes the messages shown."""

    text: str = ""
    place: Commune | None = None
    choices: list[Commune] = field(default_factory=list)
    message: str = ""
    filters: DirectoryFilters = DirectoryFilters()
    filter_message: str = ""


@dataclass(frozen=True)
class DirectoryEntry:
    """A venue as the directory lists it: its next workshops, its position (None:
    unknown), its distance from the searched commune (None: no search or no position)
    and its opening state in French ("" without usable hours)."""

    venue: Venue
    workshops: list[Workshop]
    position: Position | None
    distance_km: float | None
    opening: str


def check_place(text: str) -> Commune | list[Commune]:
    """The commune a person typed: a 5-digit postal code or a commune's name. Returns
    the commune, or the candidates when several match (a postal code serving several
    communes, a name several communes share). Raises ``InvalidInput`` (field ``lieu``):
    ``place_too_long``, ``postal_code_invalid`` (digits, but not five),
    ``place_unknown`` (no such postal code or name)."""
    typed = " ".join(text.split())
    if len(typed) > PLACE_MAX:
        raise InvalidInput(f"Tapez au plus {PLACE_MAX} caractères : le nom d'une commune ou "
                           "son code postal.", code="place_too_long", field="lieu")
    if DIGITS.fullmatch(typed):
        code = normalise_postal_code(typed)
        if code is None:
            raise InvalidInput("Un code postal compte cinq chiffres, par exemple 78000.",
                               code="postal_code_invalid", field="lieu")
        found = communes_for_postal_code(code)
        unknown = f"Aucune commune n'a le code postal {code}. Vérifiez-le, ou tapez le nom " \
                  "de la commune."
    else:
        found = communes_named(typed)
        unknown = f"Aucune commune ne s'appelle « {typed} ». Vérifiez l'orthographe, ou " \
                  "tapez le code postal."
    if not found:
        raise InvalidInput(unknown, code="place_unknown", field="lieu")
    return found[0] if len(found) == 1 else found


def read_search(args: Mapping[str, str]) -> DirectorySearch:
    """Read the directory's GET parameters: ``lieu`` (commune or postal code), ``insee``
    (a commune chosen among several), ``service``, ``ouvert=1``, ``atelier=1``."""
    search = DirectorySearch(text=" ".join(args.get("lieu", "").split())[:PLACE_MAX * 2])
    insee = args.get("insee", "").strip()
    try:
        if insee:
            search.place = commune(insee[:5]) if len(insee) <= 5 else None
            if search.place is None:
                raise InvalidInput("Cette commune est inconnue : tapez son nom ou son code "
                                   "postal.", code="place_unknown", field="lieu")
            search.text = search.place.name
        elif search.text:
            found = check_place(search.text)
            if isinstance(found, list):
                search.choices = found
            else:
                search.place = found
    except InvalidInput as err:
        search.message = err.message
    service = args.get("service", "").strip()
    if service and service not in MEDIATION_SERVICES:
        search.filter_message = "Ce service n'existe pas : choisissez-en un dans la liste."
        service = ""
    search.filters = DirectoryFilters(service=service, open_now=args.get("ouvert") == "1",
                                      with_workshop=args.get("atelier") == "1")
    return search


def origin_of(place: Commune | None) -> Position | None:
    """Where distances are measured from: the commune's centroid (None without one)."""
    if place is None or place.latitude is None or place.longitude is None:
        return None
    return place.latitude, place.longitude


def _upcoming(venue_ids: list[int], now_at: datetime) -> dict[int, list[Workshop]]:
    """The upcoming, not cancelled workshops of these venues, soonest first."""
    by_venue: dict[int, list[Workshop]] = {}
    if not venue_ids:
        return by_venue
    rows = db.session.scalars(
        select(Workshop).options(selectinload(Workshop.theme))
        .where(Workshop.venue_id.in_(venue_ids), Workshop.starts_at >= now_at,
               Workshop.cancelled_at.is_(None))
        .order_by(Workshop.starts_at, Workshop.id)
    )
    for workshop in rows:
        by_venue.setdefault(workshop.venue_id, []).append(workshop)
    return by_venue


def _kept(venue: Venue, workshops: list[Workshop], filters: DirectoryFilters,
          now_at: datetime) -> bool:
    """True when the venue passes every filter."""
    if filters.service and filters.service not in (venue.mediation_services or []):
        return False
    if filters.with_workshop and not workshops:
        return False
    return not filters.open_now or is_open(venue.opening_hours, now_at)


def search_directory(*, now_at: datetime, origin: Position | None = None,
                     filters: DirectoryFilters = DirectoryFilters(),
                     per_venue: int = PER_VENUE) -> list[DirectoryEntry]:
    """The active venues that pass ``filters`` at ``now_at``: nearest ``origin`` first
    (venues without a position last, by name) when given, else by commune and name."""
    venues = db.session.scalars(
        select(Venue).where(Venue.label_status == LabelStatus.ACTIVE)
        .order_by(Venue.commune, Venue.name, Venue.id)
    ).all()
    upcoming = _upcoming([v.id for v in venues], now_at)
    entries = [
        DirectoryEntry(venue, upcoming.get(venue.id, [])[:per_venue], venue_position(venue),
                       distance_between(origin, venue),
                       describe(venue.opening_hours, now_at))
        for venue in venues if _kept(venue, upcoming.get(venue.id, []), filters, now_at)
    ]
    if origin is not None:
        entries.sort(key=lambda e: (e.distance_km is None, e.distance_km or 0.0,
                                    sort_key(e.venue.name), e.venue.id))
    else:
        entries.sort(key=lambda e: (sort_key(e.venue.commune), sort_key(e.venue.name),
                                    e.venue.id))
    return entries


def public_venue(slug: str) -> Venue:
    """The venue with that slug if its label is active; ``NotFound`` otherwise (a
    pending, suspended or withdrawn venue has no public page)."""
    venue = (db.session.scalar(select(Venue).where(Venue.slug == slug))
             if SLUG.fullmatch(slug) else None)
    if venue is None or venue.label_status != LabelStatus.ACTIVE:
        raise NotFound("Ce lieu n'existe pas ou n'est plus labellisé.")
    return venue


def upcoming_workshops(venue: Venue, *, now_at: datetime,
                       limit: int = PAGE_WORKSHOPS) -> list[Workshop]:
    """The venue's next workshops (not cancelled), soonest first."""
    return _upcoming([venue.id], now_at).get(venue.id, [])[:limit]
