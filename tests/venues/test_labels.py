"""Venue qualification services: application, label decisions, the venue's agent accounts."""

import json
import threading
from typing import Any

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role, User
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.venues.labels import add_venue_agent, apply_for_label, change_label, set_agent_active
from passnum.venues.models import LabelStatus, Venue, VenueLabelChange
from tests.factories import PASSWORD, World, make_departement, make_user, make_venue

SIRET = "732 829 320 00074"
IBAN = "fr76 3000 6000 0112 3456 7890 189"


def application(dep_id: int, **over: Any) -> dict[str, Any]:
    """Valid application values."""
    values: dict[str, Any] = {
        "name": "Médiathèque de Poissy", "address": "1 place de la République",
        "postal_code": "78300", "commune_insee": "78498", "departement_id": dep_id,
        "siret": SIRET, "legal_representative": "Marie Curie, directrice", "iban": IBAN,
        "mediation_services": ["outils_quotidien", "demarches"],
        "summary": "Ateliers smartphone le mardi.", "phone": "01 39 22 33 44",
        "applicant_name": "Marie Curie", "email": "Marie@Example.org",
        "password": "une-phrase-longue", "charter_accepted": True,
    }
    values.update(over)
    return values


def apply(dep_id: int, **over: Any) -> Venue:
    """Apply through the service, committed."""
    with unit_of_work():
        return apply_for_label(**application(dep_id, **over))


def refused(fn, *args: Any, **kwargs: Any) -> DomainError:
    """Run ``fn`` in a unit of work and return the refusal it raises."""
    with pytest.raises(DomainError) as caught, unit_of_work():
        fn(*args, **kwargs)
    return caught.value


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def decide(actor: User, venue: Venue, action: str, reason: str = "Dossier complet"):
    with unit_of_work():
        return change_label(actor, venue, action, reason)


# --- application ------------------------------------------------------------------------


def test_application_creates_a_pending_venue_its_lead_agent_and_an_audit_entry(app):
    dep = make_departement("78")
    venue = apply(dep.id)
    db.session.expire_all()
    venue = db.session.get(Venue, venue.id)
    assert venue.label_status == LabelStatus.PENDING and not venue.is_label_active
    assert venue.siret == "73282932000074" and venue.iban == "FR7630006000011234567890189"
    assert venue.slug == "mediatheque-de-poissy" and venue.charter_accepted_at is not None
    assert venue.phone == "+33139223344" and venue.departement_id == dep.id
    # the services and the presentation start the public profile
    assert venue.mediation_services == ["demarches", "outils_quotidien"]
    assert venue.summary == "Ateliers smartphone le mardi."
    assert venue.profile_updated_at is not None
    lead = db.session.scalars(select(User).where(User.venue_id == venue.id)).one()
    assert lead.email == "marie@example.org" and lead.role == Role.VENUE_AGENT
    assert lead.is_venue_lead and lead.full_name == "Marie Curie"
    assert audit_actions() == ["user.created", "venue.applied"]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "venue.applied"))
    assert event.actor_id == lead.id and "Marie" not in event.details
    assert json.loads(event.details) == {"departement_id": dep.id, "siret": "73282932000074",
                                         "lead_account": "created"}


def test_a_second_venue_of_the_same_name_gets_its_own_slug(app):
    dep = make_departement("78")
    apply(dep.id)
    other = apply(dep.id, siret="21785260781597", email="autre@example.org")
    assert other.slug == "mediatheque-de-poissy-2"


def test_an_already_used_siret_is_refused_clearly(app):
    dep = make_departement("78")
    apply(dep.id)
    err = refused(apply_for_label, **application(dep.id, email="autre@example.org",
                                                 siret="73282932000074"))
    assert err.code == "siret_taken" and err.field == "siret" and err.http_status == 409
    assert "déjà celui d'un lieu inscrit" in err.message
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 1


def test_the_database_also_refuses_a_siret_twice(app):
    """The race: the check passed for both, the unique index decides."""
    dep = make_departement("78")
    make_venue(dep).siret = "73282932000074"
    db.session.commit()
    with pytest.raises(DomainError) as caught, unit_of_work():
        venue = Venue(slug="x", name="X", departement_id=dep.id, siret="73282932000074")
        from passnum.venues.labels import _insert_venue

        _insert_venue(venue)
    assert caught.value.code == "siret_taken"


def test_an_already_used_email_gets_no_second_account_and_no_tell(app):
    dep = make_departement("78")
    apply(dep.id)
    with unit_of_work():
        venue = apply_for_label(**application(dep.id, siret="21785260781597",
                                              email=" MARIE@example.org "))
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 2
    assert db.session.scalar(select(func.count()).select_from(User)
                             .where(User.venue_id == venue.id)) == 0


@pytest.mark.parametrize(("over", "code", "field"), [
    ({"siret": "73282932000075"}, "siret_invalid", "siret"),
    ({"siret": "1234"}, "siret_malformed", "siret"),
    ({"iban": "FR77 3000 6000 0112 3456 7890 189"}, "iban_invalid", "iban"),
    ({"iban": "DE89 3704 0044 0532 0130"}, "iban_length", "iban"),
    ({"postal_code": "7830"}, "postal_code_invalid", "postal_code"),
    ({"phone": "12"}, "phone_invalid", "phone"),
    ({"name": "   "}, "value_required", "name"),
    ({"summary": "x" * 281}, "value_too_long", "summary"),
    ({"mediation_services": []}, "services_required", "mediation_services"),
    ({"mediation_services": ["demarches", "cuisine"]}, "code_unknown", "mediation_services"),
    ({"departement_id": 999}, "departement_unknown", "departement_id"),
    ({"departement_id": "78"}, "departement_unknown", "departement_id"),
    ({"password": "court"}, "password_too_short", "password"),
    ({"applicant_name": ""}, "value_required", "applicant_name"),
    ({"email": "pas-une-adresse"}, "invalid_input", "email"),
    ({"charter_accepted": False}, "charter_required", "charter"),
])
def test_bad_applications_are_refused_on_their_field(app, over, code, field):
    dep = make_departement("78")
    err = refused(apply_for_label, **application(dep.id, **over))
    assert (err.code, err.field) == (code, field) and err.message
    assert db.session.scalar(select(func.count()).select_from(Venue)) == 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


# --- label decisions --------------------------------------------------------------------


def test_approve_suspend_reactivate_withdraw_with_history_and_audit(app):
    world = World()
    venue = apply(world.d78.id)
    decide(world.manager78, venue, "approve", "  Dossier   complet ")
    db.session.expire_all()
    assert venue.label_status == LabelStatus.ACTIVE and venue.label_reason == "Dossier complet"
    assert venue.label_changed_at is not None
    decide(world.manager78, venue, "suspend", "Plainte d'un bénéficiaire")
    decide(world.admin, venue, "reactivate", "Situation régularisée")
    decide(world.manager78, venue, "withdraw", "Fermeture du lieu")
    db.session.expire_all()
    assert venue.label_status == LabelStatus.WITHDRAWN
    changes = db.session.scalars(select(VenueLabelChange).order_by(VenueLabelChange.id)).all()
    assert [(c.from_status, c.to_status) for c in changes] == [
        ("pending", "active"), ("active", "suspended"), ("suspended", "active"),
        ("active", "withdrawn")]
    assert [c.actor_id for c in changes] == [world.manager78.id, world.manager78.id,
                                             world.admin.id, world.manager78.id]
    assert changes[1].reason == "Plainte d'un bénéficiaire"
    assert audit_actions().count("venue.label_changed") == 4
    event = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == "venue.label_changed").order_by(AuditEvent.id.desc())).first()
    details = json.loads(event.details)
    assert details["from"] == "active" and details["to"] == "withdrawn"
    assert details["reason"] == "Fermeture du lieu"


@pytest.mark.parametrize(("status", "action"), [
    (LabelStatus.PENDING, "suspend"), (LabelStatus.PENDING, "reactivate"),
    (LabelStatus.ACTIVE, "approve"), (LabelStatus.ACTIVE, "reactivate"),
    (LabelStatus.SUSPENDED, "approve"), (LabelStatus.SUSPENDED, "suspend"),
    (LabelStatus.WITHDRAWN, "approve"), (LabelStatus.WITHDRAWN, "reactivate"),
    (LabelStatus.WITHDRAWN, "suspend"), (LabelStatus.WITHDRAWN, "withdraw"),
])
def test_illegal_transitions_are_refused(app, status, action):
    world = World()
    venue = make_venue(world.d78, status=status)
    err = refused(change_label, world.manager78, venue, action, "Motif")
    assert err.code == "illegal_label_transition" and err.http_status == 422
    assert "Impossible : le label de ce lieu est" in err.message
    db.session.expire_all()
    assert venue.label_status == status
    assert db.session.scalar(select(func.count()).select_from(VenueLabelChange)) == 0


def test_a_manager_of_another_departement_cannot_decide(app):
    world = World()
    venue = apply(world.d78.id)
    err = refused(change_label, world.manager92, venue, "approve", "Motif")
    assert err.code == "not_found" and err.http_status == 404
    for actor in (world.issuer78, world.agent78):
        assert refused(change_label, actor, venue, "approve", "Motif").http_status == 403
    db.session.expire_all()
    assert venue.label_status == LabelStatus.PENDING


@pytest.mark.parametrize(("reason", "code"), [("", "reason_required"), ("   ", "reason_required"),
                                               (None, "reason_required"),
                                               ("x" * 501, "reason_too_long")])
def test_a_decision_needs_a_reason(app, reason, code):
    world = World()
    venue = apply(world.d78.id)
    err = refused(change_label, world.manager78, venue, "approve", reason)
    assert err.code == code and err.field == "reason"


def test_an_unknown_action_is_refused(app):
    world = World()
    venue = apply(world.d78.id)
    assert refused(change_label, world.admin, venue, "promote", "Motif").code == \
        "unknown_label_action"


def _decide_in_thread(app, actor_id: int, venue_id: int, start: threading.Barrier,
                      outcomes: list[str]) -> None:
    """One manager's approval in this thread's own session and connection."""
    with app.app_context():
        actor, venue = db.session.get(User, actor_id), db.session.get(Venue, venue_id)
        assert venue.label_status == LabelStatus.PENDING
        db.session.commit()  # on SQLite an open transaction would hold the write lock
        start.wait()
        try:
            with unit_of_work():
                change_label(actor, venue, "approve", f"Accord {actor_id}")
            outcomes.append("approved")
        except DomainError as err:
            outcomes.append(err.code)
        finally:
            db.session.remove()


def test_two_managers_approving_at_once_make_one_change(app):
    """The label row is locked: the second decision sees the first one's result."""
    world = World()
    venue = apply(world.d78.id)
    other_manager = make_user(Role.MANAGER, departement_id=world.d78.id)
    actor_ids, venue_id = (world.manager78.id, other_manager.id), venue.id
    db.session.commit()  # hold no lock while they race (SQLite)
    start, outcomes = threading.Barrier(2, timeout=30), []
    threads = [threading.Thread(target=_decide_in_thread,
                                args=(app, actor_id, venue_id, start, outcomes))
               for actor_id in actor_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["approved", "illegal_label_transition"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(VenueLabelChange)) == 1
    assert db.session.get(Venue, venue_id).label_status == LabelStatus.ACTIVE


# --- agent accounts ---------------------------------------------------------------------


def lead_of(venue: Venue) -> User:
    return db.session.scalars(select(User).where(User.venue_id == venue.id,
                                                 User.is_venue_lead.is_(True))).one()


def add_agent(actor: User, email: str = "agent@example.org") -> User:
    with unit_of_work():
        return add_venue_agent(actor, full_name="Paul Agent", email=email,
                               password="mot-de-passe-long")


def test_the_lead_agent_adds_and_deactivates_an_agent(app):
    world = World()
    venue = apply(world.d78.id)
    lead = lead_of(venue)
    agent = add_agent(lead)
    assert agent.venue_id == venue.id and agent.role == Role.VENUE_AGENT
    assert not agent.is_venue_lead and agent.is_active_account
    with unit_of_work():
        set_agent_active(lead, agent, active=False)
    db.session.expire_all()
    assert not agent.is_active_account
    with unit_of_work():
        set_agent_active(lead, agent, active=True)
    db.session.expire_all()
    assert agent.is_active_account
    actions = audit_actions()
    assert "venue.agent_added" in actions and "venue.agent_deactivated" in actions
    assert actions[-1] == "venue.agent_reactivated"


def test_only_the_lead_manages_accounts_of_their_own_venue_and_not_their_own(app):
    world = World()
    venue = apply(world.d78.id)
    lead = lead_of(venue)
    agent = add_agent(lead)
    err = refused(add_venue_agent, agent, full_name="X Y", email="x@example.org",
                  password="mot-de-passe-long")
    assert err.code == "not_venue_lead" and err.http_status == 403
    assert refused(set_agent_active, agent, lead, active=False).code == "not_venue_lead"
    assert refused(set_agent_active, world.admin, agent, active=False).http_status == 403
    # an agent of another venue: not found, whatever the lead tries
    assert refused(set_agent_active, lead, world.agent78, active=False).http_status == 404
    err = refused(set_agent_active, lead, lead, active=False)
    assert err.code == "own_account"
    db.session.expire_all()
    assert world.agent78.is_active_account and lead.is_active_account


@pytest.mark.parametrize(("over", "code"), [
    ({"password": "court"}, "password_too_short"), ({"full_name": " "}, "value_required"),
    ({"email": "agent@example.org"}, "email_taken"), ({"email": "non"}, "invalid_input"),
])
def test_bad_agent_accounts_are_refused(app, over, code):
    world = World()
    lead = lead_of(apply(world.d78.id))
    add_agent(lead)
    values = {"full_name": "Paul Agent", "email": "autre@example.org",
              "password": "mot-de-passe-long", **over}
    assert refused(add_venue_agent, lead, **values).code == code


def test_a_deactivated_agent_cannot_log_in(app, client):
    world = World()
    lead = lead_of(apply(world.d78.id))
    agent = add_agent(lead)
    with unit_of_work():
        set_agent_active(lead, agent, active=False)
    response = client.post("/connexion", data={"email": agent.email,
                                               "password": "mot-de-passe-long"})
    assert response.status_code == 422
    assert client.post("/connexion", data={"email": world.agent78.email,
                                           "password": PASSWORD}).status_code == 302
