"""Messages to beneficiaries: the welcome at hand-out and the two reminders.

Only to a person who agreed to messages (``messages_consent_at``) and gave a way to
reach them: an e-mail when they gave an address, an SMS when they gave a mobile number
and SMS is configured (both when they gave both). Each message names its booklet and
ends with the person's stop link; none ever holds a voucher's manual code or link.

Each is queued once per booklet and event (the outbox's key):
``booklet.welcome:<id>`` at hand-out (or at issue, for a booklet issued to a named
person), in the transaction of the hand-out; ``workshop.booked:<booking id>:<time>``
when the desk books a first workshop after the welcome has left (before, the welcome
is written again with the booking instead); ``booklet.unused_30d:<id>`` when no chèque
is used 30 days after hand-out; ``booklet.expiring_30d:<id>`` 30 days before expiry while
chèques remain. The two reminders are jobs (``passnum.jobs``): each selects what is due
with one query, leaving out what was already queued, so running it again queues nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, delete, exists, literal, or_, select

from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet, BookletStatus
from passnum.core.clock import PARIS
from passnum.core.formatting import date_fr, distance_fr
from passnum.extensions import db
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.optout import public_url, stop_url
from passnum.messages.phones import to_e164
from passnum.messages.services import enqueue, render_message, sms_enabled
from passnum.venues.models import WorkshopBooking
from passnum.venues.queries import nearest_venues, upcoming_booking

WELCOME_VENUES = 3
UNUSED_AFTER_DAYS = 30
EXPIRY_NOTICE_DAYS = 30
# a job that did not run for a while (a stopped timer) still sends the unused-booklet
# reminder of booklets handed out during that many days before; older ones get none
CATCH_UP_DAYS = 7

WELCOME, UNUSED, EXPIRING = "booklet.welcome", "booklet.unused_30d", "booklet.expiring_30d"
BOOKED = "workshop.booked"
KINDS = {WELCOME: "booklet_welcome", UNUSED: "booklet_unused", EXPIRING: "booklet_expiring",
         BOOKED: "workshop_booked"}
TEMPLATES = {WELCOME: "booklet_welcome", UNUSED: "booklet_unused",
             EXPIRING: "booklet_expiring", BOOKED: "workshop_booked"}


@dataclass(frozen=True)
class Contact:
    """How to reach a person who agreed to messages."""

    beneficiary_id: int
    first_name: str
    email: str | None
    phone: str | None


def _contact(beneficiary: Beneficiary) -> Contact | None:
    """The person's contact when messages may be sent to them, else None."""
    if beneficiary.messages_consent_at is None or beneficiary.pseudonymised_at is not None:
        return None
    if not (beneficiary.email or beneficiary.phone):
        return None
    return Contact(beneficiary.id, beneficiary.first_name, beneficiary.email,
                   beneficiary.phone)


def _channels(contact: Contact) -> dict[Channel, str]:
    """The channels that reach the person, with their address or number (SMS to a
    mobile number, while SMS is configured)."""
    channels = {}
    if contact.email:
        channels[Channel.EMAIL] = contact.email
    if contact.phone and sms_enabled() and to_e164(contact.phone) is not None:
        channels[Channel.SMS] = contact.phone
    return channels


def _queue(event: str, key: str, contact: Contact, *,
           channels: Collection[Channel] | None = None, **context: Any) -> int:
    """Queue the event's message (event key ``<event>:<key>``) on each channel of
    ``contact`` (those of ``channels`` only, when given); the number queued."""
    context.update(first_name=contact.first_name, stop_url=stop_url(contact.beneficiary_id),
                   directory_url=_directory_url())
    queued = 0
    for channel, recipient in _channels(contact).items():
        if channels is not None and channel not in channels:
            continue
        suffix = "_sms" if channel == Channel.SMS else ""
        subject, body = render_message(f"{TEMPLATES[event]}{suffix}", **context)
        message = enqueue(channel=channel, recipient=recipient, kind=KINDS[event],
                          event_key=f"{event}:{key}", subject=subject, body=body,
                          beneficiary_id=contact.beneficiary_id)
        queued += message is not None
    return queued


def _directory_url() -> str:
    """The public list of venues and their workshops."""
    return public_url("venues.public_directory")


# --- welcome ----------------------------------------------------------------------------


def queue_welcome(booklet: Booklet, beneficiary: Beneficiary, *,
                  channels: Collection[Channel] | None = None) -> int:
    """Queue the welcome of a booklet just handed out (or issued) to ``beneficiary``,
    in the caller's unit of work: the booklet's number and validity, the active venues
    nearest the person's commune (with their distance when known), and their booked
    first workshop if any. Returns the number queued (none without consent or contact)."""
    contact = _contact(beneficiary)
    if contact is None:
        return 0
    venues = [{"venue": near.venue, "distance": distance_fr(near.distance_km)}
              for near in nearest_venues(beneficiary, limit=WELCOME_VENUES)]
    booking = upcoming_booking(beneficiary.id)
    return _queue(WELCOME, str(booklet.id), contact, channels=channels,
                  number=booklet.number, vouchers=booklet.vouchers_total,
                  valid_from=date_fr(booklet.valid_from),
                  expires_on=date_fr(booklet.expires_on), venues=venues,
                  booking=_booking_context(booking) if booking else None)


def _booking_context(booking: WorkshopBooking) -> dict[str, str]:
    """What a message says of a booked workshop."""
    workshop, venue = booking.workshop, booking.workshop.venue
    starts = workshop.starts_at.astimezone(PARIS)
    place = ", ".join(part for part in (venue.address, f"{venue.postal_code} {venue.commune}"
                                        .strip()) if part)
    return {"title": workshop.title, "day": date_fr(starts.date()),
            "time": starts.strftime("%H h %M"), "venue": venue.name, "place": place}


def _withdraw_unsent_welcome(booklet_id: int) -> set[Channel]:
    """Delete the booklet's welcome messages that no sender has taken yet (still
    pending, no attempt: a sender's claim and this delete exclude each other); the
    channels they were on."""
    channels = db.session.execute(
        delete(OutboxMessage)
        .where(OutboxMessage.event_key == f"{WELCOME}:{booklet_id}",
               OutboxMessage.status == MessageStatus.PENDING, OutboxMessage.attempts == 0)
        .returning(OutboxMessage.channel)
        .execution_options(synchronize_session=False)).scalars()
    return {Channel(channel) for channel in channels}


def queue_booking_notice(booking: WorkshopBooking) -> int:
    """Tell the person of the first workshop just booked for them (in the booking's unit
    of work). Where the welcome of the booking's booklet has not left yet, it is written
    again with the booking (one message, same event key); elsewhere a short message of
    its own names the workshop. Returns the number queued."""
    beneficiary = db.session.get(Beneficiary, booking.beneficiary_id)
    contact = _contact(beneficiary) if beneficiary is not None else None
    if beneficiary is None or contact is None:
        return 0
    booklet = db.session.get(Booklet, booking.booklet_id) if booking.booklet_id else None
    rewritten: set[Channel] = set()
    queued = 0
    if booklet is not None and booklet.beneficiary_id == beneficiary.id:
        rewritten = _withdraw_unsent_welcome(booklet.id)
        if rewritten:
            queued += queue_welcome(booklet, beneficiary, channels=rewritten)
    others = [channel for channel in _channels(contact) if channel not in rewritten]
    if others:
        booked_at = int(booking.booked_at.timestamp())
        queued += _queue(BOOKED, f"{booking.id}:{booked_at}", contact, channels=others,
                         booking=_booking_context(booking))
    return queued


# --- reminders (jobs) -------------------------------------------------------------------


def _reachable() -> ColumnElement[bool]:
    """People who agreed to messages and can get one with the channels configured."""
    channels = [and_(Beneficiary.email.is_not(None), Beneficiary.email != "")]
    if sms_enabled():
        channels.append(and_(Beneficiary.phone.is_not(None), Beneficiary.phone != ""))
    return and_(Beneficiary.messages_consent_at.is_not(None),
                Beneficiary.pseudonymised_at.is_(None), or_(*channels))


def _not_yet_queued(event: str) -> ColumnElement[bool]:
    """No message of this event queued yet for the booklet (any channel)."""
    return ~exists().where(
        OutboxMessage.beneficiary_id == Booklet.beneficiary_id,
        OutboxMessage.event_key == literal(f"{event}:") + cast(Booklet.id, String))


def _due(event: str, condition: ColumnElement[bool]) -> list[Any]:
    """Live handed-out booklets matching ``condition`` whose holder may get the event's
    message and has not got it yet: one query."""
    return list(db.session.execute(
        select(Booklet.id, Booklet.number, Booklet.expires_on,
               (Booklet.vouchers_total - Booklet.vouchers_redeemed).label("left"),
               Beneficiary.id, Beneficiary.first_name, Beneficiary.email, Beneficiary.phone)
        .join(Beneficiary, Beneficiary.id == Booklet.beneficiary_id)
        .where(Booklet.status == BookletStatus.HANDED_OUT, condition, _reachable(),
               _not_yet_queued(event))
        .order_by(Booklet.id)
    ).all())


def _send_reminders(event: str, rows: list[Any]) -> int:
    """Queue the event's reminder for each due row; the number of messages queued."""
    queued = 0
    for booklet_id, number, expires_on, left, person_id, first_name, email, phone in rows:
        queued += _queue(event, str(booklet_id), Contact(person_id, first_name, email, phone),
                         number=number, expires_on=date_fr(expires_on), left=left)
    return queued


def _paris_day(at: datetime) -> date:
    return at.astimezone(PARIS).date()


def remind_unused(at: datetime) -> int:
    """Job: remind the holders of booklets handed out 30 days ago (up to
    ``CATCH_UP_DAYS`` more) of which no chèque has been used, still valid."""
    due_before = at - timedelta(days=UNUSED_AFTER_DAYS)
    condition = and_(Booklet.handed_out_at <= due_before,
                     Booklet.handed_out_at > due_before - timedelta(days=CATCH_UP_DAYS),
                     Booklet.vouchers_redeemed == 0,
                     Booklet.expires_on >= _paris_day(at))
    return _send_reminders(UNUSED, _due(UNUSED, condition))


def remind_expiring(at: datetime) -> int:
    """Job: remind the holders of booklets expiring within 30 days (Paris dates) that
    still hold unused chèques."""
    day = _paris_day(at)
    condition = and_(Booklet.expires_on >= day,
                     Booklet.expires_on <= day + timedelta(days=EXPIRY_NOTICE_DAYS),
                     Booklet.vouchers_redeemed < Booklet.vouchers_total)
    return _send_reminders(EXPIRING, _due(EXPIRING, condition))
