"""Import venues from a file of the national standard (schéma « Lieux de médiation
numérique », e.g. the national map's export filtered on the territory) as applications
to review: each accepted row becomes a ``pending`` venue with its public profile, which
the label workflow then approves or refuses (``labels.change_label``).

``read_rows`` (``import_reading``) reads the file; ``plan_import`` checks every row and
says what would happen, writing nothing (the dry run); ``run_import`` plans again and
creates the accepted rows, all in the caller's one transaction: a row the database
refuses (a venue created meanwhile with the same identifier or SIRET) refuses the whole
import, and the caller's rollback leaves nothing half-written. Services flush, never
commit.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from stdnum.fr import siret as stdnum_siret

from passnum.audit.services import record
from passnum.auth.models import User
from passnum.auth.scope import ensure_may_import_venues
from passnum.communes.reference import communes_for_postal_code, sort_key
from passnum.core.clock import now
from passnum.core.formatting import agree, plural
from passnum.errors import Conflict, InvalidInput
from passnum.extensions import db
from passnum.programmes.models import Departement
from passnum.venues.hours import check_opening_hours
from passnum.venues.import_reading import ImportRow, read_rows, split_list
from passnum.venues.labels import unique_slug
from passnum.venues.models import LabelStatus, Venue
from passnum.venues.validation import (
    check_phone,
    check_position,
    check_postal_code,
    check_postal_code_in_departement,
)
from passnum.venues.vocabulary import PROFILE_LISTS, codes_of

__all__ = ["ImportPlan", "RowPlan", "plan_import", "read_rows", "run_import"]

# standard column: (venue attribute, maximum length)
TEXTS = {"nom": ("name", 160), "adresse": ("address", 300),
         "complement_adresse": ("address_complement", 160),
         "presentation_resume": ("summary", 280), "presentation_detail": ("description", 10_000),
         "autres_formations_labels": ("other_labels", 2000)}
URLS = {"site_web": "website", "prise_rdv": "booking_url", "fiche_acces_libre": "acceslibre_url"}
URL_MAX = 300
REF_MAX = 200
CHUNK = 500  # values per IN (…): well under every database's limit


@dataclass
class RowPlan:
    """What happens to one row: created (``venue_id``), to create, or refused with
    every reason found (in French)."""

    line: int
    name: str
    commune: str
    reasons: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict, repr=False)
    venue_id: int | None = None

    @property
    def accepted(self) -> bool:
        """True when the row has nothing to refuse."""
        return not self.reasons

    @property
    def result(self) -> str:
        """« créé », « à créer » or « refusée »."""
        if self.venue_id is not None:
            return "créé"
        return "à créer" if self.accepted else "refusée"


@dataclass
class ImportPlan:
    """Every row's fate in one département; ``done`` once the venues are created."""

    departement_code: str
    departement_name: str
    rows: list[RowPlan]
    done: bool = False

    @property
    def accepted(self) -> list[RowPlan]:
        """The rows that are (or would be) created."""
        return [row for row in self.rows if row.accepted]

    @property
    def refused(self) -> list[RowPlan]:
        """The rows refused, with their reasons."""
        return [row for row in self.rows if not row.accepted]

    def summary(self) -> str:
        """« 190 lieux seraient créés, 10 lignes refusées. » (« créés » once done)."""
        count = len(self.accepted)
        verb = agree(count, "créé") if self.done else agree(count, "serait créé",
                                                            "seraient créés")
        refused = len(self.refused)
        return (f"{plural(count, 'lieu', 'lieux')} {verb}, "
                f"{plural(refused, 'ligne')} {agree(refused, 'refusée')}.")


# --- what the database already holds ------------------------------------------------------


def name_key(name: str) -> str:
    """A venue name compared without case, accents, punctuation or repeated spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    letters = "".join(c if c.isalnum() else " " for c in decomposed
                      if not unicodedata.combining(c))
    return " ".join(letters.casefold().split())


def _chunks(values: Iterable[str]) -> Iterator[list[str]]:
    """``values`` (distinct) by ``CHUNK``."""
    items = sorted(set(values))
    for start in range(0, len(items), CHUNK):
        yield items[start:start + CHUNK]


@dataclass
class _Known:
    """Identifiers, SIRETs and (name, postal code) pairs already taken: by venues in the
    database, then by the file's earlier rows."""

    refs: set[str] = field(default_factory=set)
    sirets: set[str] = field(default_factory=set)
    names: set[tuple[str, str]] = field(default_factory=set)

    @classmethod
    def load(cls, rows: list[ImportRow]) -> _Known:
        """What the database holds that the file's rows could collide with."""
        known = cls()
        for chunk in _chunks(r.get("id") for r in rows if r.get("id")):
            known.refs.update(db.session.scalars(
                select(Venue.import_ref).where(Venue.import_ref.in_(chunk))))
        sirets = (s for r in rows if (s := _siret_of(r.get("pivot"))))
        for chunk in _chunks(sirets):
            known.sirets.update(db.session.scalars(
                select(Venue.siret).where(Venue.siret.in_(chunk))))
        for chunk in _chunks("".join(r.get("code_postal").split()) for r in rows):
            known.names.update((name_key(name), code) for name, code in db.session.execute(
                select(Venue.name, Venue.postal_code).where(Venue.postal_code.in_(chunk))))
        return known


# --- one row ------------------------------------------------------------------------------


def _siret_of(pivot: str) -> str | None:
    """The SIRET a ``pivot`` holds, when it is a valid one (else None: a SIREN, zeros)."""
    compact = "".join(pivot.split())
    if len(compact) == 14 and compact.isdigit() and compact.strip("0") \
            and stdnum_siret.is_valid(compact):
        return compact
    return None


def _checked(reasons: list[str], column: str, check: Callable[[], Any]) -> Any:
    """``check()``'s value, or None with its refusal noted against ``column``."""
    try:
        return check()
    except InvalidInput as err:
        reasons.append(f"« {column} » : {err.message}")
        return None


def _texts(row: ImportRow, values: dict[str, Any], reasons: list[str]) -> None:
    """Free texts: spaces tidied (line breaks kept in the long presentation), within their
    length; the name and the address are required."""
    for column, (attribute, limit) in TEXTS.items():
        raw = row.get(column)
        text = raw if attribute == "description" else " ".join(raw.split())
        if column in ("nom", "adresse") and not text:
            reasons.append(f"« {column} » manquant.")
        elif any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in text):
            reasons.append(f"« {column} » contient des caractères de contrôle (copie d'un "
                           "fichier binaire ?).")
        elif len(text) > limit:
            reasons.append(f"« {column} » dépasse {limit} caractères.")
        values[attribute] = text


def _commune(row: ImportRow, departement: Departement, values: dict[str, Any],
             reasons: list[str]) -> None:
    """Postal code in the département, and its commune in the reference: by code INSEE
    when given, else by name (case, accents and hyphens aside)."""
    typed, insee = row.get("commune"), row.get("code_insee")
    if not typed and not insee:
        reasons.append("« commune » manquante.")
    if not row.get("code_postal"):
        reasons.append("« code_postal » manquant.")
        return
    before = len(reasons)
    code = _checked(reasons, "code_postal", lambda: check_postal_code(row.get("code_postal")))
    if code is not None:
        _checked(reasons, "code_postal", lambda: check_postal_code_in_departement(
            code, departement.code, departement.name))
    if len(reasons) > before or not (typed or insee):
        return
    communes = communes_for_postal_code(code)
    if insee:
        found = next((c for c in communes if c.insee == insee), None)
        what = f"la commune de code INSEE {insee[:10]}"
    else:
        found = next((c for c in communes if _commune_key(c.name) == _commune_key(typed)),
                     None)
        what = f"la commune « {typed[:80]} »"
    if found is None:
        reasons.append(f"« commune » : {what} n'existe pas ou n'a pas le code postal {code}.")
        return
    values.update(postal_code=code, commune=found.name, commune_insee=found.insee)


def _commune_key(name: str) -> str:
    """A commune's name compared without case, accents, hyphens or apostrophes."""
    return name_key(sort_key(name))


def _contacts(row: ImportRow, values: dict[str, Any], reasons: list[str]) -> None:
    """Phone, first e-mail, web addresses, opening hours and position."""
    values["phone"] = _checked(reasons, "telephone", lambda: check_phone(row.get("telephone")))
    values["email"] = _email(row.get("courriels"), reasons)
    for column, attribute in URLS.items():
        values[attribute] = _url(column, row.get(column), reasons)
    values["opening_hours"] = _checked(reasons, "horaires",
                                       lambda: check_opening_hours(row.get("horaires")))
    position = _checked(reasons, "latitude",
                        lambda: check_position(row.get("latitude"), row.get("longitude")))
    values["latitude"], values["longitude"] = position or (None, None)


def _email(cell: str, reasons: list[str]) -> str:
    """The first address of ``courriels`` (the standard joins several with ``|``)."""
    addresses = split_list(cell)
    if not addresses:
        return ""
    try:
        return validate_email(addresses[0], check_deliverability=False).normalized
    except EmailNotValidError:
        reasons.append(f"« courriels » : l'adresse « {addresses[0]} » n'est pas une adresse "
                       "e-mail valide.")
        return ""


def _url(column: str, cell: str, reasons: list[str]) -> str:
    """The first web address of a cell: http or https, with a host."""
    urls = split_list(cell)
    if not urls:
        return ""
    parts = urlsplit(urls[0])
    if parts.scheme not in ("http", "https") or "." not in parts.netloc \
            or len(urls[0]) > URL_MAX or any(c.isspace() for c in urls[0]):
        reasons.append(f"« {column} » : « {urls[0][:80]} » n'est pas une adresse web valide "
                       "(https://…).")
        return ""
    return urls[0]


def _lists(row: ImportRow, values: dict[str, Any], reasons: list[str]) -> None:
    """Each multi-valued column mapped to the vocabulary's codes; an unknown value is a
    reason (the standard's exact words, case aside)."""
    for attribute, (column, words) in PROFILE_LISTS.items():
        codes, unknown = codes_of(split_list(row.get(column)), words)
        if unknown:
            listed = ", ".join(f"« {value[:60]} »" for value in unknown)
            words_ = agree(len(unknown), "valeur inconnue", "valeurs inconnues")
            reasons.append(f"« {column} » : {words_} {listed}.")
        values[attribute] = codes


def _identity(row: ImportRow, values: dict[str, Any], reasons: list[str],
              known: _Known) -> None:
    """The source's identifier, the SIRET (from ``pivot``), and duplicates: an identifier,
    a SIRET or a (name, postal code) already in the database or earlier in the file."""
    ref, source = row.get("id"), row.get("source")
    siret = _siret_of(row.get("pivot"))
    if len(ref) > REF_MAX or len(source) > REF_MAX:
        reasons.append(f"« id » ou « source » dépasse {REF_MAX} caractères.")
    if ref and ref in known.refs:
        reasons.append(f"Doublon : le lieu d'identifiant « {ref[:80]} » est déjà importé "
                       "(ou figure plus haut dans le fichier).")
    if siret and siret in known.sirets:
        reasons.append(f"« pivot » : le SIRET {siret} est déjà celui d'un lieu inscrit "
                       "(ou d'une ligne plus haut dans le fichier).")
    key = (name_key(values.get("name", "")), values.get("postal_code", ""))
    if key[0] and key[1] and key in known.names:
        reasons.append(f"Doublon : un lieu « {values['name']} » existe déjà au code postal "
                       f"{key[1]} (ou figure plus haut dans le fichier).")
    if ref:
        known.refs.add(ref)
    if siret:
        known.sirets.add(siret)
    if key[0] and key[1]:
        known.names.add(key)
    values.update(import_ref=ref or None, import_source=source or None, siret=siret)


def _plan_row(row: ImportRow, departement: Departement, known: _Known) -> RowPlan:
    """Check one row: every reason to refuse it, or the venue's values."""
    reasons: list[str] = []
    values: dict[str, Any] = {}
    _texts(row, values, reasons)
    _commune(row, departement, values, reasons)
    _contacts(row, values, reasons)
    _lists(row, values, reasons)
    _identity(row, values, reasons, known)
    return RowPlan(line=row.line, name=values["name"] or "—",
                   commune=values.get("commune") or row.get("commune") or "—",
                   reasons=reasons, values=values if not reasons else {})


# --- the import -------------------------------------------------------------------------


def plan_import(actor: User | None, departement: Departement,
                rows: list[ImportRow]) -> ImportPlan:
    """What importing ``rows`` into ``departement`` would do: each row to create, or
    refused with all its reasons. Writes nothing (the dry run).

    Raises ``Forbidden`` for roles other than manager and administrator, and
    ``departement_out_of_scope`` for a manager of another département (``actor`` None:
    the command line).
    """
    ensure_may_import_venues(actor, departement.id)
    known = _Known.load(rows)
    plans = [_plan_row(row, departement, known) for row in rows]
    return ImportPlan(departement.code, departement.name, plans)


def run_import(actor: User | None, departement: Departement,
               rows: list[ImportRow]) -> ImportPlan:
    """Plan again, then create every accepted row as a ``pending`` venue of
    ``departement`` with its profile; audited (``venue.created`` per venue, then
    ``venue.imported`` with the counts).

    All or nothing in the caller's transaction: the database refusing a row (a venue
    created meanwhile with the same identifier or SIRET) raises ``Conflict``
    (``import_conflict``) and the caller's rollback undoes every row. Raises as
    ``plan_import`` does.
    """
    plan = plan_import(actor, departement, rows)
    actor_id = actor.id if actor is not None else None
    at = now()
    try:
        for row in plan.accepted:
            venue = Venue(**row.values, slug=unique_slug(row.values["name"]),
                          departement_id=departement.id, label_status=LabelStatus.PENDING,
                          profile_updated_at=at)
            db.session.add(venue)
            db.session.flush()
            row.venue_id = venue.id
            record("venue.created", actor_id=actor_id, object_type="venue",
                   object_id=venue.id, details={"line": row.line,
                                                "import_ref": venue.import_ref,
                                                "departement_id": departement.id})
    except IntegrityError as err:
        raise Conflict("Un lieu du fichier a été enregistré entre-temps par ailleurs (même "
                       "identifiant ou même SIRET) : rien n'a été importé. Refaites la "
                       "vérification puis l'import.", code="import_conflict") from err
    plan.done = True
    record("venue.imported", actor_id=actor_id, object_type="departement",
           object_id=departement.id, details={"rows": len(plan.rows),
                                              "venues_created": len(plan.accepted),
                                              "rows_refused": len(plan.refused)})
    return plan
