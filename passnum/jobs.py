"""Scheduled work: the jobs that ``flask --app passnum jobs run`` runs, in order.

Each job is a function of the current time returning how many items it handled; it
queues what it has to say through ``messages.services.enqueue`` (once per recipient and
event, so running it twice queues nothing new) and only flushes: the command runs each
job in its own unit of work, then delivers the due messages of the outbox. Two runs
never overlap (``exclusive``): a run started while another one works exits at once,
which makes the command safe to start every few minutes from cron or a systemd timer.
"""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import NamedTuple

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from passnum.core.clock import now
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.delivery import deliver_due
from passnum.messages.notices import remind_expiring, remind_unused
from passnum.messages.staff_notices import send_expiry_digests

log = logging.getLogger(__name__)

# the PostgreSQL advisory lock held while a run works ("passnum" in ASCII)
LOCK_KEY = 0x706173736E756D
LOCK_FILE = "jobs.lock"


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


@contextmanager
def exclusive() -> Iterator[bool]:
    """Yield True while this process alone runs the jobs, False if another run holds
    the lock. PostgreSQL: a session advisory lock (one for every machine sharing the
    database); SQLite: a lock on ``instance/jobs.lock`` (one machine, as the database)."""
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as connection:
            got = bool(connection.scalar(select(func.pg_try_advisory_lock(LOCK_KEY))))
            connection.commit()  # the lock belongs to the session, not the transaction
            try:
                yield got
            finally:
                if got:
                    connection.scalar(select(func.pg_advisory_unlock(LOCK_KEY)))
                    connection.commit()
        return
    path = Path(current_app.instance_path) / LOCK_FILE
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_jobs(jobs: tuple[Job, ...]) -> list[tuple[str, int | None]]:
    """Run ``jobs``, each in its own unit of work; (name, items done) for each, None for
    a job that failed (rolled back and logged: the others and the delivery still run)."""
    done: list[tuple[str, int | None]] = []
    for job in jobs:
        try:
            with unit_of_work():
                count = job.function(now())
        except Exception:
            log.exception("job %s failed; its changes were rolled back", job.name)
            done.append((job.name, None))
            continue
        log.info("job %s: %s item(s)", job.name, count)
        done.append((job.name, count))
    return done


jobs_cli = AppGroup("jobs", help="Travaux planifiés (rappels, envoi des messages).")


@jobs_cli.command("run")
@click.option("--only", "only", metavar="NOM", help="Ne lancer que ce travail (puis l'envoi).")
def run_command(only: str | None) -> None:
    """Run the scheduled jobs, then send the messages that are due."""
    jobs = SCHEDULED_JOBS
    if only is not None:
        jobs = tuple(job for job in SCHEDULED_JOBS if job.name == only)
        if not jobs:
            names = ", ".join(job.name for job in SCHEDULED_JOBS) or "aucun"
            raise click.ClickException(f"Travail inconnu : {only} (connus : {names}).")
    with exclusive() as alone:
        if not alone:
            click.echo("Travaux déjà en cours dans un autre processus : rien à faire.")
            return
        done = run_jobs(jobs)
        for name, count in done:
            click.echo(f"{name} : " + (f"{count} élément(s) traité(s)" if count is not None
                                       else "ÉCHEC (voir le journal), rien d'enregistré"))
        report = deliver_due()
    click.echo(f"Messages : {report.sent} envoyé(s), {report.retried} à réessayer, "
               f"{report.failed} en échec.")
    failed = [name for name, count in done if count is None]
    if failed:  # cron and systemd report a failed run
        raise click.ClickException(f"Travaux en échec : {', '.join(failed)}.")
