"""Queueing messages: the only code that writes the outbox (delivery aside).

Callers queue a message in the same unit of work as the event that causes it: if the
event rolls back, so does the message; if it commits, the message will be sent (by the
jobs command, or right after the commit for the few that cannot wait).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import current_app, render_template

from passnum.audit.services import record
from passnum.core.clock import now
from passnum.errors import Conflict, NotFound
from passnum.extensions import db
from passnum.messages import repository
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.phones import to_e164

log = logging.getLogger(__name__)

SUBJECT_PREFIX = "Subject:"


def sms_enabled() -> bool:
    """True when an SMS provider is configured; without one, SMS are not queued at all
    (and pages should not offer them)."""
    return bool(current_app.config.get("SMS_PROVIDER"))


def enqueue(*, channel: Channel, recipient: str, kind: str, event_key: str, subject: str,
            body: str, beneficiary_id: int | None = None, user_id: int | None = None
            ) -> OutboxMessage | None:
    """Adds the message to the current unit of work (flush only); a message already queued
    for the same (channel, recipient, event_key) is not queued again (returns None).

    E-mail addresses are compared in lower case; phone numbers are stored in E.164. An
    SMS is not queued (None) when SMS is off or the number is not a French mobile one:
    the event that causes it must not fail for want of a text message.
    """
    channel = Channel(channel)
    if channel == Channel.SMS:
        if not sms_enabled():
            return None
        number = to_e164(recipient)
        if number is None:
            log.warning("message %s not queued: not a mobile phone number", kind)
            return None
        recipient = number
    else:
        recipient = recipient.strip().lower()
    at = now()
    values: dict[str, Any] = {
        "channel": str(channel), "recipient": recipient,
        "subject": " ".join(subject.split())[:200],  # one line: it becomes a header
        "body": body, "event_key": event_key, "kind": kind,
        "beneficiary_id": beneficiary_id, "user_id": user_id,
        "status": str(MessageStatus.PENDING), "attempts": 0, "next_attempt_at": at,
        "created_at": at}
    db.session.flush()  # the foreign keys it names are written first
    message_id = repository.insert_message(values)
    if message_id is None:
        return None
    return db.session.get(OutboxMessage, message_id)


def render_message(template: str, **context: Any) -> tuple[str, str]:
    """(subject, body) from templates/messages/<template>.txt (first line "Subject: ...")."""
    text = render_template(f"messages/{template}.txt", **context)
    first, _, rest = text.partition("\n")
    if not first.startswith(SUBJECT_PREFIX):
        raise ValueError(f"messages/{template}.txt: first line must be 'Subject: ...'")
    return first.removeprefix(SUBJECT_PREFIX).strip(), rest.lstrip("\n").rstrip() + "\n"


def retry(message_id: int, *, actor_id: int, ip: str | None = None) -> None:
    """Put a failed message back in the queue, due now, with a fresh count of attempts
    (an administrator fixed the cause: the server, the account, the address); audited.
    Raises ``NotFound`` for an unknown message and ``Conflict`` (``message_not_failed``)
    for one that is not failed (sent meanwhile, or already back in the queue)."""
    message = db.session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound("Message introuvable.")
    if message.status != MessageStatus.FAILED:
        raise Conflict("Ce message n'est pas en échec : rien à réessayer.",
                       code="message_not_failed")
    message.status, message.attempts = MessageStatus.PENDING, 0
    message.next_attempt_at, message.last_error = now(), None
    record("message.retried", actor_id=actor_id, object_type="message", object_id=message.id,
           ip=ip, details={"kind": message.kind, "channel": message.channel})
