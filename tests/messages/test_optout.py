"""The stop link of every message to a beneficiary: a public page that asks, then
withdraws the consent to messages; forged links refused; the token never logged."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.models import Beneficiary
from passnum.core import clock
from passnum.core.signing import sign_serial
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.messages.models import OutboxMessage
from passnum.messages.notices import remind_expiring, remind_unused
from passnum.messages.optout import SALT, read_stop_token, stop_token
from tests import logcapture
from tests.conftest import IsolatedClient, make_app
from tests.factories import World, make_beneficiary
from tests.messages.helpers import T0, frozen_world, given, job, person

STOP = "/messages/arret/"


@pytest.fixture
def world(app):
    yield from frozen_world()


def _consent(beneficiary_id: int):
    return db.session.scalar(select(Beneficiary.messages_consent_at)
                             .where(Beneficiary.id == beneficiary_id))


def test_the_page_asks_then_stops_the_messages(app, client, world):
    with clock.frozen(T0):
        beneficiary = person(world.issuer78)
        booklet = given(world, beneficiary)
    [welcome] = db.session.scalars(select(OutboxMessage)).all()
    url = re.search(r"http://passnum\.test(/messages/arret/\S+)", welcome.body)[1]
    assert url == STOP + stop_token(beneficiary.id)

    page = client.get(url)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ne plus recevoir de messages" in html and '<form method="post"' in html
    for private in ("Jeanne", beneficiary.last_name, "jeanne@example.org", booklet.number):
        assert private not in html
    assert _consent(beneficiary.id) is not None  # a GET (a link preview) stops nothing

    done = client.post(url)
    assert done.status_code == 200
    assert "Vous ne recevrez plus de messages" in done.get_data(as_text=True)
    assert _consent(beneficiary.id) is None
    # the welcome not yet sent is dropped with the consent
    assert db.session.scalars(select(OutboxMessage)).all() == []
    [event] = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "beneficiary.messages_stopped")).all()
    assert (event.actor_id, event.object_type, event.object_id) == (
        None, "beneficiary", str(beneficiary.id))
    assert json.loads(event.details) == {"pending_dropped": 1}

    # no more messages: neither reminder is queued
    assert job(remind_unused, T0 + timedelta(days=30)) == 0
    assert job(remind_expiring, T0 + timedelta(days=340)) == 0
    # following the link again answers alike and records nothing more
    assert client.post(url).status_code == 200
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "beneficiary.messages_stopped").offset(1)) is None


def _forged(app, beneficiary_id: int) -> list[str]:
    good = stop_token(beneficiary_id)
    other_key = URLSafeSerializer("another-secret-key-0123456789", salt=SALT)
    same_key = URLSafeSerializer(app.config["SECRET_KEY"], salt=SALT)
    return [
        good[:-1] + ("A" if good[-1] != "A" else "B"),  # altered signature
        good[:-4],  # truncated
        other_key.dumps([beneficiary_id, "stop"]),  # signed with another key
        same_key.dumps([beneficiary_id, "reset"]),  # another purpose
        same_key.dumps([str(beneficiary_id), "stop"]),  # not an id
        same_key.dumps({"id": beneficiary_id}),
        sign_serial("78-AAAA-BBBB-01"),  # a voucher's token
        "x" * 300,
        "WzEsInN0b3AiXQ",  # the payload without its signature
    ]


def test_a_forged_link_is_refused_and_changes_nothing(app, client, world):
    beneficiary = person(world.issuer78)
    for token in _forged(app, beneficiary.id):
        with pytest.raises(NotFound):
            read_stop_token(token)
        assert client.get(STOP + token).status_code == 404, token
        assert client.post(STOP + token).status_code == 404, token
    assert client.get(STOP + "é").status_code == 404
    assert _consent(beneficiary.id) is not None
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "beneficiary.messages_stopped")) is None


def test_a_person_without_consent_or_since_purged_gets_the_same_answer(app, client, world):
    beneficiary = person(world.issuer78, consent=False)
    for beneficiary_id in (beneficiary.id, beneficiary.id + 1000):
        response = client.post(STOP + stop_token(beneficiary_id))
        assert response.status_code == 200
        assert "Vous ne recevrez plus de messages" in response.get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "beneficiary.messages_stopped")) is None


def test_the_stop_form_needs_its_csrf_token(tmp_path, request):
    app = make_app("sqlite", tmp_path, request, WTF_CSRF_ENABLED=True)
    app.test_client_class = IsolatedClient
    with app.app_context():
        world = World()
        beneficiary = make_beneficiary(world.issuer78, email="jeanne@example.org")
        db.session.get(Beneficiary, beneficiary.id).messages_consent_at = clock.now()
        db.session.commit()
        url = STOP + stop_token(beneficiary.id)
        client = app.test_client()
        refused = client.post(url)  # back to the form, which says it expired
        assert (refused.status_code, refused.location) == (302, f"{url}?reprise=1")
        assert _consent(beneficiary.id) is not None
        page = client.get(url).get_data(as_text=True)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)[1]
        assert client.post(url, data={"csrf_token": csrf}).status_code == 200
        assert _consent(beneficiary.id) is None
        db.session.remove()
        db.engine.dispose()


def test_the_token_is_never_logged(app, client, world):
    beneficiary = person(world.issuer78)
    token = stop_token(beneficiary.id)
    before = len(logcapture.RECORDS.lines)
    client.get(STOP + token)
    client.post(STOP + token)
    client.get(STOP + token + "x")  # refused
    records = logcapture.RECORDS.lines[before:]
    access = [line for line in records if line.startswith("passnum.access")]
    assert len(access) == 3
    assert all("/messages/arret/…" in line for line in access)
    assert not any(token in line or token.split(".")[1] in line for line in records)
