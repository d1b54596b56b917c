"""Workshop services: every refusal with its code, scope, audit events, capacity."""

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from passnum.audit.models import AuditEvent
from passnum.auth.models import Role
from passnum.core.clock import frozen, now
from passnum.core.db import unit_of_work
from passnum.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, RuleRefused
from passnum.extensions import db
from passnum.venues.models import Workshop
from passnum.venues.services import cancel_workshop, create_workshop, update_workshop
from tests.factories import World, issue, make_beneficiary, make_user, make_venue
from tests.venues.helpers import (
    add_workshop_row,
    make_theme,
    make_workshop,
    redeem_rows,
    undo_rows,
    workshop_values,
)


def events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)
    ))


def workshop_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Workshop))


def update(actor, workshop, **over):
    """Update with the workshop's current values, except ``over``."""
    values = {"theme_id": workshop.theme_id, "title": workshop.title,
              "description": workshop.description, "starts_at": workshop.starts_at,
              "duration_minutes": workshop.duration_minutes, "capacity": workshop.capacity,
              "price_vouchers": workshop.price_vouchers}
    values.update(over)
    with unit_of_work():
        return update_workshop(actor, workshop, **values)


def cancel(actor, workshop, reason="Intervenant malade"):
    with unit_of_work():
        return cancel_workshop(actor, workshop, reason=reason)


def test_create_stores_values_and_audits(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme, title="  Premiers   pas  ")
    db.session.expire_all()
    stored = db.session.get(Workshop, workshop.id)
    assert (stored.venue_id, stored.theme_id, stored.title) == (world.venue78.id, theme.id,
                                                                "Premiers pas")
    assert (stored.duration_minutes, stored.capacity, stored.price_vouchers) == (90, 8, 2)
    assert stored.cancelled_at is None
    [event] = events("workshop.created")
    assert event.actor_id == world.agent78.id and event.object_id == str(workshop.id)
    details = json.loads(event.details)
    assert details["venue_id"] == world.venue78.id and details["capacity"] == 8
    assert details["starts_at"] == stored.starts_at.isoformat()


def test_blank_title_defaults_to_the_theme_name(app):
    world = World()
    theme = make_theme("Faire ses démarches en ligne")
    workshop = make_workshop(world.agent78, world.venue78, theme, title="   ")
    assert workshop.title == "Faire ses démarches en ligne"


def test_start_in_another_zone_is_stored_as_the_same_instant(app):
    world = World()
    theme = make_theme()
    instant = datetime(now().year + 1, 7, 1, 14, 30, tzinfo=UTC)
    workshop = make_workshop(world.agent78, world.venue78, theme,
                             starts_at=instant.astimezone(ZoneInfo("America/New_York")))
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).starts_at == instant


@pytest.mark.parametrize(("over", "error", "code", "field", "message"), [
    ({"theme_id": 999_999}, InvalidInput, "theme_unknown", "theme_id", "Thème inconnu"),
    ({"theme_id": "inactive"}, RuleRefused, "theme_inactive", "theme_id", "plus proposé"),
    ({"title": "x" * 161}, InvalidInput, "title_too_long", "title", "160 caractères"),
    ({"description": "x" * 2001}, InvalidInput, "description_too_long", "description",
     "2000 caractères"),
    ({"starts_at": datetime(2031, 5, 4, 10, 0)}, InvalidInput, "invalid_start", "starts_at",
     "Indiquez la date"),
    ({"starts_at": "past"}, RuleRefused, "starts_in_past", "starts_at", "déjà passées"),
    ({"duration_minutes": 14}, InvalidInput, "duration_out_of_range", "duration_minutes",
     "entre 15 et 600"),
    ({"duration_minutes": 601}, InvalidInput, "duration_out_of_range", "duration_minutes",
     "entre 15 et 600"),
    ({"capacity": 0}, InvalidInput, "capacity_out_of_range", "capacity", "entre 1 et 200"),
    ({"capacity": 201}, InvalidInput, "capacity_out_of_range", "capacity", "entre 1 et 200"),
    ({"price_vouchers": 0}, InvalidInput, "price_out_of_range", "price_vouchers",
     "entre 1 et 10"),
    ({"price_vouchers": 11}, InvalidInput, "price_out_of_range", "price_vouchers",
     "entre 1 et 10"),
])
def test_create_refusals(app, over, error, code, field, message):
    world = World()
    theme = make_theme()
    if over.get("theme_id") == "inactive":
        over = {"theme_id": make_theme("Ancien thème", active=False).id}
    if over.get("starts_at") == "past":
        over = {"starts_at": now() - timedelta(minutes=1)}
    with pytest.raises(error) as err, unit_of_work():
        create_workshop(world.agent78, world.venue78, **workshop_values(theme, **over))
    assert (err.value.code, err.value.field) == (code, field)
    assert message in err.value.message
    assert workshop_count() == 0 and events("workshop.created") == []


def test_bounds_are_inclusive(app):
    world = World()
    theme = make_theme()
    low = make_workshop(world.agent78, world.venue78, theme, duration_minutes=15, capacity=1,
                        price_vouchers=1, title="x" * 160)
    high = make_workshop(world.agent78, world.venue78, theme, duration_minutes=600,
                         capacity=200, price_vouchers=10)
    assert (low.duration_minutes, low.capacity, low.price_vouchers) == (15, 1, 1)
    assert (high.duration_minutes, high.capacity, high.price_vouchers) == (600, 200, 10)


def test_scope_of_venue_agents_and_roles(app):
    world = World()
    theme = make_theme()
    venue92 = make_venue(world.d92)
    agent92 = make_user(Role.VENUE_AGENT, venue_id=venue92.id)
    workshop = make_workshop(world.agent78, world.venue78, theme)
    # another venue is out of scope: 404, as for its workshops (docs/product.md)
    with pytest.raises(NotFound), unit_of_work():
        create_workshop(agent92, world.venue78, **workshop_values(theme))
    for actor in (world.issuer78, world.manager78):
        with pytest.raises(Forbidden), unit_of_work():
            create_workshop(actor, world.venue78, **workshop_values(theme))
    with pytest.raises(NotFound):
        update(agent92, workshop, capacity=20)
    with pytest.raises(NotFound):
        cancel(agent92, workshop)
    with pytest.raises(Forbidden):
        cancel(world.manager78, workshop)
    assert workshop_count() == 1
    assert events("workshop.updated") == [] and events("workshop.cancelled") == []
    # an administrator manages any venue's workshops
    other = make_workshop(world.admin, venue92, theme)
    assert other.venue_id == venue92.id
    assert update(world.admin, workshop, capacity=12).capacity == 12


def test_update_audits_what_changed_and_nothing_when_unchanged(app):
    world = World()
    theme, other_theme = make_theme(), make_theme("Sécurité en ligne")
    workshop = make_workshop(world.agent78, world.venue78, theme)
    update(world.agent78, workshop)
    assert events("workshop.updated") == []
    new_start = workshop.starts_at + timedelta(days=1)
    update(world.agent78, workshop, theme_id=other_theme.id, capacity=12,
           starts_at=new_start, description="Autre texte")
    db.session.expire_all()
    stored = db.session.get(Workshop, workshop.id)
    assert (stored.theme_id, stored.capacity, stored.starts_at) == (other_theme.id, 12,
                                                                    new_start)
    [event] = events("workshop.updated")
    changes = json.loads(event.details)["changes"]
    assert changes["capacity"] == [8, 12]
    assert changes["theme_id"] == [theme.id, other_theme.id]
    assert changes["description"] == "modifiée"
    assert set(changes) == {"capacity", "theme_id", "starts_at", "description"}


def test_update_refuses_bad_values_and_keeps_the_workshop(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    for over, code in [({"capacity": 0}, "capacity_out_of_range"),
                       ({"starts_at": now() - timedelta(hours=1)}, "starts_in_past"),
                       ({"theme_id": make_theme("Retiré", active=False).id}, "theme_inactive")]:
        with pytest.raises(DomainError) as err:
            update(world.agent78, workshop, **over)
        assert err.value.code == code
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).capacity == 8
    assert events("workshop.updated") == []


def test_a_retired_theme_stays_valid_for_its_workshops(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    theme.is_active = False
    db.session.commit()
    assert update(world.agent78, workshop, capacity=9).theme_id == theme.id


def test_capacity_cannot_go_below_people_registered(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme, capacity=5)
    vouchers = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers
    redeem_rows(world.agent78, workshop, vouchers[0:2])
    redeem_rows(world.agent78, workshop, vouchers[2:4])
    gone = redeem_rows(world.agent78, workshop, vouchers[4:6])
    undo_rows(gone)  # an undone redemption frees its place
    with pytest.raises(RuleRefused) as err:
        update(world.agent78, workshop, capacity=1)
    assert (err.value.code, err.value.field) == ("capacity_below_attendance", "capacity")
    assert err.value.details == {"registered": 2}
    assert "2 personnes déjà inscrites" in err.value.message
    assert update(world.agent78, workshop, capacity=2).capacity == 2


def test_cancel_records_the_reason_and_freezes_the_workshop(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    for reason, code in [("   ", "reason_required"), ("x" * 501, "reason_too_long")]:
        with pytest.raises(InvalidInput) as err:
            cancel(world.agent78, workshop, reason=reason)
        assert (err.value.code, err.value.field) == (code, "reason")
    cancel(world.agent78, workshop, reason="Salle  indisponible")
    db.session.expire_all()
    assert db.session.get(Workshop, workshop.id).cancelled_at is not None
    [event] = events("workshop.cancelled")
    assert json.loads(event.details) == {"venue_id": world.venue78.id,
                                         "reason": "Salle indisponible",
                                         "bookings_cancelled": 0}
    with pytest.raises(Conflict) as err:
        update(world.agent78, workshop, capacity=10)
    assert err.value.code == "workshop_cancelled"
    with pytest.raises(Conflict) as err:
        cancel(world.agent78, workshop)
    assert err.value.code == "workshop_cancelled"
    assert len(events("workshop.cancelled")) == 1


def test_cancel_is_refused_while_vouchers_are_redeemed_for_it(app):
    world = World()
    theme = make_theme()
    workshop = make_workshop(world.agent78, world.venue78, theme)
    vouchers = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers
    redemption = redeem_rows(world.agent78, workshop, vouchers[:2])
    with pytest.raises(Conflict) as err:
        cancel(world.agent78, workshop)
    assert err.value.code == "workshop_has_redemptions"
    undo_rows(redemption)
    assert cancel(world.agent78, workshop).cancelled_at is not None


def test_an_ended_workshop_cannot_be_edited_or_cancelled(app):
    world = World()
    theme = make_theme()
    start = datetime(2031, 3, 12, 13, 0, tzinfo=UTC)
    workshop = add_workshop_row(world.venue78, theme, start, duration_minutes=120)
    with frozen(start + timedelta(minutes=119)):
        # in progress: places may still be added, the unchanged start is accepted
        assert update(world.agent78, workshop, capacity=9).capacity == 9
        with pytest.raises(RuleRefused) as err:
            update(world.agent78, workshop, starts_at=start - timedelta(hours=1))
        assert err.value.code == "starts_in_past"
    with frozen(start + timedelta(minutes=120)):
        with pytest.raises(RuleRefused) as err:
            update(world.agent78, workshop, capacity=10)
        assert err.value.code == "workshop_past"
        assert "12/03/2031 16:00" in err.value.message  # end, in Paris time
        with pytest.raises(RuleRefused) as err:
            cancel(world.agent78, workshop)
        assert err.value.code == "workshop_past"
