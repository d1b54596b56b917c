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


class Job(NamedTuple):
    """A named piece of scheduled work: ``function(now)`` returns the items it handled."""

    name: str
    function: Callable[[datetime], int]


SCHEDULED_JOBS: tuple[Job, ...] = ()
