"""SMS through Brevo's transactional API (a local stand-in speaking its contract)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask import Flask

from passnum.core.clock import frozen
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.delivery import deliver_due
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.services import enqueue
from tests.mailserver import free_port
from tests.messages.brevo_standin import API_KEY, BrevoStandIn

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def brevo(app: Flask) -> Iterator[BrevoStandIn]:
    """The stand-in, and ``app`` configured to send SMS through it."""
    standin = BrevoStandIn().start()
    app.config.update(SMS_PROVIDER="brevo", SMS_API_KEY=API_KEY, SMS_SENDER="PassNum",
                      SMS_API_URL=standin.url)
    yield standin
    standin.stop()


def _queue(number: str, key: str = "test.event:1", body: str = "Votre chéquier est prêt.") -> int:
    with unit_of_work():
        message = enqueue(channel=Channel.SMS, recipient=number, kind="test", event_key=key,
                          subject="", body=body)
        assert message is not None
        return message.id


def _message(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_an_sms_is_sent_once_in_brevos_shape(app, brevo):
    with frozen(T0):
        message_id = _queue("06 12 34 56 78")
        assert deliver_due().sent == 1
        assert deliver_due().attempted == 0
    assert brevo.sent == [{"sender": "PassNum", "recipient": "33612345678",
                           "content": "Votre chéquier est prêt.", "type": "transactional",
                           "tag": "test", "unicodeEnabled": True}]
    stored = _message(message_id)
    assert (stored.status, stored.sent_at) == (MessageStatus.SENT, T0)


def test_a_number_the_api_refuses_fails_at_once(app, brevo):
    with frozen(T0):
        message_id = _queue("+33 6 98 76 54 32")
        assert deliver_due().failed == 1
    stored = _message(message_id)
    assert stored.status == MessageStatus.FAILED
    assert stored.last_error == "Brevo 400 invalid_parameter: Invalid mobile number"
    assert brevo.sent == []


@pytest.mark.parametrize(("setting", "expected"), [
    ({"SMS_API_KEY": "wrong"}, "Brevo 401 unauthorized: Key not found"),
    ({"SMS_API_URL": f"http://127.0.0.1:{free_port()}/v3"}, "API SMS injoignable"),
])
def test_an_account_or_network_problem_is_retried(app, brevo, setting, expected):
    app.config.update(setting)
    with frozen(T0):
        message_id = _queue("06 12 34 56 78")
        assert deliver_due().retried == 1
    stored = _message(message_id)
    assert stored.status == MessageStatus.PENDING
    assert stored.last_error.startswith(expected)
    assert "612345678" not in stored.last_error


def test_no_credit_left_is_retried_and_sent_once_credit_is_back(app, brevo):
    brevo.credits = 0
    with frozen(T0):
        message_id = _queue("06 12 34 56 78")
        assert deliver_due().retried == 1
    assert _message(message_id).last_error == "Brevo 402 not_enough_credits: Not enough credits"
    brevo.credits = 5
    with frozen(_message(message_id).next_attempt_at):
        assert deliver_due().sent == 1
    assert len(brevo.sent) == 1
