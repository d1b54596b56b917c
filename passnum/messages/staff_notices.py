"""Messages to venues and staff: label and profile decisions, statements, the weekly
expiry digest.

E-mails to the accounts concerned, queued in the transaction of the decision that causes
them (``venue.label_changed:<decision id>``, ``venue.profile_decided:<proposal id>``,
``statement.validated:<id>``, ``statement.paid:<id>``) and sent to the venue's enabled
agent accounts (its lead, the applicant, among them). The weekly digest is a job: each
enabled issuer account gets, once per ISO week
(``booklets.expiring_digest:<structure id>:<week>``), the numbers of its structure's
handed-out booklets that expire within 30 days with chèques left.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, literal, select

from passnum.auth.models import Role, User
from passnum.booklets.models import Booklet, BookletStatus
from passnum.core.clock import PARIS
from passnum.core.formatting import date_fr, euros
from passnum.extensions import db
from passnum.messages.models import Channel, OutboxMessage
from passnum.messages.optout import public_url
from passnum.messages.services import enqueue, render_message
from passnum.programmes.models import Structure
from passnum.statements.models import Statement, StatementStatus
from passnum.statements.queries import amount_due, period_label, reference
from passnum.venues.models import (
    LABEL_LABELS,
    LabelStatus,
    ProfileChangeStatus,
    Venue,
    VenueLabelChange,
    VenueProfileChange,
)

DIGEST_WINDOW_DAYS = 30
DIGEST = "booklets.expiring_digest"
STATEMENT_EVENTS = {StatementStatus.VALIDATED: ("statement.validated", "statement_validated"),
                    StatementStatus.PAID: ("statement.paid", "statement_paid")}


def _venue_agents(venue_id: int) -> list[User]:
    """The venue's enabled agent accounts, the lead (the applicant) first."""
    return list(db.session.scalars(
        select(User).where(User.role == Role.VENUE_AGENT, User.venue_id == venue_id,
                           User.is_active_account.is_(True))
        .order_by(User.is_venue_lead.desc(), User.id)))


def _to_agents(venue: Venue, *, kind: str, event_key: str, template: str,
               **context: Any) -> int:
    """Queue one e-mail per enabled agent of ``venue``; the number queued."""
    queued = 0
    for agent in _venue_agents(venue.id):
        subject, body = render_message(template, venue=venue, name=agent.full_name,
                                       login_url=public_url("auth.login"), **context)
        message = enqueue(channel=Channel.EMAIL, recipient=agent.email, kind=kind,
                          event_key=event_key, subject=subject, body=body, user_id=agent.id)
        queued += message is not None
    return queued


def notify_label_decision(change: VenueLabelChange) -> int:
    """Tell the venue's agents of a decision on its label, with its reason (in the
    decision's unit of work)."""
    venue = db.session.get(Venue, change.venue_id)
    assert venue is not None  # the decision's venue, locked by the decision
    to = LabelStatus(change.to_status)
    return _to_agents(venue, kind="venue_label_decision",
                      event_key=f"venue.label_changed:{change.id}", template="venue_label",
                      status=LABEL_LABELS[to].lower(), status_code=to.value,
                      reactivated=change.from_status == LabelStatus.SUSPENDED,
                      reason=change.reason, day=date_fr(change.changed_at.astimezone(PARIS)
                                                        .date()))


def notify_profile_decision(change: VenueProfileChange) -> int:
    """Tell the venue's agents that its proposed public profile was published or
    refused, with the reason (in the decision's unit of work)."""
    venue = db.session.get(Venue, change.venue_id)
    assert venue is not None  # the proposal's venue, locked by the decision
    assert change.decided_at is not None  # called once decided
    approved = change.status == ProfileChangeStatus.APPROVED
    return _to_agents(venue, kind="venue_profile_decision",
                      event_key=f"venue.profile_decided:{change.id}",
                      template="venue_profile", approved=approved, reason=change.reason,
                      day=date_fr(change.decided_at.astimezone(PARIS).date()))


def notify_statement(statement: Statement) -> int:
    """Tell the venue's agents that its statement was validated or paid (in the unit of
    work of that step): period, paying département, total, and the payment's reference."""
    event, template = STATEMENT_EVENTS[StatementStatus(statement.status)]
    venue = db.session.get(Venue, statement.venue_id)
    assert venue is not None  # a statement's venue is never deleted
    return _to_agents(venue, kind=template, event_key=f"{event}:{statement.id}",
                      template=template, period=period_label(statement.period_start),
                      departement=statement.departement.name, reference=reference(statement),
                      vouchers=statement.voucher_count, total=euros(amount_due(statement)),
                      paid_on=date_fr(statement.paid_on),
                      payment_reference=statement.payment_reference or "")


# --- weekly digest (job) ----------------------------------------------------------------


def iso_week(at: datetime) -> str:
    """``2026-W50``: the Paris week of ``at``, which the digest is sent once in."""
    year, week, _day = at.astimezone(PARIS).isocalendar()
    return f"{year}-W{week:02d}"


def send_expiry_digests(at: datetime) -> int:
    """Job: e-mail each enabled issuer the list of their structure's booklets that
    expire within 30 days with chèques left, once per ISO week; one query selects the
    issuers still due this week and their booklets. Returns the number queued."""
    day, week = at.astimezone(PARIS).date(), iso_week(at)
    key = literal(f"{DIGEST}:") + cast(User.structure_id, String) + literal(f":{week}")
    rows = db.session.execute(
        select(User.id, User.email, User.full_name, Structure.name, Booklet.structure_id,
               Booklet.number, Booklet.expires_on,
               Booklet.vouchers_total - Booklet.vouchers_redeemed)
        .join(Booklet, Booklet.structure_id == User.structure_id)
        .join(Structure, Structure.id == Booklet.structure_id)
        .where(User.role == Role.ISSUER, User.is_active_account.is_(True),
               Booklet.status == BookletStatus.HANDED_OUT,
               Booklet.vouchers_redeemed < Booklet.vouchers_total,
               and_(Booklet.expires_on >= day,
                    Booklet.expires_on <= day + timedelta(days=DIGEST_WINDOW_DAYS)),
               ~exists().where(OutboxMessage.user_id == User.id,
                               OutboxMessage.event_key == key))
        .order_by(User.id, Booklet.expires_on, Booklet.number)
    ).all()
    by_issuer: dict[tuple[int, str, str, str, int], list[Any]] = defaultdict(list)
    for user_id, email, name, structure, structure_id, number, expires_on, left in rows:
        by_issuer[(user_id, email, name, structure, structure_id)].append(
            {"number": number, "expires_on": date_fr(expires_on), "left": left})
    queued = 0
    for (user_id, email, name, structure, structure_id), booklets in by_issuer.items():
        subject, body = render_message(
            "expiry_digest", name=name, structure=structure, booklets=booklets,
            vouchers=sum(b["left"] for b in booklets), days=DIGEST_WINDOW_DAYS,
            list_url=public_url("expiry.expiring"))
        message = enqueue(channel=Channel.EMAIL, recipient=email, kind="expiry_digest",
                          event_key=f"{DIGEST}:{structure_id}:{week}", subject=subject,
                          body=body, user_id=user_id)
        queued += message is not None
    return queued
