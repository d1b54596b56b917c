"""The end-of-programme forecast: pure arithmetic on the monthly series (no database).

projected = current + (amount in the window / months of the window) × months left, where
the window is the last three full months before the day's month (``pace_window``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from passnum.dashboard.stats import Forecast, MonthFigures

DAYS_PER_MONTH = 365.25 / 12
PACE_MONTHS = 3


def pace_window(starts_on: date, day: date) -> tuple[date, date, float]:
    """The period whose pace is extended: the last three full months before ``day``'s
    month (from the programme's start ``starts_on`` if shorter), or since the start when
    no full month has passed. Returns (first day, day after the last, length in months)."""
    month_start = day.replace(day=1)
    first = month_start
    for _ in range(PACE_MONTHS):
        first = (first - timedelta(days=1)).replace(day=1)
    first = max(first, starts_on)
    if first >= month_start:
        first, after = starts_on, day + timedelta(days=1)
        return first, after, round(max((after - first).days, 0) / DAYS_PER_MONTH, 4)
    if first.day == 1:
        months = (month_start.year - first.year) * 12 + month_start.month - first.month
        return first, month_start, float(months)
    return first, month_start, round((month_start - first).days / DAYS_PER_MONTH, 4)


def months_left(ends_on: date, day: date) -> float:
    """Months from ``day`` to the programme's end (0 once it has ended), 4 decimals."""
    return round(max((ends_on - day).days, 0) / DAYS_PER_MONTH, 4)


def project(monthly: Sequence[MonthFigures], *, starts_on: date, ends_on: date,
            day: date) -> Forecast:
    """End-of-programme position at the current pace, from the programme's whole
    monthly series (the period filter does not apply)."""
    first, after, observed = pace_window(starts_on, day)
    last = after - timedelta(days=1)
    window = [m for m in monthly
              if first.strftime("%Y-%m") <= m.month <= last.strftime("%Y-%m")]
    booklets_now = sum(m.booklets_issued for m in monthly)
    cents_now = sum(m.redeemed_cents for m in monthly)
    booklets_recent = sum(m.booklets_issued for m in window)
    cents_recent = sum(m.redeemed_cents for m in window)
    left = months_left(ends_on, day)
    booklets_pace = booklets_recent / observed if observed else 0.0
    cents_pace = cents_recent / observed if observed else 0.0
    return Forecast(
        window_start=first, window_end=last,
        months_observed=observed, months_remaining=left,
        booklets_in_window=booklets_recent, cents_in_window=cents_recent,
        booklets_current=booklets_now, cents_current=cents_now,
        booklets_per_month=round(booklets_pace, 1), cents_per_month=round(cents_pace),
        booklets_projected=booklets_now + round(booklets_pace * left),
        cents_projected=cents_now + round(cents_pace * left),
        ends_on=ends_on,
    )
