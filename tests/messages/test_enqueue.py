"""Queueing a message: once per (channel, recipient, event), in the caller's transaction."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.phones import to_e164
from passnum.messages.services import enqueue, render_message

WAIT_SECONDS = 20


def _queue(recipient: str = "Jeanne@Example.org", event_key: str = "test.event:1",
           channel: Channel = Channel.EMAIL) -> OutboxMessage | None:
    return enqueue(channel=channel, recipient=recipient, kind="test", event_key=event_key,
                   subject="Objet", body="Bonjour")


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxMessage))


def test_a_message_is_queued_once_per_recipient_and_event(app):
    with unit_of_work():
        first = _queue()
        assert first is not None
        assert (first.status, first.attempts, first.recipient) == (
            MessageStatus.PENDING, 0, "jeanne@example.org")
        assert _queue("jeanne@example.org") is None  # same key, same transaction
    with unit_of_work():
        assert _queue() is None  # same key, later transaction
        assert _queue(event_key="test.event:2") is not None
        assert _queue("paul@example.org") is not None
    assert _count() == 3


def test_a_message_rolls_back_with_its_event(app):
    with pytest.raises(RuntimeError), unit_of_work():
        _queue()
        raise RuntimeError("the event failed")
    assert _count() == 0


def test_two_transactions_queueing_the_same_event_at_once_both_commit(app):
    """The second insert waits for the first and does nothing: no error for its caller."""
    barrier = threading.Barrier(2, timeout=WAIT_SECONDS)
    results: list[object] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            with app.app_context():
                barrier.wait()
                with unit_of_work():
                    results.append(_queue() is not None)
                db.session.remove()
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert errors == []
    assert sorted(results) == [False, True]
    assert _count() == 1


def test_sms_are_not_queued_while_sms_is_off(app):
    with unit_of_work():
        assert _queue("06 12 34 56 78", channel=Channel.SMS) is None
    assert _count() == 0


def test_sms_numbers_are_stored_in_e164(app):
    app.config.update(SMS_PROVIDER="brevo", SMS_API_KEY="key", SMS_SENDER="PassNum")
    with unit_of_work():
        message = _queue("06 12 34 56 78", channel=Channel.SMS)
        assert message is not None and message.recipient == "+33612345678"
        assert _queue("+33 6 12 34 56 78", channel=Channel.SMS) is None  # the same number
        assert _queue("01 23 45 67 89", channel=Channel.SMS) is None  # a landline
    assert _count() == 1


@pytest.mark.parametrize(("raw", "expected"), [
    ("06 12 34 56 78", "+33612345678"), ("07.81.23.45.67", "+33781234567"),
    ("+33 6 12 34 56 78", "+33612345678"), ("0033612345678", "+33612345678"),
    ("01 23 45 67 89", None), ("06 12", None), ("pas un numéro", None), ("", None),
])
def test_french_mobile_numbers_to_e164(raw, expected):
    assert to_e164(raw) == expected


def test_render_message_reads_the_subject_line(app):
    subject, body = render_message("password_reset", name="Jeanne",
                                   url="http://passnum.test/r/abc")
    assert subject == "Pass numérique : réinitialisation de votre mot de passe"
    assert body.startswith("Bonjour Jeanne,")
    assert "http://passnum.test/r/abc" in body
