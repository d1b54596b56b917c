"""The forecast's arithmetic on a monthly series: pure functions, no database."""

from __future__ import annotations

from datetime import date

import pytest

from passnum.dashboard.forecast import DAYS_PER_MONTH, months_left, pace_window, project
from passnum.dashboard.stats import MonthFigures


def test_window_is_the_last_three_full_months():
    assert pace_window(date(2024, 1, 1), date(2025, 5, 17)) == (
        date(2025, 2, 1), date(2025, 5, 1), 3.0)


def test_window_across_the_new_year():
    assert pace_window(date(2023, 6, 1), date(2025, 2, 3)) == (
        date(2024, 11, 1), date(2025, 2, 1), 3.0)


def test_window_starts_with_a_programme_younger_than_three_months():
    # started on the first of a month: whole months, counted as such
    assert pace_window(date(2025, 3, 1), date(2025, 5, 10)) == (
        date(2025, 3, 1), date(2025, 5, 1), 2.0)
    # started mid-month: the days up to this month, in months of 365.25 / 12 days
    first, after, months = pace_window(date(2025, 3, 16), date(2025, 5, 10))
    assert (first, after) == (date(2025, 3, 16), date(2025, 5, 1))
    assert months == round(46 / DAYS_PER_MONTH, 4)


def test_window_in_the_programme_s_first_month_runs_to_the_day():
    first, after, months = pace_window(date(2025, 5, 5), date(2025, 5, 20))
    assert (first, after) == (date(2025, 5, 5), date(2025, 5, 21))
    assert months == round(16 / DAYS_PER_MONTH, 4)
    # on a day before the start: an empty window, no pace
    assert pace_window(date(2025, 6, 1), date(2025, 5, 20))[2] == 0.0


def test_months_left_stop_at_zero():
    assert months_left(date(2025, 12, 31), date(2025, 12, 31)) == 0.0
    assert months_left(date(2025, 12, 31), date(2026, 3, 1)) == 0.0
    assert months_left(date(2026, 5, 17), date(2025, 5, 17)) == round(365 / DAYS_PER_MONTH, 4)


SERIES = (
    MonthFigures("2024-10", 40, 1_000_00),  # before the window
    MonthFigures("2025-02", 10, 200_00),
    MonthFigures("2025-03", 20, 300_00),
    MonthFigures("2025-04", 31, 451_00),
    MonthFigures("2025-05", 7, 50_00),  # this month: not in the window
)


def test_projection_extends_the_window_s_pace_to_the_end():
    day, ends_on = date(2025, 5, 17), date(2026, 5, 17)
    fc = project(SERIES, starts_on=date(2024, 1, 1), ends_on=ends_on, day=day)
    left = round(365 / DAYS_PER_MONTH, 4)
    assert (fc.window_start, fc.window_end) == (date(2025, 2, 1), date(2025, 4, 30))
    assert (fc.months_observed, fc.months_remaining) == (3.0, left)
    assert (fc.booklets_in_window, fc.cents_in_window) == (61, 951_00)
    assert (fc.booklets_current, fc.cents_current) == (108, 2_001_00)
    assert fc.booklets_per_month == round(61 / 3, 1) == 20.3
    assert fc.cents_per_month == round(951_00 / 3) == 317_00
    assert fc.booklets_projected == 108 + round(61 / 3 * left)
    assert fc.cents_projected == 2_001_00 + round(951_00 / 3 * left)
    assert fc.ends_on == ends_on


def test_projection_after_the_end_is_the_current_position():
    fc = project(SERIES, starts_on=date(2024, 1, 1), ends_on=date(2025, 3, 31),
                 day=date(2025, 5, 17))
    assert fc.months_remaining == 0.0
    assert (fc.booklets_projected, fc.cents_projected) == (108, 2_001_00)


def test_projection_without_activity_or_observed_time():
    fc = project((), starts_on=date(2025, 6, 1), ends_on=date(2026, 6, 1),
                 day=date(2025, 5, 20))
    assert fc.months_observed == 0.0
    assert (fc.booklets_per_month, fc.cents_per_month) == (0.0, 0)
    assert (fc.booklets_projected, fc.cents_projected) == (0, 0)


@pytest.mark.parametrize("day", [date(2025, 5, 1), date(2025, 5, 31)])
def test_projection_is_the_same_all_month_but_for_the_time_left(day):
    fc = project(SERIES, starts_on=date(2024, 1, 1), ends_on=date(2026, 5, 17), day=day)
    assert (fc.window_start, fc.window_end, fc.booklets_in_window) == (
        date(2025, 2, 1), date(2025, 4, 30), 61)
