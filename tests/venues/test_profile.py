"""A venue's public profile: every field's checks, the agent's proposal that changes
nothing public until a manager approves it, refusals with a reason, direct edits by
managers, scope. Both databases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core import clock
from passnum.core.db import unit_of_work
from passnum.errors import DomainError
from passnum.extensions import db
from passnum.messages.models import OutboxMessage
from passnum.venues.models import ProfileChangeStatus, Venue, VenueProfileChange
from passnum.venues.profile import (
    PROFILE_COLUMNS,
    ProfileInput,
    approve_profile_change,
    check_profile,
    profile_errors,
    propose_profile,
    refuse_profile_change,
    update_profile,
)
from passnum.venues.queries import pending_change
from tests.factories import World, make_user, make_venue

T0 = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
T1 = datetime(2026, 3, 12, 15, 30, tzinfo=UTC)


def profile(**over: Any) -> ProfileInput:
    """A valid, full profile of a venue of Versailles (78000)."""
    values: dict[str, Any] = {
        "address": " 2  rue de la Paroisse ", "address_complement": "Rez-de-chaussée",
        "postal_code": "78000", "commune_insee": "", "latitude": "48,8049",
        "longitude": "2.1301", "phone": "01 39 12 34 56",
        "email": "Contact@Mediatheque.Example.fr",
        "website": "https://mediatheque.example.fr",
        "booking_url": "http://rdv.example.fr/mediatheque",
        "acceslibre_url": "https://acceslibre.beta.gouv.fr/app/78-versailles/a/x/erp/y/",
        "summary": "Ateliers pour débutants.", "description": "Ligne 1\nLigne 2",
        "opening_hours": "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00",
        "typologies": ["BIB"], "mediation_services": ["securite", "demarches"],
        "specific_publics": ["seniors"], "specific_support": [],
        "national_programmes": ["pix"], "labels": [], "access_modes": ["se_presenter"],
        "support_modes": ["atelier"], "other_labels": "Point relais CAF",
    }
    values.update(over)
    return ProfileInput(**values)


def published(venue: Venue) -> dict[str, Any]:
    """The venue's profile columns, read again from the database."""
    db.session.expire_all()
    fresh = db.session.get(Venue, venue.id)
    assert fresh is not None
    return {name: getattr(fresh, name) for name in (*PROFILE_COLUMNS, "profile_updated_at")}


def actions(prefix: str = "venue.profile") -> list[str]:
    return list(db.session.scalars(select(AuditEvent.action)
                                   .where(AuditEvent.action.startswith(prefix))
                                   .order_by(AuditEvent.id)))


def propose(actor, venue: Venue, **over: Any) -> VenueProfileChange:
    with unit_of_work():
        return propose_profile(actor, venue, profile(**over))


def refusal(call, *args: Any, **kwargs: Any) -> DomainError:
    with pytest.raises(DomainError) as caught, unit_of_work():
        call(*args, **kwargs)
    return caught.value


def test_check_profile_normalises_every_field(app):
    world = World()
    values = check_profile(profile(), venue=world.venue78)
    assert values["address"] == "2 rue de la Paroisse"
    assert (values["postal_code"], values["commune_insee"], values["commune"]) == (
        "78000", "78646", "Versailles")
    assert (values["latitude"], values["longitude"]) == (48.8049, 2.1301)
    assert values["phone"] == "+33139123456"  # the standard's pattern
    assert values["email"] == "Contact@mediatheque.example.fr"
    # the vocabulary's order, whatever the order ticked
    assert values["mediation_services"] == ["demarches", "securite"]
    assert values["description"] == "Ligne 1\nLigne 2"


@pytest.mark.parametrize(("over", "code", "field"), [
    ({"address": "  "}, "value_required", "address"),
    ({"address": "x" * 301}, "value_too_long", "address"),
    ({"address_complement": "x" * 161}, "value_too_long", "address_complement"),
    ({"postal_code": "92000", "commune_insee": "92050"}, "postal_code_departement_mismatch",
     "postal_code"),
    ({"postal_code": "78300", "commune_insee": "78646"}, "commune_not_in_postal_code",
     "commune_insee"),
    ({"latitude": "48,8", "longitude": ""}, "position_incomplete", "longitude"),
    ({"latitude": "2.13", "longitude": "48.80"}, "position_outside_france", "latitude"),
    ({"phone": "12 34"}, "phone_invalid", "phone"),
    ({"email": "pas une adresse"}, "email_invalid", "email"),
    ({"email": "contact@"}, "email_invalid", "email"),
    ({"website": "javascript:alert(1)"}, "url_invalid", "website"),
    ({"website": "ftp://mediatheque.example.fr"}, "url_invalid", "website"),
    ({"website": "www.mediatheque.fr"}, "url_invalid", "website"),
    ({"booking_url": "https://rdv example.fr"}, "url_invalid", "booking_url"),
    ({"booking_url": "https://x.fr/" + "a" * 300}, "url_too_long", "booking_url"),
    ({"acceslibre_url": "https://acceslibre.example.fr/fiche"}, "acceslibre_host",
     "acceslibre_url"),
    ({"acceslibre_url": "https://acceslibre.beta.gouv.fr.evil.fr/x"}, "acceslibre_host",
     "acceslibre_url"),
    ({"summary": "x" * 281}, "value_too_long", "summary"),
    ({"description": "x" * 5001}, "value_too_long", "description"),
    ({"opening_hours": "lundi 9h-12h"}, "opening_hours_invalid", "opening_hours"),
    ({"typologies": ["BIB", "CHATEAU"]}, "code_unknown", "typologies"),
    ({"mediation_services": ["Aide aux démarches administratives"]}, "code_unknown",
     "mediation_services"),
    ({"specific_publics": ["tous"]}, "code_unknown", "specific_publics"),
    ({"specific_support": ["x"]}, "code_unknown", "specific_support"),
    ({"national_programmes": ["x"]}, "code_unknown", "national_programmes"),
    ({"labels": ["x"]}, "code_unknown", "labels"),
    ({"access_modes": ["x"]}, "code_unknown", "access_modes"),
    ({"support_modes": ["x"]}, "code_unknown", "support_modes"),
    ({"other_labels": "x" * 501}, "value_too_long", "other_labels"),
])
def test_each_bad_field_is_refused_in_french_and_nothing_is_written(app, over, code, field):
    world = World()
    before = published(world.venue78)
    for actor, call in ((world.agent78, propose_profile), (world.manager78, update_profile)):
        err = refusal(call, actor, world.venue78, profile(**over))
        assert (err.code, err.field) == (code, field)
        assert err.message and err.message[0].isupper()
    assert published(world.venue78) == before
    assert db.session.scalar(select(func.count()).select_from(VenueProfileChange)) == 0
    assert actions() == []


def test_profile_errors_lists_every_faulty_field_at_once(app):
    world = World()
    errors = profile_errors(profile(phone="12", website="site", summary="x" * 300,
                                    labels=["x"]), venue=world.venue78)
    assert [e.field for e in errors] == ["phone", "website", "summary", "labels"]
    assert profile_errors(profile(), venue=world.venue78) == []


def test_an_agents_proposal_changes_nothing_public_until_approved(app):
    world = World()
    before = published(world.venue78)
    with clock.frozen(T0):
        change = propose(world.agent78, world.venue78)
    assert published(world.venue78) == before  # the public page and exports keep these
    assert change.status == ProfileChangeStatus.PENDING
    assert change.values["phone"] == "+33139123456" and change.submitted_at == T0
    assert pending_change(world.venue78.id).id == change.id
    with clock.frozen(T1), unit_of_work():
        approve_profile_change(world.manager78, world.venue78, change.id)
    after = published(world.venue78)
    assert after["summary"] == "Ateliers pour débutants."
    assert after["mediation_services"] == ["demarches", "securite"]
    assert after["opening_hours"] == "Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00"
    assert (after["commune_insee"], after["latitude"]) == ("78646", 48.8049)
    assert after["profile_updated_at"] == T1
    db.session.expire_all()
    decided = db.session.get(VenueProfileChange, change.id)
    assert decided.status == ProfileChangeStatus.APPROVED
    assert (decided.decided_by_id, decided.decided_at) == (world.manager78.id, T1)
    assert actions() == ["venue.profile_proposed", "venue.profile_approved"]
    assert pending_change(world.venue78.id) is None


def test_approval_tells_the_venue_and_refusal_gives_the_reason(app):
    world = World()
    change = propose(world.agent78, world.venue78)
    with clock.frozen(T1):
        err = refusal(refuse_profile_change, world.manager78, world.venue78, change.id, "  ")
        assert (err.code, err.field) == ("reason_required", "reason")
        with unit_of_work():
            refuse_profile_change(world.manager78, world.venue78, change.id,
                                  "Les horaires du samedi sont faux.")
    db.session.expire_all()
    refused = db.session.get(VenueProfileChange, change.id)
    assert refused.status == ProfileChangeStatus.REFUSED
    assert refused.reason == "Les horaires du samedi sont faux."
    assert published(world.venue78)["summary"] == ""  # the published values stay
    assert published(world.venue78)["profile_updated_at"] is None
    [message] = db.session.scalars(select(OutboxMessage).where(
        OutboxMessage.kind == "venue_profile_decision"))
    assert message.recipient == world.agent78.email
    assert "Les horaires du samedi sont faux." in message.body
    assert "non publiée" in message.subject
    # a decided proposal cannot be decided again
    err = refusal(approve_profile_change, world.manager78, world.venue78, change.id)
    assert err.code == "profile_change_not_pending"
    assert actions() == ["venue.profile_proposed", "venue.profile_refused"]


def test_a_newer_proposal_replaces_the_pending_one(app):
    world = World()
    first = propose(world.agent78, world.venue78, summary="Première version.")
    second = propose(world.agent78, world.venue78, summary="Deuxième version.")
    assert second.id == first.id
    assert db.session.scalar(select(func.count()).select_from(VenueProfileChange)) == 1
    assert pending_change(world.venue78.id).values["summary"] == "Deuxième version."
    events = [json.loads(d) for d in db.session.scalars(
        select(AuditEvent.details).where(AuditEvent.action == "venue.profile_proposed")
        .order_by(AuditEvent.id))]
    assert [e["replaced"] for e in events] == [False, True]


def test_a_proposal_identical_to_the_published_profile_is_refused(app):
    world = World()
    with unit_of_work():
        update_profile(world.manager78, world.venue78, profile())
    err = refusal(propose_profile, world.agent78, world.venue78, profile())
    assert err.code == "profile_unchanged"


def test_a_manager_edits_directly_and_the_date_moves_only_on_a_real_change(app):
    world = World()
    with clock.frozen(T0), unit_of_work():
        changed = update_profile(world.manager78, world.venue78, profile())
    assert "summary" in changed and published(world.venue78)["profile_updated_at"] == T0
    with clock.frozen(T1), unit_of_work():
        assert update_profile(world.admin, world.venue78, profile(phone="+33 1 39 12 34 56")
                              ) == []
    assert published(world.venue78)["profile_updated_at"] == T0
    with clock.frozen(T1), unit_of_work():
        assert update_profile(world.admin, world.venue78, profile(summary="Autre.")
                              ) == ["summary"]
    assert published(world.venue78)["profile_updated_at"] == T1
    assert actions() == ["venue.profile_updated", "venue.profile_updated"]


def test_who_may_propose_and_who_may_check(app):
    world = World()
    other_venue = make_venue(world.d78)
    other_agent = make_user(Role.VENUE_AGENT, venue_id=other_venue.id)
    venue92 = make_venue(world.d92)
    assert refusal(propose_profile, other_agent, world.venue78, profile()).http_status == 404
    assert refusal(propose_profile, world.manager78, world.venue78, profile()
                   ).http_status == 403
    assert refusal(propose_profile, world.issuer78, world.venue78, profile()
                   ).http_status == 403
    change = propose(world.agent78, world.venue78)
    for actor, status in ((world.manager92, 404), (world.agent78, 403),
                          (world.issuer78, 403)):
        assert refusal(approve_profile_change, actor, world.venue78, change.id
                       ).http_status == status
        assert refusal(refuse_profile_change, actor, world.venue78, change.id, "Non."
                       ).http_status == status
        assert refusal(update_profile, actor, world.venue78, profile()).http_status == status
    # a proposal is decided on its own venue's page only
    err = refusal(approve_profile_change, world.admin, venue92, change.id)
    assert err.code == "profile_change_not_pending"
    assert published(world.venue78)["summary"] == ""
