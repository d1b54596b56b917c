"""Scheduled work: the jobs that ``flask --app passnum jobs run`` runs, in order.

Each job is a function of the current time returning how many items it handled; it
queues what it has to say through ``messages.services.enqueue`` (once per recipient and
event, so running it twice queues nothing new) and only flushes: the command runs each
job in its own unit of work, then delivers the due messages of the outbox.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from passnum.messages.notices import remind_expiring, remind_unused
from passnum.messages.staff_notices import send_expiry_digests


class Job(NamedTuple):
    """A named piece of scheduled work: ``function(now)`` returns the items it handled."""

    name: str
    function: Callable[[datetime], int]


SCHEDULED_JOBS: tuple[Job, ...] = (
    # messages to beneficiaries (messages.notices) and to issuers (messages.staff_notices)
    Job("booklet_unused_reminders", remind_unused),
    Job("booklet_expiry_reminders", remind_expiring),
    Job("expiry_digests", send_expiry_digests),
)
