"""One venue as one row of the national standard of the lieux de médiation numérique
(schéma v1.0.2, ``schemas/lieux-de-mediation-numerique-1.0.2.json``), and the rows
written as CSV (``/lieux.csv``) or as JSON (``/lieux.json``).

``lieu_row`` is the one place where a venue becomes the standard's values; the CSV, the
JSON and the data·inclusion export all start from it.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from datetime import date

from passnum.core.clock import PARIS
from passnum.core.formatting import spreadsheet_text
from passnum.venues.models import Venue
from passnum.venues.queries import venue_position
from passnum.venues.vocabulary import (
    FEES,
    LIEUX_COLUMNS,
    MULTIPLE_SEPARATOR,
    PROFILE_LISTS,
    TYPOLOGIES,
    labels_of,
)

# who collected the data (the standard's ``source``)
SOURCE = "passnum"
# ``pivot`` is required (a SIRET, RNA or RIDET); the national map's own files write
# fourteen zeros for a place whose number is not known
PIVOT_UNKNOWN = "00000000000000"
ITINERANCE = "Fixe"
SUMMARY_MAX = 280  # the standard's ``presentation_resume``
# the sentence that names the pass numérique in every venue's detailed presentation
LABEL_SENTENCE = ("Lieu labellisé pass numérique : ses ateliers numériques sont gratuits "
                  "avec les chèques du pass numérique, que remettent les services sociaux et "
                  "les structures partenaires.")

# every labelled venue runs the pass numérique's workshops, which teach the everyday
# digital tools: the service written for a venue that has listed none (the national
# map reads a place without services as one that "n'accueille pas de public")
DEFAULT_SERVICES = ["outils_quotidien"]

# the columns a person types freely: in the CSV, such a cell never starts a formula
FREE_TEXT = frozenset({
    "nom", "commune", "adresse", "complement_adresse", "presentation_resume",
    "presentation_detail", "autres_formations_labels",
})

# the standard's overseas prefixes (a French number 0590… is +590 590…)
_OVERSEAS = {"0590": "+590", "0690": "+590", "0594": "+594", "0694": "+594",
             "0596": "+596", "0696": "+596", "0262": "+262", "0692": "+262",
             "0693": "+262", "0269": "+262", "0639": "+262"}
_NOT_DIGIT = re.compile(r"\D")

Value = str | float | None
Row = dict[str, Value]


def standard_phone(phone: str) -> str | None:
    """``01 39 12 34 56`` → ``+33139123456``: the international form the standard's
    pattern asks for (no first zero, no spaces); None when there is no ten-digit
    French number."""
    digits = _NOT_DIGIT.sub("", phone or "")
    if len(digits) != 10 or not digits.startswith("0"):
        return None
    prefix = _OVERSEAS.get(digits[:4])
    return f"{prefix}{digits[1:]}" if prefix else f"+33{digits[1:]}"


def updated_on(venue: Venue) -> date:
    """The standard's ``date_maj`` (Europe/Paris day): the last change of the public
    profile, else the last label decision, else the venue's creation."""
    when = venue.profile_updated_at or venue.label_changed_at or venue.created_at
    return when.astimezone(PARIS).date()


def http_url(value: str | None) -> str | None:
    """``value`` when it is one web address (``http(s)://``, no space), else None: a
    link the national map cannot open is left out rather than published."""
    value = (value or "").strip()
    if re.fullmatch(r"https?://[^\s|]+\.[^\s|]+", value):
        return value
    return None


def email_address(value: str | None) -> str | None:
    """``value`` when it looks like one e-mail address, else None."""
    value = (value or "").strip()
    return value if re.fullmatch(r"[^@\s|,;]+@[^@\s|,;]+\.[^@\s|,;]+", value) else None


def presentation_detail(venue: Venue) -> str:
    """The venue's description followed by the sentence naming the pass numérique."""
    description = (venue.description or "").strip()
    return f"{description}\n\n{LABEL_SENTENCE}" if description else LABEL_SENTENCE


def _listed(venue: Venue, attribute: str) -> str | None:
    """The standard's values of one of the venue's lists, joined by ``|`` (None when
    empty). Typologies are written as their codes, which is what the standard reads."""
    _column, words = PROFILE_LISTS[attribute]
    codes = getattr(venue, attribute) or []
    if attribute == "mediation_services" and not codes:
        codes = DEFAULT_SERVICES
    if words is TYPOLOGIES:
        chosen = set(codes)
        values = [code for code in TYPOLOGIES if code in chosen]
    else:
        values = labels_of(codes, words)
    return MULTIPLE_SEPARATOR.join(values) or None


def _text(value: str | None) -> str | None:
    """Free text, trimmed; None when empty."""
    value = (value or "").strip()
    return value or None


def lieu_row(venue: Venue) -> Row:
    """The venue as the standard's row: every column of ``LIEUX_COLUMNS``, in its order;
    None where the venue has no value (an optional column left empty).

    Lists are the standard's exact values joined by ``|``; ``latitude``/``longitude``
    are the typed position or the commune's centroid; ``telephone`` is ``+33…``;
    ``frais_a_charge`` is "Gratuit sous condition" (the pass numérique's chèques).
    """
    position = venue_position(venue)
    row: Row = {
        "id": venue.slug,
        "pivot": venue.siret if venue.siret and venue.siret.isdigit() else PIVOT_UNKNOWN,
        "nom": _text(venue.name),
        "commune": _text(venue.commune),
        "code_postal": _text(venue.postal_code),
        "code_insee": _text(venue.commune_insee),
        "adresse": _text(venue.address),
        "complement_adresse": _text(venue.address_complement),
        "latitude": position[0] if position else None,
        "longitude": position[1] if position else None,
        "telephone": standard_phone(venue.phone),
        "courriels": email_address(venue.email),
        "site_web": http_url(venue.website),
        "horaires": _text(venue.opening_hours),
        "presentation_resume": _text((venue.summary or "")[:SUMMARY_MAX]),
        "presentation_detail": presentation_detail(venue),
        "source": SOURCE,
        "itinerance": ITINERANCE,
        "structure_parente": None,
        "date_maj": updated_on(venue).isoformat(),
        "frais_a_charge": FEES,
        "autres_formations_labels": _text(venue.other_labels),
        "fiche_acces_libre": http_url(venue.acceslibre_url),
        "prise_rdv": http_url(venue.booking_url),
    }
    for attribute, (column, _words) in PROFILE_LISTS.items():
        row[column] = _listed(venue, attribute)
    return {column: row.get(column) for column in LIEUX_COLUMNS}


# the values the standard requires (``date_maj``, ``id``, ``pivot`` are always given)
REQUIRED = ("nom", "commune", "code_postal", "adresse")


def is_publishable(row: Row) -> bool:
    """True when the row has every value the standard requires and a five-digit postal
    code: a venue lacking one (an address never typed) is left out of the files rather
    than making them invalid for the national map."""
    postal_code = row.get("code_postal")
    return (all(row.get(column) for column in REQUIRED) and isinstance(postal_code, str)
            and len(postal_code) == 5 and postal_code.isdigit())


def publishable_rows(venues: Iterable[Venue]) -> list[tuple[Venue, Row]]:
    """Each venue with its row, for the venues whose row ``is_publishable``."""
    pairs = ((venue, lieu_row(venue)) for venue in venues)
    return [(venue, row) for venue, row in pairs if is_publishable(row)]


def _csv_cell(column: str, value: Value) -> str:
    """A CSV cell: empty for None, numbers as written by Python (a dot for decimals),
    free text never read as a spreadsheet formula."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    return spreadsheet_text(value) if column in FREE_TEXT else value


def lieux_csv(rows: Iterable[Row]) -> str:
    """The rows as the standard's CSV: UTF-8 (no BOM), comma separated, the columns'
    names on the first line; cells holding a comma, a quote or a line break quoted."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(LIEUX_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(column, row.get(column)) for column in LIEUX_COLUMNS])
    return out.getvalue()


def lieux_json(rows: Iterable[Row]) -> list[Row]:
    """The rows as JSON objects: every column of the standard as a key, in its order,
    with the CSV's values (lists still ``|``-joined, so the same Table Schema validates
    both), ``null`` where the CSV cell is empty, and no spreadsheet guard (a program
    reads JSON)."""
    return [{column: row.get(column) for column in LIEUX_COLUMNS} for row in rows]
