"""The subject-access export as a PDF (reportlab platypus): a pure renderer.

One person's data fits in a few pages, so a flowing document is simpler than drawing on
the canvas; the standard fonts print Windows-1252, other letters fall back
(``core.pdftext.printable``).
"""

from __future__ import annotations

from typing import Any, BinaryIO

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from passnum.beneficiaries.categories import (
    GENDER_LABELS,
    NOT_GIVEN,
    PRIORITY_AREA_LABELS,
    SOCIAL_STATUS_LABELS,
    label,
)
from passnum.booklets.models import REVOKE_REASON_LABELS
from passnum.booklets.queries import STATE_LABELS
from passnum.core.formatting import date_fr, datetime_fr, euros
from passnum.core.pdftext import markup
from passnum.messages.models import CHANNEL_LABELS, KIND_LABELS, STATUS_LABELS

# --- Layout ---------------------------------------------------------------------------
MARGIN = 16 * mm
TITLE = "Pass numérique — vos données personnelles"
INTRO = ("Document établi au titre du droit d'accès (article 15 du RGPD) : il reprend "
         "toutes les données que le Pass numérique conserve sur la personne.")
VOUCHER_HEADERS = ("N° de chèque", "État", "Valeur", "Expire le", "Encaissé le", "Lieu")
VOUCHER_WIDTHS = (38 * mm, 20 * mm, 18 * mm, 20 * mm, 28 * mm, 54 * mm)
EVENT_HEADERS = ("Date", "Opération", "Objet")
EVENT_WIDTHS = (32 * mm, 90 * mm, 56 * mm)
MESSAGE_HEADERS = ("Créé le", "Message", "Moyen", "État", "Envoyé le")
MESSAGE_WIDTHS = (30 * mm, 60 * mm, 20 * mm, 38 * mm, 30 * mm)
OBJECT_LABELS = {"beneficiary": "Fiche", "booklet": "Chéquier", "redemption": "Encaissement"}
GRID = TableStyle([
    ("FONT", (0, 0), (-1, -1), "Helvetica", 8),
    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
    ("GRID", (0, 0), (-1, -1), 0.3, colors.black),
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
])


class _Styles:
    """The paragraph styles of the document."""

    def __init__(self) -> None:
        """Derive the styles from reportlab's sample sheet."""
        sheet = getSampleStyleSheet()
        self.title = sheet["Title"]
        self.heading = sheet["Heading2"]
        self.text = ParagraphStyle("text", parent=sheet["BodyText"], fontSize=9, leading=12)
        self.cell = ParagraphStyle("cell", parent=self.text, fontSize=8, leading=10)


def _p(text: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain ``text`` (escaped: names may hold ``<`` or ``&``)."""
    return Paragraph(markup(text), style)


def _facts(rows: list[tuple[str, str]], styles: _Styles) -> Table:
    """A two-column label/value table."""
    table = Table([[_p(k, styles.cell), _p(v, styles.cell)] for k, v in rows],
                  colWidths=(45 * mm, 133 * mm))
    table.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("FONT", (0, 0), (0, -1), "Helvetica-Bold", 8)]))
    return table


def _grid(headers: tuple[str, ...], rows: list[list[str]], widths: tuple[float, ...],
          styles: _Styles) -> Table:
    """A ruled table with a repeated header row."""
    data = [[_p(h, styles.cell) for h in headers]]
    data += [[_p(cell, styles.cell) for cell in row] for row in rows]
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(GRID)
    return table


def _identity(data: dict[str, Any], styles: _Styles) -> list[Flowable]:
    """Identity, contact, need, structure and consent."""
    person, consent, structure = data["beneficiary"], data["consent"], data["structure"]
    return [
        Paragraph("Identité et coordonnées", styles.heading),
        _facts([
            ("Nom", person["last_name"]), ("Prénom", person["first_name"]),
            ("Date de naissance", date_fr(person["birth_date"])),
            ("Code postal", person["postal_code"]),
            ("Téléphone", person["phone"] or "non renseigné"),
            ("E-mail", person["email"] or "non renseigné"),
            ("Besoin exprimé", person["need"] or "non renseigné"),
            ("Dérogation au contrôle des doublons",
             person["duplicate_override_reason"] or "aucune"),
            ("Dérogation aux critères d'éligibilité",
             person["eligibility_override_reason"] or "aucune"),
            ("Genre", label(GENDER_LABELS, person["gender"])),
            ("Statut social", label(SOCIAL_STATUS_LABELS, person["social_status"])),
            ("Commune (code INSEE)", person["commune_insee"] or NOT_GIVEN),
            ("Résident QPV ou FRR", label(PRIORITY_AREA_LABELS, person["priority_area"])),
            ("Publics prioritaires",
             ", ".join(p["label"] for p in person["priority_publics"]) or "aucun"),
            ("Fiche créée le", datetime_fr(person["created_at"])),
            ("Structure", f"{structure['name']} (département {structure['departement']})"),
            ("N° de fiche", str(person["id"])),
        ], styles),
        Paragraph("Consentement", styles.heading),
        _facts([
            ("Recueilli le", datetime_fr(consent["given_at"])),
            ("Version du texte", consent["text_version"]),
            ("Texte accepté", consent["text"] or "texte non retrouvé"),
            ("Accord pour recevoir des messages",
             datetime_fr(consent["messages_given_at"]) if consent["messages_given_at"]
             else "non"),
        ], styles),
    ]


def _booklets(data: dict[str, Any], styles: _Styles) -> list[Flowable]:
    """Each booklet, then its vouchers."""
    flow: list[Flowable] = [Paragraph("Chéquiers et chèques", styles.heading)]
    if not data["booklets"]:
        flow.append(_p("Aucun chéquier.", styles.text))
    for booklet in data["booklets"]:
        revoked = ""
        if booklet["revoked_at"]:
            reason = REVOKE_REASON_LABELS.get(booklet["revoke_reason"], booklet["revoke_reason"])
            revoked = f" — révoqué le {datetime_fr(booklet['revoked_at'])} ({reason})"
        flow.append(_p(
            f"Chéquier n° {booklet['number']} ({booklet['programme']}) : "
            f"{STATE_LABELS.get(booklet['status'], booklet['status'])} — émis le "
            f"{datetime_fr(booklet['issued_at'])} — valable du {date_fr(booklet['valid_from'])} "
            f"au {date_fr(booklet['expires_on'])}{revoked}", styles.text))
        notes = [("Commentaire de révocation", booklet["revoke_note"]),
                 ("Dérogation au contrôle des doublons",
                  booklet["duplicate_override_reason"])]
        flow += [_p(f"{label} : {note}", styles.text) for label, note in notes if note]
        rows = [[v["serial"], STATE_LABELS.get(v["status"], v["status"]),
                 euros(v["value_cents"]), date_fr(v["expires_on"]),
                 datetime_fr(v["redeemed_at"]), v["venue"] or ""]
                for v in booklet["vouchers"]]
        flow += [_grid(VOUCHER_HEADERS, rows, VOUCHER_WIDTHS, styles), Spacer(1, 4 * mm)]
    return flow


def _bookings(data: dict[str, Any], styles: _Styles) -> list[Flowable]:
    """The workshop seats booked for the person."""
    flow: list[Flowable] = [Paragraph("Ateliers réservés", styles.heading)]
    for booking in data["bookings"]:
        fate = ""
        if booking["cancelled_at"]:
            fate = f" — annulée le {datetime_fr(booking['cancelled_at'])}"
        elif booking["attended_at"]:
            fate = f" — présence le {datetime_fr(booking['attended_at'])}"
        flow.append(_p(
            f"{booking['workshop']} ({booking['venue']}), le "
            f"{datetime_fr(booking['starts_at'])} — réservé le "
            f"{datetime_fr(booking['booked_at'])}{fate}", styles.text))
    if not data["bookings"]:
        flow.append(_p("Aucune réservation.", styles.text))
    return flow


def _events(data: dict[str, Any], styles: _Styles) -> list[Flowable]:
    """The journal of operations on the person's records."""
    rows = [[datetime_fr(e["at"]), e["label"],
             f"{OBJECT_LABELS.get(e['object_type'], e['object_type'])} {e['object_id']}"]
            for e in data["events"]]
    return _table_section("Historique des opérations", EVENT_HEADERS, rows, EVENT_WIDTHS,
                          "Aucune opération enregistrée.", styles)


def _messages(data: dict[str, Any], styles: _Styles) -> list[Flowable]:
    """The messages sent to the person (kind, channel, dates, status)."""
    rows = [[datetime_fr(m["created_at"]), KIND_LABELS.get(m["kind"], m["kind"]),
             CHANNEL_LABELS.get(m["channel"], m["channel"]),
             STATUS_LABELS.get(m["status"], m["status"]), datetime_fr(m["sent_at"])]
            for m in data["messages"]]
    return _table_section("Messages envoyés", MESSAGE_HEADERS, rows, MESSAGE_WIDTHS,
                          "Aucun message.", styles)


def _table_section(heading: str, headers: tuple[str, ...], rows: list[list[str]],
                   widths: tuple[float, ...], empty: str, styles: _Styles) -> list[Flowable]:
    """A heading, then the rows as a grid, or ``empty`` when there are none."""
    flow: list[Flowable] = [Paragraph(heading, styles.heading)]
    if rows:
        flow.append(_grid(headers, rows, widths, styles))
    else:
        flow.append(_p(empty, styles.text))
    return flow


def render_export(data: dict[str, Any], out: BinaryIO) -> None:
    """Write the export ``data`` (from ``export.subject_access_data``) as an A4 PDF."""
    styles = _Styles()
    doc = SimpleDocTemplate(out, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN,
                            topMargin=MARGIN, bottomMargin=MARGIN, title=TITLE,
                            author="Pass numérique")
    flow: list[Flowable] = [
        Paragraph(markup(TITLE), styles.title),
        _p(INTRO, styles.text),
        _p(f"Document établi le {datetime_fr(data['generated_at'])}.", styles.text),
        *_identity(data, styles), *_booklets(data, styles), *_bookings(data, styles),
        *_messages(data, styles),
        *_events(data, styles),
    ]
    doc.build(flow)
