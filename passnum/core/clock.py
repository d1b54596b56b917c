"""The one clock of the application (UTC-aware), replaceable in tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
_frozen: datetime | None = None


def now() -> datetime:
    """Return the current UTC-aware time (or the frozen time in tests)."""
    return _frozen if _frozen is not None else datetime.now(UTC)


def today() -> date:
    """Return today's date in Europe/Paris, the programme's legal time zone."""
    return now().astimezone(PARIS).date()


@contextmanager
def frozen(at: datetime) -> Iterator[None]:
    """Freeze the clock at ``at`` (UTC-aware) for the duration of the block."""
    global _frozen
    if at.tzinfo is None:
        raise ValueError("frozen() needs an aware datetime")
    previous, _frozen = _frozen, at.astimezone(UTC)
    try:
        yield
    finally:
        _frozen = previous


def paris_day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants where ``day`` starts and ends in Europe/Paris (DST-aware)."""
    start = datetime.combine(day, time.min, PARIS).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time.min, PARIS).astimezone(UTC)
    return start, end


# dates a filter may name: wide enough for any programme, narrow enough that every
# computation on them (Paris day bounds, months around them) stays within datetime's range
DATE_MIN = date(2000, 1, 1)
DATE_MAX = date(2100, 12, 31)


class InvalidDate(ValueError):
    """A date that cannot be used: malformed, or outside ``DATE_MIN``..``DATE_MAX``;
    ``str()`` is the French message to show."""


def parse_iso_date(raw: str) -> date:
    """Parse exactly ``YYYY-MM-DD`` (ASCII digits) between ``DATE_MIN`` and ``DATE_MAX``;
    raise ``InvalidDate`` otherwise."""
    digits = raw.replace("-", "")
    try:
        if len(raw) != 10 or raw[4] != "-" or raw[7] != "-" or not (
                digits.isascii() and digits.isdigit()):
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise InvalidDate("Date invalide : attendu AAAA-MM-JJ.") from None
    if not DATE_MIN <= day <= DATE_MAX:
        raise InvalidDate(f"Date hors limites : entre le {DATE_MIN:%d/%m/%Y} "
                          f"et le {DATE_MAX:%d/%m/%Y}.")
    return day
