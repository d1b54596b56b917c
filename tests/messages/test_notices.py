"""Messages to beneficiaries: the welcome at hand-out, the reminders at day 30 and 30 days
before expiry, each once, only with consent and a contact, never a manual code."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from passnum.beneficiaries.models import Beneficiary
from passnum.booklets.models import Booklet
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.extensions import db
from passnum.messages import repository
from passnum.messages.models import Channel, OutboxMessage
from passnum.messages.notices import remind_expiring, remind_unused
from passnum.venues.bookings import book
from passnum.venues.models import Venue, Workshop, WorkshopBooking
from tests.communes.helpers import RAMBOUILLET, VERSAILLES, use_communes
from tests.factories import issue, make_venue, make_workshop
from tests.messages.helpers import (
    SMS_CONFIG,
    T0,
    frozen_world,
    given,
    job,
    messages,
    person,
    use,
)


@pytest.fixture
def world(app):
    yield from frozen_world()


def test_the_welcome_is_queued_at_hand_out_with_its_booklet_and_venues(app, world):
    with clock.frozen(T0):
        booklet = given(world, person(world.issuer78))
    [message] = messages()
    assert (message.channel, message.recipient, message.kind, message.event_key) == (
        Channel.EMAIL, "jeanne@example.org", "booklet_welcome", f"booklet.welcome:{booklet.id}")
    assert message.beneficiary_id == booklet.beneficiary_id
    assert message.subject == f"Pass numérique : votre chéquier n° {booklet.number}"
    body = message.body
    assert body.startswith("Bonjour Jeanne,")
    assert f"n° {booklet.number}" in body
    assert "valables du 02/03/2026 au 02/03/2027" in body
    assert "- Médiathèque des Sablons, 3 rue des Écoles, 78000 Commune" in body
    assert "http://passnum.test/lieux" in body
    assert "Pour ne plus recevoir de messages du Pass numérique : " \
           "http://passnum.test/messages/arret/" in body
    assert "réservé" not in body  # no booking
    assert "GeoNames" not in body and " km" not in body  # no distance, no credit for one
    for voucher in db.session.get(Booklet, booklet.id).vouchers:
        assert voucher.manual_code not in body
        assert voucher.serial not in body
    assert "/v/" not in body


def test_no_welcome_without_consent_or_without_a_contact(app, world):
    with clock.frozen(T0):
        given(world, person(world.issuer78, consent=False))
        given(world, person(world.issuer78, email=None, phone=None))
        given(world, person(world.issuer78, email=None, phone="06 12 34 56 78"))  # SMS off
    assert messages() == []


def test_the_welcome_at_issue_names_the_booked_first_workshop(app, world):
    with clock.frozen(T0):
        beneficiary = person(world.issuer78)
        workshop = make_workshop(world.venue78, days=3)
        db.session.add(WorkshopBooking(workshop_id=workshop.id, beneficiary_id=beneficiary.id))
        db.session.commit()
        booklet = issue(world.issuer78, beneficiary)
    [message] = messages()
    assert message.event_key == f"booklet.welcome:{booklet.id}"
    assert ("Votre premier atelier est réservé :\n« Atelier », le 05/03/2026 à 09 h 35,\n"
            "Médiathèque des Sablons, 3 rue des Écoles, 78000 Commune.") in message.body


def test_a_mobile_number_gets_an_sms_when_sms_is_configured(app, world):
    app.config.update(SMS_CONFIG)
    with clock.frozen(T0):
        booklet = given(world, person(world.issuer78, phone="06 12 34 56 78"))
    email, sms = messages()
    assert (email.channel, sms.channel, sms.recipient) == (
        Channel.EMAIL, Channel.SMS, "+33612345678")
    assert sms.event_key == email.event_key == f"booklet.welcome:{booklet.id}"
    assert sms.body.startswith(f"Pass numérique : votre chéquier n° {booklet.number} est "
                               "valable jusqu'au 02/03/2027.")
    assert "Stop : http://passnum.test/messages/arret/" in sms.body
    assert len(sms.body) < 320  # two SMS at most


def test_the_unused_reminder_comes_at_day_30_once_and_not_after_a_use(app, world):
    with clock.frozen(T0):
        idle = given(world, person(world.issuer78))
        started = given(world, person(world.issuer78, email="paul@example.org"))
        use(world, started, 1)
    day30 = T0 + timedelta(days=30)
    assert job(remind_unused, day30 - timedelta(minutes=1)) == 0
    assert job(remind_unused, day30) == 1
    assert job(remind_unused, day30 + timedelta(hours=1)) == 0
    assert job(remind_unused, day30 + timedelta(days=3)) == 0
    [reminder] = messages("booklet.unused_30d")
    assert (reminder.event_key, reminder.recipient) == (
        f"booklet.unused_30d:{idle.id}", "jeanne@example.org")
    assert f"n° {idle.number}" in reminder.body and "jusqu'au 02/03/2027" in reminder.body
    assert "http://passnum.test/messages/arret/" in reminder.body


def test_an_unused_booklet_long_forgotten_gets_no_late_reminder(app, world):
    with clock.frozen(T0):
        given(world, person(world.issuer78))
    assert job(remind_unused, T0 + timedelta(days=60)) == 0


def test_the_expiry_reminder_comes_30_days_before_while_cheques_remain(app, world):
    with clock.frozen(T0):
        partly = given(world, person(world.issuer78))
        used_up = given(world, person(world.issuer78, email="paul@example.org"))
        use(world, partly, 3)
        use(world, used_up, 10)
    expires = datetime(2027, 3, 2, 8, 0, tzinfo=PARIS)  # the booklets' last day
    assert job(remind_expiring, expires - timedelta(days=31)) == 0
    assert job(remind_expiring, expires - timedelta(days=30)) == 1
    assert job(remind_expiring, expires - timedelta(days=29)) == 0
    [reminder] = messages("booklet.expiring_30d")
    assert reminder.event_key == f"booklet.expiring_30d:{partly.id}"
    assert reminder.subject == "Pass numérique : votre chéquier expire le 02/03/2027"
    assert "Il vous reste 7 chèques à utiliser." in reminder.body


def test_no_reminder_once_the_person_withdrew_consent(app, world):
    with clock.frozen(T0):
        booklet = given(world, person(world.issuer78))
    with unit_of_work():
        db.session.get(Beneficiary, booklet.beneficiary_id).messages_consent_at = None
    assert job(remind_unused, T0 + timedelta(days=30)) == 0
    assert job(remind_expiring, datetime(2027, 2, 1, 9, tzinfo=PARIS)) == 0
    assert messages("booklet.welcome")  # the welcome went before


def test_the_welcome_lists_the_nearest_venues_with_their_distance(app, world, monkeypatch):
    use_communes(monkeypatch)
    with clock.frozen(T0):
        far = make_venue(world.d78)
        far.name, far.commune_insee = "Maison de quartier", RAMBOUILLET.insee
        near = db.session.get(Venue, world.venue78.id)
        near.latitude, near.longitude = 48.80, 2.13
        db.session.commit()
        beneficiary = person(world.issuer78, postal_code="78000")
        with unit_of_work():
            db.session.get(Beneficiary, beneficiary.id).commune_insee = VERSAILLES.insee
        given(world, beneficiary)
    [welcome] = messages()
    lines = [line for line in welcome.body.splitlines() if line.startswith("- ")]
    assert lines[0] == "- Médiathèque des Sablons, 3 rue des Écoles, 78000 Commune (à 0,9 km)"
    assert lines[1].startswith("- Maison de quartier, 78000 Commune (à 2")
    # the source of the communes' positions, once, at the foot
    foot = welcome.body.split("\n-- \n")[1]
    assert welcome.body.count("GeoNames") == 1
    assert "Distances à vol d'oiseau ; positions des communes : GeoNames (CC BY 4.0)" in foot


def _book(world, beneficiary, workshop):
    with clock.frozen(T0), unit_of_work():
        return book(world.issuer78, db.session.get(Beneficiary, beneficiary.id),
                    db.session.get(Workshop, workshop.id))


def test_a_booking_made_before_the_welcome_left_is_written_into_it(app, world):
    app.config.update(SMS_CONFIG)
    with clock.frozen(T0):
        beneficiary = person(world.issuer78, phone="06 12 34 56 78")
        booklet = given(world, beneficiary)
        workshop = make_workshop(world.venue78, days=2)
    _book(world, beneficiary, workshop)
    email, sms = messages()  # still one welcome per channel, no other message
    assert email.event_key == sms.event_key == f"booklet.welcome:{booklet.id}"
    assert "Votre premier atelier est réservé :\n« Atelier », le 04/03/2026 à 09 h 35" \
        in email.body
    assert "Atelier réservé le 04/03/2026 à 09 h 35, Médiathèque des Sablons." in sms.body


def test_a_booking_made_after_the_welcome_left_gets_a_message_of_its_own(app, world):
    with clock.frozen(T0):
        beneficiary = person(world.issuer78)
        booklet = given(world, beneficiary)
        workshop = make_workshop(world.venue78, days=2)
    with unit_of_work():  # a sender has taken the welcome
        db.session.execute(update(OutboxMessage).values(attempts=1))
    booking = _book(world, beneficiary, workshop)
    welcome, booked = messages()
    assert welcome.event_key == f"booklet.welcome:{booklet.id}"
    assert "réservé" not in welcome.body
    assert booked.event_key.startswith(f"workshop.booked:{booking.id}:")
    assert (booked.kind, booked.recipient) == ("workshop_booked", "jeanne@example.org")
    assert booked.subject == "Pass numérique : votre atelier du 04/03/2026 est réservé"
    assert "« Atelier », le 04/03/2026 à 09 h 35,\nMédiathèque des Sablons" in booked.body
    assert "http://passnum.test/messages/arret/" in booked.body


def test_no_booking_message_without_consent(app, world):
    with clock.frozen(T0):
        beneficiary = person(world.issuer78, consent=False)
        given(world, beneficiary)
        workshop = make_workshop(world.venue78, days=2)
    _book(world, beneficiary, workshop)
    assert messages() == []


def test_a_landline_gets_no_sms_and_no_warning_each_run(app, world, caplog):
    app.config.update(SMS_CONFIG)
    with clock.frozen(T0):
        given(world, person(world.issuer78, email=None, phone="01 39 22 33 44"))
        mobile = given(world, person(world.issuer78, email=None, phone="07 81 23 45 67"))
    assert [(m.channel, m.event_key) for m in messages()] == [
        (Channel.SMS, f"booklet.welcome:{mobile.id}")]
    with caplog.at_level("WARNING"):
        assert job(remind_unused, T0 + timedelta(days=30)) == 1
        assert job(remind_unused, T0 + timedelta(days=30, minutes=5)) == 0
    assert "not a mobile phone number" not in caplog.text


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgres"])
def test_a_sender_and_a_booking_never_both_have_the_welcome(app, world):
    """A sender read the unsent welcome (PostgreSQL, read committed), then the desk's
    booking committed: the booking replaced the welcome by a new row, so the sender's
    claim of the row it read fails, and the new one, with the booking, is the only
    welcome sent. (SQLite serialises the sender's read and claim with any writer.)"""
    with clock.frozen(T0):
        beneficiary = person(world.issuer78)
        given(world, beneficiary)
        workshop = make_workshop(world.venue78, days=2)
    [read] = messages()  # what a sender read before the booking
    read_id, seen = read.id, read.attempts
    _book(world, beneficiary, workshop)
    with unit_of_work():
        assert not repository.claim(read_id, seen_attempts=seen, now=T0 + timedelta(minutes=1),
                                    lease_until=T0 + timedelta(minutes=16))
    [welcome] = messages()
    assert welcome.id != read_id and "Votre premier atelier est réservé" in welcome.body
