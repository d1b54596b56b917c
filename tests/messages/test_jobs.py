"""``flask --app passnum jobs run``: each job once per run, each message once ever."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from passnum import jobs
from passnum.auth.models import Role, User
from passnum.core.clock import frozen
from passnum.extensions import db
from passnum.jobs import Job, exclusive
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.services import enqueue
from tests.factories import make_user

T0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)


def remind_everyone(at: datetime) -> int:
    """A reminder to every account, once a day (the event is the account and the day)."""
    users = db.session.scalars(select(User).order_by(User.id)).all()
    for user in users:
        enqueue(channel=Channel.EMAIL, recipient=user.email, kind="test_reminder",
                event_key=f"test.reminder:{user.id}:{at.date()}", subject="Rappel",
                body="Bonjour,\nCeci est un rappel.", user_id=user.id)
    return len(users)


@pytest.fixture
def reminders(app, monkeypatch):
    """Three accounts and the reminder job as the only scheduled job."""
    users = [make_user(Role.ADMIN, totp=False) for _ in range(3)]
    monkeypatch.setattr(jobs, "SCHEDULED_JOBS", (Job("test_reminders", remind_everyone),))
    return users


def _run(app, *args: str):
    result = app.test_cli_runner().invoke(args=["jobs", "run", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_run_twice_sends_each_reminder_once(app, mail, reminders):
    """The jobs command run twice sends each reminder once."""
    with frozen(T0):
        first = _run(app)
        second = _run(app)
    assert "test_reminders : 3 élément(s) traité(s)" in first
    assert "Messages : 3 envoyé(s), 0 à réessayer, 0 en échec." in first
    assert "Messages : 0 envoyé(s), 0 à réessayer, 0 en échec." in second
    assert sorted(got.rcpt_tos[0] for got in mail.received) == sorted(
        user.email for user in reminders)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_with_the_server_down_nothing_is_lost(app, mail, reminders):
    """With the SMTP server down, nothing is lost and delivery completes when it returns."""
    mail.stop()
    with frozen(T0):
        assert "Messages : 0 envoyé(s), 3 à réessayer, 0 en échec." in _run(app)
    mail.start()
    with frozen(T0.replace(minute=5)):
        assert "Messages : 3 envoyé(s), 0 à réessayer, 0 en échec." in _run(app)
        assert "Messages : 0 envoyé(s)" in _run(app)
    assert len(mail.received) == 3
    statuses = db.session.scalars(select(OutboxMessage.status)).all()
    assert statuses == [MessageStatus.SENT] * 3


def test_an_overlapping_run_exits_quietly(app, mail, reminders):
    with frozen(T0), exclusive() as alone:
        assert alone
        output = _run(app)
    assert "Travaux déjà en cours dans un autre processus" in output
    assert mail.received == []
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    with frozen(T0):  # the lock is free again
        assert "Messages : 3 envoyé(s)" in _run(app)


def test_only_runs_the_named_job(app, mail, reminders):
    with frozen(T0):
        assert "test_reminders : 3" in _run(app, "--only", "test_reminders")
    result = app.test_cli_runner().invoke(args=["jobs", "run", "--only", "nope"])
    assert result.exit_code != 0
    assert "Travail inconnu : nope (connus : test_reminders)" in result.output


def test_a_failing_job_is_rolled_back_and_the_others_still_run(app, mail, monkeypatch):
    make_user(Role.ADMIN, totp=False)

    def broken(at: datetime) -> int:
        enqueue(channel=Channel.EMAIL, recipient="lost@example.org", kind="test",
                event_key="test.broken:1", subject="Objet", body="Bonjour")
        raise RuntimeError("a bug in this job")

    monkeypatch.setattr(jobs, "SCHEDULED_JOBS", (Job("broken", broken),
                                                 Job("test_reminders", remind_everyone)))
    with frozen(T0):
        result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 1
    assert "broken : ÉCHEC (voir le journal), rien d'enregistré" in result.output
    assert "test_reminders : 1 élément(s) traité(s)" in result.output
    assert "Messages : 1 envoyé(s)" in result.output
    assert "Travaux en échec : broken." in result.output
    assert len(mail.received) == 1 and mail.received[0].rcpt_tos != ["lost@example.org"]
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
