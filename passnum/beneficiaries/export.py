"""Subject-access export (droit d'accès): everything passnum holds about one person.

``subject_access_data`` is a pure read: identity, contact, need, consent (with the text
agreed to), structure, booklets (with the free-text notes staff wrote about them) and
each voucher's fate, the messages sent to them (kind, channel, dates, status), and the
audit events about this person's records (action and date only: event details may name
staff or other people's vouchers). ``export_json`` turns it into JSON values;
``beneficiaries.pdf`` prints it.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import selectinload

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.consent import consent_text
from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.booklets.queries import booklet_state, voucher_state
from passnum.extensions import db
from passnum.messages.models import OutboxMessage
from passnum.redemptions.models import Redemption, RedemptionLine
from passnum.venues.models import Venue, Workshop, WorkshopBooking

EVENT_LABELS = {
    "beneficiary.created": "Fiche créée",
    "beneficiary.exported": "Données exportées (droit d'accès)",
    "booklet.issued": "Chéquier émis",
    "booklet.handed_out": "Chéquier remis",
    "booklet.printed": "Chéquier imprimé",
    "booklet.revoked": "Chéquier révoqué",
    "booklet.replaced": "Chéquier remplacé",
    "voucher.redeemed": "Chèque(s) encaissé(s)",
    "redemption.undone": "Encaissement annulé",
}


def subject_access_data(beneficiary: Beneficiary, *, at: datetime) -> dict[str, Any]:
    """What passnum holds about ``beneficiary`` on ``at``, as Python values."""
    booklets = list(db.session.scalars(
        select(Booklet).options(selectinload(Booklet.vouchers), selectinload(Booklet.programme))
        .where(Booklet.beneficiary_id == beneficiary.id).order_by(Booklet.issued_at)
    ))
    redeemed, redemption_ids = _redemptions_of([v.id for b in booklets for v in b.vouchers])
    structure = beneficiary.structure
    return {
        "generated_at": at,
        "beneficiary": {
            "id": beneficiary.id, "first_name": beneficiary.first_name,
            "last_name": beneficiary.last_name, "birth_date": beneficiary.birth_date,
            "postal_code": beneficiary.postal_code, "phone": beneficiary.phone,
            "email": beneficiary.email, "need": beneficiary.need or "",
            "duplicate_override_reason": beneficiary.duplicate_override_reason,
            "eligibility_override_reason": beneficiary.eligibility_override_reason,
            "created_at": beneficiary.created_at,
            "gender": beneficiary.gender,
            "social_status": beneficiary.social_status,
            "commune_insee": beneficiary.commune_insee,
            "priority_area": beneficiary.priority_area,
            "priority_publics": [{"code": p.code, "label": p.label}
                                 for p in beneficiary.priority_publics],
        },
        "consent": {
            "given_at": beneficiary.consent_at,
            "text_version": beneficiary.consent_text_version,
            "text": consent_text(beneficiary.consent_text_version),
            "messages_given_at": beneficiary.messages_consent_at,
        },
        "bookings": _bookings(beneficiary.id),
        "structure": {"id": structure.id, "name": structure.name,
                      "departement": structure.departement.code},
        "booklets": [_booklet(b, redeemed) for b in booklets],
        "events": _events(beneficiary.id, [b.id for b in booklets], redemption_ids),
        "messages": _messages(beneficiary.id),
    }


def _messages(beneficiary_id: int) -> list[dict[str, Any]]:
    """The messages sent (or to be sent) to the person: what, how, when, and where they
    stand; not their text, which only repeats the data above."""
    rows = db.session.execute(
        select(OutboxMessage.kind, OutboxMessage.channel, OutboxMessage.status,
               OutboxMessage.created_at, OutboxMessage.sent_at)
        .where(OutboxMessage.beneficiary_id == beneficiary_id).order_by(OutboxMessage.id)
    ).all()
    return [{"kind": kind, "channel": channel, "status": status, "created_at": created_at,
             "sent_at": sent_at} for kind, channel, status, created_at, sent_at in rows]


def _booklet(booklet: Booklet, redeemed: dict[int, tuple[datetime, str]]) -> dict[str, Any]:
    """One booklet of the person and the fate of each of its vouchers."""
    return {
        "number": booklet.number,
        "programme": booklet.programme.name,
        "status": booklet_state(booklet),
        "valid_from": booklet.valid_from,
        "expires_on": booklet.expires_on,
        "issued_at": booklet.issued_at,
        "handed_out_at": booklet.handed_out_at,
        "revoked_at": booklet.revoked_at,
        "revoke_reason": booklet.revoke_reason,
        "revoke_note": booklet.revoke_note or None,
        "duplicate_override_reason": booklet.duplicate_override_reason,
        "vouchers": [
            {
                "serial": v.serial,
                "status": voucher_state(v),
                "value_cents": v.value_cents,
                "expires_on": booklet.expires_on,
                "redeemed_at": redeemed[v.id][0] if v.id in redeemed else None,
                "venue": redeemed[v.id][1] if v.id in redeemed else None,
            }
            for v in booklet.vouchers
        ],
    }


def _bookings(beneficiary_id: int) -> list[dict[str, Any]]:
    """The workshop seats booked for the person."""
    rows = db.session.execute(
        select(WorkshopBooking, Workshop.title, Workshop.starts_at, Venue.name)
        .join(Workshop, Workshop.id == WorkshopBooking.workshop_id)
        .join(Venue, Venue.id == Workshop.venue_id)
        .where(WorkshopBooking.beneficiary_id == beneficiary_id)
        .order_by(WorkshopBooking.booked_at)
    ).all()
    return [
        {"workshop": title, "venue": venue, "starts_at": starts_at,
         "booked_at": booking.booked_at, "cancelled_at": booking.cancelled_at,
         "attended_at": booking.attended_at}
        for booking, title, starts_at, venue in rows
    ]


def _redemptions_of(voucher_ids: list[int]) -> tuple[dict[int, tuple[datetime, str]], set[int]]:
    """Live redemption (when, venue name) per voucher, and every redemption id touching
    them (undone ones too: their events concern the person)."""
    if not voucher_ids:
        return {}, set()
    rows = db.session.execute(
        select(RedemptionLine.voucher_id, RedemptionLine.undone_at, Redemption.id,
               Redemption.redeemed_at, Venue.name)
        .join(Redemption, Redemption.id == RedemptionLine.redemption_id)
        .join(Venue, Venue.id == Redemption.venue_id)
        .where(RedemptionLine.voucher_id.in_(voucher_ids))
    ).all()
    live = {voucher_id: (at, venue) for voucher_id, undone, _r, at, venue in rows
            if undone is None}
    return live, {row[2] for row in rows}


def _events(beneficiary_id: int, booklet_ids: list[int],
            redemption_ids: set[int]) -> list[dict[str, Any]]:
    """Audit events about the person, their booklets and the redemptions of their vouchers."""
    targets = [and_(AuditEvent.object_type == "beneficiary",
                    AuditEvent.object_id == str(beneficiary_id))]
    if booklet_ids:
        targets.append(and_(AuditEvent.object_type == "booklet",
                            AuditEvent.object_id.in_([str(i) for i in booklet_ids])))
    if redemption_ids:
        targets.append(and_(AuditEvent.object_type == "redemption",
                            AuditEvent.object_id.in_([str(i) for i in sorted(redemption_ids)])))
    rows = db.session.execute(
        select(AuditEvent.created_at, AuditEvent.action, AuditEvent.object_type,
               AuditEvent.object_id).where(or_(*targets)).order_by(AuditEvent.seq)
    ).all()
    return [{"at": at, "action": action, "label": EVENT_LABELS.get(action, action),
             "object_type": object_type, "object_id": object_id}
            for at, action, object_type, object_id in rows]


def export_json(value: Any) -> Any:
    """``value`` with dates and datetimes as ISO 8601 strings, for a JSON answer."""
    if isinstance(value, dict):
        return {key: export_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [export_json(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_filename(beneficiary_id: int, extension: str) -> str:
    """The download's name: the record's id, never the person's name."""
    return f"beneficiaire-{beneficiary_id}-donnees.{extension}"
