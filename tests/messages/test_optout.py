"""The stop link of every message to a beneficiary: a public page that asks, then
withdraws the consent to messages; its code is opaque (no id in it, none guessed from
one); malformed or unknown codes refused; the code never logged."""

from __future__ import annotations

import base64
import json
import re
from datetime import timedelta

import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy import select

from passnum.audit.models import AuditEvent
from passnum.beneficiaries.models import Beneficiary
from passnum.beneficiaries.retention import pseudonymise
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.core.signing import sign_serial
from passnum.errors import NotFound
from passnum.extensions import db
from passnum.messages.models import OutboxMessage
from passnum.messages.notices import remind_expiring, remind_unused
from passnum.messages.optout import CODE_FORM, holder_of, stop_code
from tests import logcapture
from tests.conftest import IsolatedClient, make_app
from tests.factories import World, make_beneficiary
from tests.messages.helpers import T0, frozen_world, given, job, person

STOP = "/messages/arret/"


@pytest.fixture
def world(app):
    yield from frozen_world()


def _code(beneficiary_id: int) -> str:
    """The person's stop code, written now when they have none (as a message does)."""
    with unit_of_work():
        return stop_code(beneficiary_id)


def _consent(beneficiary_id: int):
    return db.session.scalar(select(Beneficiary.messages_consent_at)
                             .where(Beneficiary.id == beneficiary_id))


def test_the_page_asks_then_stops_the_messages(app, client, world):
    with clock.frozen(T0):
        beneficiary = person(world.issuer78)
        booklet = given(world, beneficiary)
    [welcome] = db.session.scalars(select(OutboxMessage)).all()
    url = re.search(r"http://passnum\.test(/messages/arret/\S+)", welcome.body)[1]
    stored = db.session.scalar(select(Beneficiary.messages_stop_code)
                               .where(Beneficiary.id == beneficiary.id))
    assert CODE_FORM.fullmatch(stored) and url == STOP + stored

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


def test_the_link_holds_no_id_and_a_code_guessed_from_an_id_is_refused(app, client, world):
    with clock.frozen(T0):
        people = [person(world.issuer78), person(world.issuer78, last_name="Martin")]
        for beneficiary in people:
            given(world, beneficiary)
    links = {}
    for message in db.session.scalars(select(OutboxMessage)):
        [links[message.beneficiary_id]] = re.findall(r"/messages/arret/(\S+)", message.body)
    assert set(links) == {beneficiary.id for beneficiary in people}
    # two consecutive ids, two codes with nothing in common: no payload, no signature,
    # 16 random bytes each
    first, second = (links[beneficiary.id] for beneficiary in people)
    assert first[:4] != second[:4] and first[-4:] != second[-4:]
    for beneficiary in people:
        code = links[beneficiary.id]
        assert CODE_FORM.fullmatch(code)
        assert len(base64.urlsafe_b64decode(code + "==")) == 16
        # a message written later carries the same link
        assert _code(beneficiary.id) == code
    # what one could make of an id: the old signed form, the id itself, the id padded
    # to a well-formed code, the code of the next person
    old_form = URLSafeSerializer(app.config["SECRET_KEY"], salt="passnum.messages.stop.v1")
    for beneficiary in people:
        number = str(beneficiary.id)
        for guess in (old_form.dumps([beneficiary.id, "stop"]), number,
                      number.rjust(22, "0"), base64.urlsafe_b64encode(
                          f"[{number},\"stop\"]".encode()).decode().rstrip("=")):
            with pytest.raises(NotFound):
                holder_of(guess)
            assert client.post(STOP + guess).status_code == 404, guess
    assert all(_consent(beneficiary.id) is not None for beneficiary in people)


def _refused(code: str) -> list[str]:
    return [
        code[:-1] + ("A" if code[-1] != "A" else "B"),  # altered: well-formed, unknown
        code[:-4],  # truncated
        code + "x",  # too long
        code[:-1] + ".",  # outside the alphabet
        "A" * 22,  # well-formed, unknown
        sign_serial("78-AAAA-BBBB-01"),  # a voucher's token
        "x" * 300,
    ]


def test_a_malformed_or_unknown_code_is_refused_and_changes_nothing(app, client, world):
    beneficiary = person(world.issuer78)
    for code in _refused(_code(beneficiary.id)):
        with pytest.raises(NotFound):
            holder_of(code)
        for answer in (client.get(STOP + code), client.post(STOP + code)):
            assert answer.status_code == 404, code
            assert answer.get_data(as_text=True).count("pas valide") == 1, code
    assert client.get(STOP + "é").status_code == 404
    assert _consent(beneficiary.id) is not None
    assert db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "beneficiary.messages_stopped")) is None


def test_a_person_without_consent_or_since_purged_gets_the_same_answer(app, client, world):
    without = person(world.issuer78, consent=False)
    purged = person(world.issuer78, last_name="Martin")
    codes = [_code(without.id), _code(purged.id)]
    with unit_of_work():
        pseudonymise([purged.id], actor_id=None, retention_months=36)
    for code in codes:
        response = client.post(STOP + code)
        assert response.status_code == 200
        assert "Vous ne recevrez plus de messages" in response.get_data(as_text=True)
    # the purge keeps the consent, proof the messages were lawfully sent
    assert _consent(purged.id) is not None
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
        url = STOP + _code(beneficiary.id)
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


def test_the_code_is_never_logged(app, client, world):
    beneficiary = person(world.issuer78)
    code = _code(beneficiary.id)
    before = len(logcapture.RECORDS.lines)
    client.get(STOP + code)
    client.post(STOP + code)
    client.get(STOP + code + "x")  # refused
    records = logcapture.RECORDS.lines[before:]
    access = [line for line in records if line.startswith("passnum.access")]
    assert len(access) == 3
    assert all("/messages/arret/…" in line for line in access)
    assert not any(code in line for line in records)
