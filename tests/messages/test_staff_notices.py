"""Notices to venues and staff: label decisions, statements validated and paid, and the
weekly digest of expiring booklets to issuers."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from passnum.auth.models import Role, User
from passnum.core import clock
from passnum.core.clock import PARIS
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.messages.models import Channel, OutboxMessage
from passnum.messages.staff_notices import iso_week, send_expiry_digests
from passnum.statements import services as statements
from passnum.venues.labels import set_agent_active
from passnum.venues.models import LabelStatus, Venue
from tests.factories import World, make_beneficiary, make_user, make_venue
from tests.messages.helpers import T0, frozen_world, given, job, person, use
from tests.statements.helpers import at, build, generate, paris, validate
from tests.venues.test_labels import apply, decide


@pytest.fixture
def world(app):
    yield from frozen_world()


def queued(prefix: str) -> list[OutboxMessage]:
    return list(db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.event_key.startswith(prefix))
        .order_by(OutboxMessage.id)))


def test_each_label_decision_is_mailed_to_the_venue_s_agents_with_its_reason(app):
    w = World()
    venue = apply(w.d78.id)
    change = decide(w.manager78, venue, "approve", "Dossier complet et charte signée")
    [approved] = queued("venue.label_changed")
    assert (approved.channel, approved.recipient, approved.kind, approved.event_key) == (
        Channel.EMAIL, "marie@example.org", "venue_label_decision",
        f"venue.label_changed:{change.id}")
    assert approved.subject == "Pass numérique : label approuvé pour Médiathèque de Poissy"
    assert "Motif de la décision : Dossier complet et charte signée" in approved.body
    assert "peut désormais encaisser" in approved.body

    make_user(Role.VENUE_AGENT, venue_id=venue.id, email="agent@example.org")
    retired = make_user(Role.VENUE_AGENT, venue_id=venue.id, email="ancien@example.org")
    marie = db.session.get(User, approved.user_id)
    with unit_of_work():
        set_agent_active(marie, retired, active=False)
    decide(w.manager78, venue, "suspend", "Chèques encaissés sans atelier")
    suspended = queued("venue.label_changed")[1:]
    assert sorted(m.recipient for m in suspended) == ["agent@example.org", "marie@example.org"]
    assert suspended[0].subject == "Pass numérique : label suspendu pour Médiathèque de Poissy"
    assert "Motif de la décision : Chèques encaissés sans atelier" in suspended[0].body
    decide(w.manager78, venue, "reactivate", "Contrôle satisfaisant")
    decide(w.manager78, venue, "withdraw", "Fermeture du lieu")
    subjects = [m.subject for m in queued("venue.label_changed")[3:]]
    assert subjects == ["Pass numérique : label réactivé pour Médiathèque de Poissy"] * 2 + [
        "Pass numérique : label retiré pour Médiathèque de Poissy"] * 2
    assert db.session.get(Venue, venue.id).label_status == LabelStatus.WITHDRAWN


def test_a_refused_decision_mails_nothing(app):
    w = World()
    venue = make_venue(w.d78, status=LabelStatus.WITHDRAWN)
    make_user(Role.VENUE_AGENT, venue_id=venue.id)
    with pytest.raises(DomainError) as refused:
        decide(w.manager78, venue, "approve")
    assert refused.value.code == "illegal_label_transition"
    assert queued("venue.") == []


def test_statement_validated_then_paid_is_mailed_to_the_venue_s_agents(app):
    sw = build()
    sw.take("a", paris(2024, 3, 5, 10), "78", "78")
    statement = generate(sw.world.manager78, sw.places["a"].venue, sw.dep("78"),
                         date(2024, 3, 1))
    agent = sw.places["a"].agent
    validate(sw.world.manager78, statement)
    [validated] = queued("statement.")
    assert (validated.recipient, validated.user_id, validated.event_key) == (
        agent.email, agent.id, f"statement.validated:{statement.id}")
    reference = f"RL-78-2024-03-{statement.id:06d}"
    assert validated.subject == f"Pass numérique : relevé {reference} validé (mars 2024)"
    assert "Chèques : 2\nMontant à rembourser : 20,00\u00a0€" in validated.body
    assert "validé par le département Yvelines" in validated.body
    with at(paris(2024, 4, 6, 10)), unit_of_work():
        statements.mark_paid(sw.world.manager78, statement, date(2024, 4, 5), "MDT-2024-118")
    paid = queued("statement.")[1]
    assert paid.event_key == f"statement.paid:{statement.id}"
    assert paid.subject == f"Pass numérique : relevé {reference} payé (mars 2024)"
    assert "Date du paiement : 05/04/2024\nRéférence du paiement : MDT-2024-118" in paid.body
    assert "Montant : 20,00\u00a0€" in paid.body


def test_the_weekly_digest_goes_once_a_week_to_the_structure_s_issuers(app, world):
    colleague = make_user(Role.ISSUER, structure_id=world.s78.id)
    with clock.frozen(T0):
        first = given(world, person(world.issuer78))
        done = given(world, person(world.issuer78, email="paul@example.org"))
        use(world, done, 10)
        make_beneficiary(world.issuer92)  # another structure: nothing expiring there
    monday = datetime(2027, 2, 8, 7, 0, tzinfo=PARIS)  # 22 days before expiry
    assert job(send_expiry_digests, monday - timedelta(days=14)) == 0  # 36 days before
    assert job(send_expiry_digests, monday) == 2  # the issuer and the colleague
    assert job(send_expiry_digests, monday + timedelta(days=3)) == 0  # same week
    assert job(send_expiry_digests, monday + timedelta(days=7)) == 2  # next week
    digests = queued("booklets.expiring_digest")
    assert sorted({m.recipient for m in digests}) == sorted(
        [world.issuer78.email, colleague.email])
    assert {m.event_key for m in digests} == {
        f"booklets.expiring_digest:{world.s78.id}:2027-W06",
        f"booklets.expiring_digest:{world.s78.id}:2027-W07"}
    body = digests[0].body
    assert f"- n° {first.number} : expire le 02/03/2027, 10 chèques restants" in body
    assert done.number not in body  # every chèque used
    assert "http://passnum.test/echeances" in body
    assert digests[0].subject == (f"Pass numérique : 1 chéquier de {world.s78.name} expire "
                                  "dans les 30 jours")


def test_iso_weeks_are_paris_weeks():
    assert iso_week(datetime(2027, 1, 3, 23, 30, tzinfo=PARIS)) == "2026-W53"
    assert iso_week(datetime(2027, 1, 4, 0, 30, tzinfo=PARIS)) == "2027-W01"
