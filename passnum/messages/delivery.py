"""Delivering the outbox: claim due messages, send them, write what happened.

A message is claimed before it is sent (``repository.claim``: a conditional update that
one sender only wins, committed before sending), so that two senders never send the same
message. The claim counts the attempt and leases the message for ``LEASE``: a sender
that dies mid-batch leaves its messages due again once the lease runs out. Each
outcome is committed as soon as it is known:

- sent: ``sent``, with ``sent_at``;
- a transient failure (server down or busy, timeout, 4xx): retried after ``BACKOFF``
  (1 min, 5 min, 30 min, 2 h, 6 h, then every 12 h), ``failed`` after ``MAX_ATTEMPTS``;
- a permanent failure (5xx refusal of the recipient, a number the SMS API refuses):
  ``failed`` at once.

Failed messages are listed for administrators (``/admin/messages``), who may put them
back in the queue (``services.retry``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from flask import current_app

from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.messages import repository
from passnum.messages.models import Channel, MessageStatus
from passnum.messages.transports import (
    BrevoSmsTransport,
    FileTransport,
    Outgoing,
    Permanent,
    SmtpTransport,
    Transient,
)

log = logging.getLogger(__name__)

BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
           timedelta(hours=2), timedelta(hours=6), timedelta(hours=12))
MAX_ATTEMPTS = 8  # about a day and a half of trying before an administrator is needed
LEASE = timedelta(minutes=15)
BATCH_SIZE = 50
MAX_BATCHES = 100  # one run sends at most this many batches; the next run goes on


class Transport(Protocol):
    """What delivery needs of a transport (``transports``)."""

    def send(self, message: Outgoing, at: datetime) -> None:
        """Send one message or raise ``Transient`` / ``Permanent``."""

    def close(self) -> None:
        """Release what the batch held."""


@dataclass
class DeliveryReport:
    """What one delivery did: messages sent, put back for a later try, failed for good."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    @property
    def attempted(self) -> int:
        """Messages claimed and tried."""
        return self.sent + self.retried + self.failed


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (1-based), capped."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def deliver_due(*, ids: list[int] | None = None, limit: int = BATCH_SIZE) -> DeliveryReport:
    """Send the pending messages that are due (only ``ids`` among them, if given).

    Runs its own units of work: call it outside any (after a commit, or from a command).
    """
    report = DeliveryReport()
    for _batch in range(MAX_BATCHES):
        with unit_of_work():
            claimed = _claim(now(), limit=limit, ids=ids)
        if not claimed:
            break
        _send(claimed, report)
        if ids is not None:
            break
    return report


def _claim(at: datetime, *, limit: int, ids: list[int] | None) -> list[tuple[Outgoing, int]]:
    """The due messages this sender won, each with its attempt number."""
    won = []
    for row in repository.due_messages(at, limit=limit, ids=ids):
        if repository.claim(row.id, seen_attempts=row.attempts, now=at,
                            lease_until=at + LEASE):
            won.append((Outgoing(id=row.id, channel=row.channel, recipient=row.recipient,
                                 subject=row.subject, body=row.body, kind=row.kind),
                        row.attempts + 1))
    return won


def _send(claimed: list[tuple[Outgoing, int]], report: DeliveryReport) -> None:
    """Send each claimed message through its channel's transport; record each outcome."""
    transports: dict[str, Transport | None] = {}
    try:
        for message, attempt in claimed:
            if message.channel not in transports:
                transports[message.channel] = _transport(message.channel)
            transport = transports[message.channel]
            try:
                if transport is None:
                    raise Transient("SMS désactivé (PASSNUM_SMS_PROVIDER non renseigné)")
                transport.send(message, now())
            except Transient as err:
                _record(message, attempt, report, error=str(err), final=attempt >= MAX_ATTEMPTS)
            except Permanent as err:
                _record(message, attempt, report, error=str(err), final=True)
            else:
                _record(message, attempt, report)
    finally:
        for transport in transports.values():
            if transport is not None:
                transport.close()


def _transport(channel: str) -> Transport | None:
    """The transport of ``channel`` as configured (None: SMS is off)."""
    config = current_app.config
    if channel == Channel.EMAIL:
        if config["SMTP_URL"]:
            return SmtpTransport(config["SMTP_URL"], sender=config["MAIL_FROM"],
                                 timeout=config["SMTP_TIMEOUT_SECONDS"])
        return FileTransport(config["MAIL_DIR"], sender=config["MAIL_FROM"])
    if channel == Channel.SMS and config["SMS_PROVIDER"] == "brevo":
        return BrevoSmsTransport(config["SMS_API_URL"], api_key=config["SMS_API_KEY"],
                                 sender=config["SMS_SENDER"],
                                 timeout=config["SMTP_TIMEOUT_SECONDS"])
    return None


def _record(message: Outgoing, attempt: int, report: DeliveryReport, *,
            error: str | None = None, final: bool = False) -> None:
    """Commit the outcome of one attempt (sent when ``error`` is None)."""
    at = now()
    values: dict[str, Any]
    if error is None:
        values = {"status": MessageStatus.SENT, "sent_at": at, "last_error": None}
        report.sent += 1
    elif final:
        # a failed message is never due again: its next_attempt_at keeps when it failed
        values = {"status": MessageStatus.FAILED, "last_error": error, "next_attempt_at": at}
        report.failed += 1
        log.warning("message %s (%s) failed after %s attempt(s): %s", message.id,
                    message.kind, attempt, error)
    else:
        values = {"next_attempt_at": at + backoff(attempt), "last_error": error}
        report.retried += 1
        log.info("message %s (%s) will be retried: %s", message.id, message.kind, error)
    with unit_of_work():
        if not repository.finish(message.id, attempts=attempt, values=values):
            log.warning("message %s: claim lost before its outcome was written", message.id)
