"""Workshop reads: lists, today's workshops in Paris time, scope, attendance."""

from datetime import UTC, datetime, timedelta

import pytest

from passnum.auth.models import Role
from passnum.core.clock import frozen
from passnum.errors import NotFound
from passnum.redemptions.queries import registered_count, registered_counts
from passnum.venues.queries import (
    attendance,
    get_workshop,
    todays_workshops,
    workshop_state,
    workshops_of,
)
from tests.factories import World, issue, make_beneficiary, make_user, make_venue
from tests.venues.helpers import add_workshop_row, make_theme, redeem_rows, undo_rows

# 15 June 2031, 23:30 in Paris (summer time, UTC+2)
LATE_EVENING = datetime(2031, 6, 15, 21, 30, tzinfo=UTC)


def titles(workshops):
    return [w.title for w in workshops]


def test_todays_workshops_follow_the_paris_day(app):
    world = World()
    theme = make_theme()
    venue = world.venue78

    def add(title, at, **over):
        return add_workshop_row(venue, theme, at, title=title, **over)

    add("veille 23:59 Paris", datetime(2031, 6, 14, 21, 59, tzinfo=UTC))
    add("00:30 Paris", datetime(2031, 6, 14, 22, 30, tzinfo=UTC))
    add("annulé", datetime(2031, 6, 15, 8, 0, tzinfo=UTC), cancelled_at=LATE_EVENING)
    add("23:45 Paris", datetime(2031, 6, 15, 21, 45, tzinfo=UTC))
    add("14:00 Paris", datetime(2031, 6, 15, 12, 0, tzinfo=UTC))
    add("lendemain 00:15 Paris", datetime(2031, 6, 15, 22, 15, tzinfo=UTC))
    add_workshop_row(make_venue(world.d92), theme, datetime(2031, 6, 15, 12, 0, tzinfo=UTC),
                     title="autre lieu")
    with frozen(LATE_EVENING):
        assert titles(todays_workshops(venue.id)) == ["00:30 Paris", "14:00 Paris",
                                                      "23:45 Paris"]
    # at 00:10 in Paris the next day begins, although it is still the 15th in UTC
    with frozen(datetime(2031, 6, 15, 22, 10, tzinfo=UTC)):
        assert titles(todays_workshops(venue.id)) == ["lendemain 00:15 Paris"]


def test_workshops_of_lists_from_today_or_everything_latest_first(app):
    world = World()
    theme = make_theme()
    for title, at in [("passé", LATE_EVENING - timedelta(days=3)),
                      ("ce matin", datetime(2031, 6, 15, 7, 0, tzinfo=UTC)),
                      ("bientôt", LATE_EVENING + timedelta(days=2)),
                      ("demain", LATE_EVENING + timedelta(days=1))]:
        add_workshop_row(world.venue78, theme, at, title=title)
    add_workshop_row(world.venue78, theme, LATE_EVENING + timedelta(days=4), title="annulé",
                     cancelled_at=LATE_EVENING)
    with frozen(LATE_EVENING):
        upcoming = workshops_of(world.venue78.id)
        assert titles(upcoming) == ["ce matin", "demain", "bientôt", "annulé"]
        assert [workshop_state(w) for w in upcoming] == ["past", "upcoming", "upcoming",
                                                         "cancelled"]
        assert titles(workshops_of(world.venue78.id, include_past=True)) == [
            "annulé", "bientôt", "demain", "ce matin", "passé"]
    assert workshops_of(make_venue(world.d92).id, include_past=True) == []


def test_workshop_state_around_its_hours(app):
    world = World()
    start = datetime(2031, 6, 15, 12, 0, tzinfo=UTC)
    workshop = add_workshop_row(world.venue78, make_theme(), start, duration_minutes=90)
    assert workshop_state(workshop, start - timedelta(seconds=1)) == "upcoming"
    assert workshop_state(workshop, start) == "ongoing"
    assert workshop_state(workshop, start + timedelta(minutes=90)) == "past"


def test_get_workshop_is_confined_to_the_agents_venue(app):
    world = World()
    workshop = add_workshop_row(world.venue78, make_theme(), LATE_EVENING)
    agent92 = make_user(Role.VENUE_AGENT, venue_id=make_venue(world.d92).id)
    assert get_workshop(world.agent78, workshop.id).id == workshop.id
    assert get_workshop(world.admin, workshop.id).id == workshop.id
    for actor in (agent92, world.issuer78, world.manager78):
        with pytest.raises(NotFound):
            get_workshop(actor, workshop.id)
    with pytest.raises(NotFound):
        get_workshop(world.agent78, workshop.id + 1000)


def test_attendance_lists_serials_per_live_redemption(app):
    world = World()
    workshop = add_workshop_row(world.venue78, make_theme(), LATE_EVENING, capacity=10)
    other = add_workshop_row(world.venue78, make_theme("Autre"), LATE_EVENING)
    first = issue(world.issuer78, make_beneficiary(world.issuer78)).vouchers
    second = issue(world.issuer92, make_beneficiary(world.issuer92)).vouchers
    redeem_rows(world.agent78, workshop, [first[1], first[0]], at=LATE_EVENING)
    redeem_rows(world.agent78, workshop, [second[0]], at=LATE_EVENING + timedelta(minutes=5))
    undone = redeem_rows(world.agent78, workshop, [second[5]],
                         at=LATE_EVENING + timedelta(minutes=1))
    undo_rows(undone)
    redeem_rows(world.agent78, other, [first[2]])
    rows = attendance(workshop.id)
    assert [(r.redeemed_at, r.serials, r.vouchers) for r in rows] == [
        (LATE_EVENING, (first[0].serial, first[1].serial), 2),
        (LATE_EVENING + timedelta(minutes=5), (second[0].serial,), 1),
    ]
    assert registered_count(workshop.id) == 2
    assert registered_counts([workshop.id, other.id, other.id + 99]) == {
        workshop.id: 2, other.id: 1, other.id + 99: 0}
    assert attendance(other.id + 99) == []
