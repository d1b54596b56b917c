"""``/admin/messages``: where the outbox stands, its failed messages, and "Réessayer"."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core.clock import frozen
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages.delivery import deliver_due
from passnum.messages.models import Channel, MessageStatus, OutboxMessage
from passnum.messages.services import enqueue
from tests.conftest import IsolatedClient, make_app
from tests.factories import (
    PASSWORD,
    login,
    make_departement,
    make_structure,
    make_user,
    second_step,
)
from tests.mailserver import REFUSED

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def _failed_message(mail) -> int:
    """A password reset e-mail whose recipient the server refuses for good."""
    with frozen(T0), unit_of_work():
        message = enqueue(channel=Channel.EMAIL, recipient=REFUSED, kind="password_reset",
                          event_key="test:1", subject="Objet",
                          body="Bonjour Jeanne Lenoir, votre lien…")
        message_id = message.id
    with frozen(T0):
        assert deliver_due().failed == 1
    return message_id


def test_the_page_shows_counts_and_failures_without_bodies(app, client, mail):
    message_id = _failed_message(mail)
    with unit_of_work():
        enqueue(channel=Channel.EMAIL, recipient="paul@example.org", kind="test",
                event_key="test:2", subject="Objet", body="Bonjour")
    login(client, make_user(Role.ADMIN))
    page = client.get("/admin/messages/")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Réinitialisation du mot de passe" in text
    assert "r…@example.org" in text and REFUSED not in text
    assert "SMTP 550 5.1.1" in text
    assert text.count("02/03/2026 10:00") == 2  # created and failed at T0 (Paris time)
    assert "Jeanne" not in text and "Lenoir" not in text  # the body is never shown
    assert re.search(r"<dt>En attente d&#39;envoi</dt><dd>1</dd>", text)
    assert re.search(r"<dt>Échec</dt><dd>1</dd>", text)
    assert f'/admin/messages/{message_id}/reessayer' in text


def test_retry_puts_a_failed_message_back_in_the_queue(app, client, mail):
    message_id = _failed_message(mail)
    login(client, make_user(Role.ADMIN))
    answer = client.post(f"/admin/messages/{message_id}/reessayer")
    assert answer.status_code == 302
    db.session.expire_all()
    message = db.session.get(OutboxMessage, message_id)
    assert (message.status, message.attempts, message.last_error) == (
        MessageStatus.PENDING, 0, None)
    assert db.session.scalar(select(AuditEvent.action).where(
        AuditEvent.action == "message.retried")) == "message.retried"
    again = client.post(f"/admin/messages/{message_id}/reessayer")  # not failed any more
    assert again.status_code == 302
    assert "pas en échec" in client.get("/admin/messages/").get_data(as_text=True)
    assert client.post("/admin/messages/999999/reessayer").status_code == 404


@pytest.mark.parametrize("role", [Role.MANAGER, Role.ISSUER])
def test_only_administrators_see_the_page(app, client, role):
    scope = ({"departement_id": make_departement().id} if role == Role.MANAGER else {})
    if role == Role.ISSUER:
        scope = {"structure_id": make_structure(make_departement("92")).id}
    login(client, make_user(role, **scope))
    assert client.get("/admin/messages/").status_code == 403
    assert client.post("/admin/messages/1/reessayer").status_code == 403


def test_retry_needs_the_csrf_token(backend, tmp_path, request):
    app = make_app(backend, tmp_path, request, WTF_CSRF_ENABLED=True)
    with app.app_context():
        app.test_client_class = IsolatedClient
        client = app.test_client()
        with unit_of_work():
            message = enqueue(channel=Channel.EMAIL, recipient="a@example.org", kind="test",
                              event_key="test:1", subject="Objet", body="Bonjour")
            message.status = MessageStatus.FAILED
            message_id = message.id
        admin = make_user(Role.ADMIN)
        token = CSRF.search(client.get("/connexion").get_data(as_text=True))[1]
        second_step(client, admin.id, client.post("/connexion", data={
            "email": admin.email, "password": PASSWORD, "csrf_token": token}))
        client.post(f"/admin/messages/{message_id}/reessayer")
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message_id).status == MessageStatus.FAILED
        token = CSRF.search(client.get("/admin/messages/").get_data(as_text=True))[1]
        client.post(f"/admin/messages/{message_id}/reessayer", data={"csrf_token": token})
        db.session.expire_all()
        assert db.session.get(OutboxMessage, message_id).status == MessageStatus.PENDING
        db.session.remove()
        db.engine.dispose()
