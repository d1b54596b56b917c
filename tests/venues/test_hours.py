"""Opening hours in OpenStreetMap's syntax: the wiki's examples are accepted, common
mistakes are refused with a French message, and "ouvert maintenant" is right at chosen
instants (the clock is an argument: no waiting, no real time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from passnum.core.clock import PARIS
from passnum.errors import InvalidInput
from passnum.venues.hours import check_opening_hours, describe, is_open

# examples of the OpenStreetMap wiki's page on the key (and its French page)
WIKI_EXAMPLES = [
    "24/7",
    "Mo-Fr 08:00-17:30",
    "Mo-Fr 08:00-12:00,13:00-17:30",
    "Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00",
    "Mo-Fr 08:00-12:00,13:00-17:30; Sa 08:00-12:00; PH 09:00-12:00",
    "Mo-Sa 10:00-20:00; Tu off",
    "Mo-Sa 10:00-20:00; Tu 10:00-14:00",
    "sunrise-sunset",
    "Su 10:00+",
    "week 1-53/2 Fr 09:00-12:00; week 2-52/2 We 09:00-12:00",
    'Mo-Sa 08:00-13:00,14:00-17:00 || "sur rendez-vous"',
    "Jan-Apr,Oct-Dec Mo-Fr 09:00-17:00",
    "Fr-Sa 18:00-06:00",
    "Mo-Fr 09:00-17:00; PH off",
    "Mo-Su 08:00-18:00; Apr 10-15 off; Jun 08:00-14:00; Aug off; Dec 25 off",
    "Mo 10:00-12:00,12:30-15:00; Tu-Fr 08:00-12:00,12:30-15:00; Sa 08:00-12:00",
    "Sa[1,3] 10:00-12:00",
    "Mo-Fr 10:00-20:00; PH off; SH off",
]
# what people type instead
MISTAKES = [
    "lundi 9h-12h", "Mo-Fr 9-17", "24/24", "Mo-Fr 08:00-12:00 14:00-18:00", "Mo-Fr 8h-12h",
    "Mo-Fr 08:00-12:00,", "Mon-Fri 08:00-17:00", "Mo-Fr 08:00-12:00; Sa" + " 10:00" * 100,
]


@pytest.mark.parametrize("text", WIKI_EXAMPLES)
def test_the_wikis_examples_are_accepted(text):
    assert check_opening_hours(f"  {text} ") == text


@pytest.mark.parametrize("text", MISTAKES)
def test_mistakes_are_refused_in_french(text):
    with pytest.raises(InvalidInput) as caught:
        check_opening_hours(text)
    assert caught.value.code == "opening_hours_invalid"
    assert caught.value.field == "opening_hours"
    assert caught.value.message.startswith("Ces horaires ne sont pas au format OpenStreetMap")


def test_no_hours_are_no_hours():
    assert check_opening_hours("   ") == ""
    assert describe("", datetime(2026, 12, 7, 10, tzinfo=PARIS)) == ""
    assert not is_open("", datetime(2026, 12, 7, 10, tzinfo=PARIS))


WEEK = "Mo-Fr 09:00-12:00,14:00-18:30; Sa 09:00-12:00; PH off"


@pytest.mark.parametrize(("text", "at", "expected"), [
    # Monday 7 December 2026
    (WEEK, datetime(2026, 12, 7, 10, tzinfo=PARIS), "Ouvert maintenant, ferme à 12 h"),
    (WEEK, datetime(2026, 12, 7, 12, 30, tzinfo=PARIS), "Fermé, ouvre à 14 h"),
    (WEEK, datetime(2026, 12, 7, 18, 29, tzinfo=PARIS), "Ouvert maintenant, ferme à 18 h 30"),
    (WEEK, datetime(2026, 12, 7, 18, 30, tzinfo=PARIS), "Fermé, ouvre demain à 9 h"),
    # an instant in UTC is read in Paris: 08:30 UTC is 09:30 in winter
    (WEEK, datetime(2026, 12, 7, 8, 30, tzinfo=UTC), "Ouvert maintenant, ferme à 12 h"),
    # Saturday afternoon, then Sunday
    (WEEK, datetime(2026, 12, 12, 15, tzinfo=PARIS), "Fermé, ouvre lundi à 9 h"),
    (WEEK, datetime(2026, 12, 13, 11, tzinfo=PARIS), "Fermé, ouvre demain à 9 h"),
    # Christmas is a Friday in 2026 and a public holiday: closed until Saturday
    (WEEK, datetime(2026, 12, 24, 19, tzinfo=PARIS), "Fermé, ouvre samedi à 9 h"),
    (WEEK, datetime(2026, 12, 25, 10, tzinfo=PARIS), "Fermé, ouvre demain à 9 h"),
    # across midnight, and a week away
    ("Fr-Sa 18:00-06:00", datetime(2026, 12, 12, 2, tzinfo=PARIS),
     "Ouvert maintenant, ferme à 6 h"),
    ("Sa[1,3] 10:00-12:00", datetime(2026, 12, 7, 10, tzinfo=PARIS),
     "Fermé, ouvre le 19 décembre à 10 h"),
    # the night summer time starts (28 March 2027, 02:00 → 03:00)
    ("Su 03:00-04:00", datetime(2027, 3, 28, 1, 30, tzinfo=UTC),
     "Ouvert maintenant, ferme à 4 h"),
    ("24/7", datetime(2026, 12, 7, 3, tzinfo=PARIS), "Ouvert en permanence"),
    ('Tu 14:00-17:00 "sur rendez-vous"', datetime(2026, 12, 8, 15, tzinfo=PARIS),
     "Ouvert maintenant, ferme à 17 h (sur rendez-vous)"),
])
def test_the_state_now_in_plain_french(text, at, expected):
    assert describe(text, at) == expected
    assert is_open(text, at) == expected.startswith("Ouvert")
