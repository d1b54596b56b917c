"""Delivering the outbox through a real SMTP server: once, with retries and backoff."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select

from passnum.core.clock import frozen
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.delivery import BACKOFF, MAX_ATTEMPTS, backoff, deliver_due
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.services import enqueue
from tests.mailserver import BUSY, REFUSED, MailServer, self_signed

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WAIT_SECONDS = 30


def _queue(recipient: str = "jeanne@example.org", key: str = "test.event:1") -> int:
    with unit_of_work():
        message = enqueue(channel=Channel.EMAIL, recipient=recipient, kind="test",
                          event_key=key, subject="Votre chéquier est prêt",
                          body="Bonjour Jeanne,\nÀ bientôt.")
        assert message is not None
        return message.id


def _message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_message_is_sent_once_with_proper_headers(app, mail):
    app.config["MAIL_FROM"] = "Pass numérique <no-reply@passnum.test>"
    with frozen(T0):
        message_id = _queue()
        report = deliver_due()
        assert (report.sent, report.retried, report.failed) == (1, 0, 0)
        assert deliver_due().attempted == 0  # a second run sends nothing
    assert len(mail.received) == 1
    got = mail.received[0]
    assert got.rcpt_tos == ["jeanne@example.org"]
    assert got.mail_from == "no-reply@passnum.test"
    email = got.email
    assert email["To"] == "jeanne@example.org"
    assert email["From"] == "Pass numérique <no-reply@passnum.test>"
    assert email["Subject"] == "Votre chéquier est prêt"
    assert email["Message-ID"].endswith("@passnum.test>")
    assert email["Date"] == "Mon, 02 Mar 2026 09:00:00 +0000"
    assert email.get_content_charset() == "utf-8"
    assert "À bientôt." in email.get_content()
    stored = _message(message_id)
    assert (stored.status, stored.attempts, stored.sent_at) == (MessageStatus.SENT, 1, T0)


def test_an_account_is_used_when_the_url_names_one(app):
    server = MailServer(accounts={"passnum": "s3cret pass"}).start()
    try:
        app.config["SMTP_URL"] = f"smtp://passnum:s3cret%20pass@127.0.0.1:{server.port}"
        with frozen(T0):
            _queue()
            assert deliver_due().sent == 1
        assert [got.authenticated for got in server.received] == [True]
        app.config["SMTP_URL"] = f"smtp://passnum:wrong@127.0.0.1:{server.port}"
        with frozen(T0):
            message_id = _queue(key="test.event:2")
            assert deliver_due().retried == 1  # the account is wrong, not the message
        stored = _message(message_id)
        assert stored.status == MessageStatus.PENDING
        assert "authentification SMTP refusée (535)" in stored.last_error
    finally:
        server.stop()


def test_starttls_with_the_servers_certificate(app, tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path)
    server = MailServer(accounts={"passnum": "s3cret"}, tls=(cert, key)).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the test's own authority
        app.config["SMTP_URL"] = f"smtp://passnum:s3cret@127.0.0.1:{server.port}"
        with frozen(T0):
            _queue()
            assert deliver_due().sent == 1
        assert [(got.tls, got.authenticated) for got in server.received] == [(True, True)]
    finally:
        server.stop()


def test_smtps_speaks_tls_from_the_start(app, tmp_path, monkeypatch):
    cert, key = self_signed(tmp_path)
    server = MailServer(accounts={"passnum": "s3cret"}, tls=(cert, key),
                        implicit_tls=True).start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        app.config["SMTP_URL"] = f"smtps://passnum:s3cret@127.0.0.1:{server.port}"
        with frozen(T0):
            _queue()
            assert deliver_due().sent == 1
        assert [got.authenticated for got in server.received] == [True]
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(app, tmp_path):
    server = MailServer(accounts={"passnum": "s3cret"}, tls=self_signed(tmp_path)).start()
    try:
        app.config["SMTP_URL"] = f"smtp://passnum:s3cret@127.0.0.1:{server.port}"
        with frozen(T0):
            message_id = _queue()
            assert deliver_due().retried == 1
        assert server.received == []
        assert "CERTIFICATE_VERIFY_FAILED" in _message(message_id).last_error
    finally:
        server.stop()


def test_nothing_is_lost_while_the_server_is_down(app, mail):
    """With the SMTP server down, nothing is lost and delivery completes when it returns:
    pending with backoff meanwhile, each message delivered once."""
    mail.stop()
    with frozen(T0):
        ids = [_queue(key="test.event:1"), _queue(key="test.event:2")]
        report = deliver_due()
        assert (report.sent, report.retried) == (0, 2)
        assert deliver_due().attempted == 0  # not due again before the backoff
    for message_id in ids:
        stored = _message(message_id)
        assert (stored.status, stored.attempts) == (MessageStatus.PENDING, 1)
        assert stored.next_attempt_at == T0 + BACKOFF[0]
        assert "serveur SMTP injoignable" in stored.last_error
    mail.start()
    with frozen(T0 + BACKOFF[0] - timedelta(seconds=1)):
        assert deliver_due().attempted == 0
    with frozen(T0 + BACKOFF[0]):
        assert deliver_due().sent == 2
        assert deliver_due().attempted == 0
    assert sorted(got.rcpt_tos[0] for got in mail.received) == ["jeanne@example.org"] * 2
    assert len(mail.received) == 2
    assert {_message(i).status for i in ids} == {MessageStatus.SENT}


def test_backoff_grows_and_a_message_fails_after_the_last_attempt(app, mail):
    mail.stop()
    at = T0
    with frozen(at):
        message_id = _queue()
    waits = []
    for attempt in range(1, MAX_ATTEMPTS + 1):
        with frozen(at):
            assert deliver_due().attempted == 1
        stored = _message(message_id)
        assert stored.attempts == attempt
        if attempt < MAX_ATTEMPTS:
            waits.append(stored.next_attempt_at - at)
            at = stored.next_attempt_at
    assert waits == [backoff(n) for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30),
                         timedelta(hours=2)]
    assert max(waits) == BACKOFF[-1]
    assert stored.status == MessageStatus.FAILED
    with frozen(at + timedelta(days=3)):
        assert deliver_due().attempted == 0


def test_a_refused_recipient_fails_at_once_a_busy_one_is_retried(app, mail):
    with frozen(T0):
        refused, busy = _queue(REFUSED, "test.event:1"), _queue(BUSY, "test.event:2")
        fine = _queue("paul@example.org", "test.event:3")
        report = deliver_due()
    assert (report.sent, report.retried, report.failed) == (1, 1, 1)
    stored = _message(refused)
    assert (stored.status, stored.attempts) == (MessageStatus.FAILED, 1)
    assert stored.last_error.startswith("SMTP 550 5.1.1")
    assert REFUSED not in stored.last_error  # the address is masked
    stored = _message(busy)
    assert (stored.status, stored.last_error) == (
        MessageStatus.PENDING, "SMTP 451 4.3.0 Mailbox temporarily unavailable")
    assert _message(fine).status == MessageStatus.SENT
    assert [got.rcpt_tos for got in mail.received] == [["paul@example.org"]]


def test_two_senders_at_once_never_send_a_message_twice(app, mail):
    with frozen(T0):
        ids = [_queue(f"person{n}@example.org", f"test.event:{n}") for n in range(30)]
    barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
    reports, errors = [], []

    def sender() -> None:
        try:
            with app.app_context():
                barrier.wait()
                reports.append(deliver_due(limit=5))
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    with frozen(T0):
        threads = [threading.Thread(target=sender) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(WAIT_SECONDS)
    assert errors == []
    assert sum(report.sent for report in reports) == 30
    recipients = [got.rcpt_tos[0] for got in mail.received]
    assert len(recipients) == 30 and len(set(recipients)) == 30
    assert {_message(i).status for i in ids} == {MessageStatus.SENT}


def test_without_a_server_e_mails_are_written_as_files(app, tmp_path, caplog):
    app.config.update(SMTP_URL="", MAIL_DIR=str(tmp_path / "mail"))
    with frozen(T0), caplog.at_level(logging.INFO, logger="passnum.messages"):
        message_id = _queue()
        assert deliver_due().sent == 1
    files = list((tmp_path / "mail").glob("*.eml"))
    assert [f.name for f in files] == [f"20260302-090000-{message_id}.eml"]
    assert (tmp_path / "mail").stat().st_mode & 0o077 == 0
    email = message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert email["To"] == "jeanne@example.org"
    assert "À bientôt." in email.get_content()
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert str(tmp_path / "mail") in logged
    assert "jeanne" not in logged


@pytest.mark.parametrize("status", [MessageStatus.SENT, MessageStatus.FAILED])
def test_only_pending_messages_are_sent(app, mail, status):
    with frozen(T0):
        message_id = _queue()
        with unit_of_work():
            db.session.get(OutboxMessage, message_id).status = status
        assert deliver_due().attempted == 0
    assert mail.received == []
    assert db.session.scalars(select(OutboxMessage.status)).all() == [status]


def test_a_message_that_cannot_be_written_fails_without_stopping_the_others(app, mail):
    with frozen(T0):
        broken = _queue("jeanne@example.org\nBcc: everyone@example.org", "test.event:1")
        fine = _queue("paul@example.org", "test.event:2")
        report = deliver_due()
    assert (report.sent, report.failed) == (1, 1)
    assert _message(broken).status == MessageStatus.FAILED
    assert _message(broken).last_error.startswith("message impossible à écrire")
    assert _message(fine).status == MessageStatus.SENT
    assert [got.rcpt_tos for got in mail.received] == [["paul@example.org"]]
