"""The jobs command sends each reminder once, through a real SMTP server."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.jobs import SCHEDULED_JOBS
from tests.messages.helpers import T0, frozen_world, given, person, use


@pytest.fixture
def world(app):
    yield from frozen_world()


def _run(app) -> str:
    result = app.test_cli_runner().invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    return result.output


def _subjects(mail, since: int = 0) -> list[tuple[str, str]]:
    return sorted((got.rcpt_tos[0], str(got.email["Subject"])) for got in mail.received[since:])


def test_the_reminder_and_digest_jobs_are_scheduled():
    assert [job.name for job in SCHEDULED_JOBS][:3] == [
        "booklet_unused_reminders", "booklet_expiry_reminders", "expiry_digests"]


def test_the_jobs_command_run_twice_sends_each_reminder_once(app, world, mail):
    with clock.frozen(T0):
        idle = given(world, person(world.issuer78))
        busy = given(world, person(world.issuer78, email="paul@example.org"))
        use(world, busy, 2)
        _run(app)  # the welcomes, queued at hand-out
    assert _subjects(mail) == sorted([
        ("jeanne@example.org", f"Pass numérique : votre chéquier n° {idle.number}"),
        ("paul@example.org", f"Pass numérique : votre chéquier n° {busy.number}")])

    seen = len(mail.received)
    with clock.frozen(T0 + timedelta(days=30, hours=1)):
        first, second = _run(app), _run(app)
    assert "booklet_unused_reminders : 1 élément(s) traité(s)" in first
    assert "booklet_unused_reminders : 0 élément(s) traité(s)" in second
    assert "Messages : 0 envoyé(s)" in second
    assert _subjects(mail, seen) == [
        ("jeanne@example.org", "Pass numérique : votre chéquier vous attend")]

    seen = len(mail.received)
    with clock.frozen(datetime(2027, 2, 1, 7, 0, tzinfo=PARIS)):  # 29 days before expiry
        first, second = _run(app), _run(app)
    assert "booklet_expiry_reminders : 2 élément(s) traité(s)" in first
    assert "expiry_digests : 1 élément(s) traité(s)" in first
    assert "Messages : 0 envoyé(s)" in second
    expiring = "Pass numérique : votre chéquier expire le 02/03/2027"
    assert _subjects(mail, seen) == sorted([
        ("jeanne@example.org", expiring), ("paul@example.org", expiring),
        (world.issuer78.email, f"Pass numérique : 2 chéquiers de {world.s78.name} "
                               "expirent dans les 30 jours")])
    [digest] = [got.email for got in mail.received if got.rcpt_tos == [world.issuer78.email]]
    body = digest.get_content()
    assert f"- n° {idle.number} : expire le 02/03/2027, 10 chèques restants" in body
    assert f"- n° {busy.number} : expire le 02/03/2027, 8 chèques restants" in body
    assert "Jeanne" not in body  # numbers, no names
