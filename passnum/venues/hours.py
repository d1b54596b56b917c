"""A venue's opening hours, in OpenStreetMap's ``opening_hours`` syntax (what the national
standard's ``horaires`` column and data·inclusion's ``horaires_accueil`` carry), read by
the ``opening-hours-py`` library: checked when typed, told in plain French on the
public page ("Ouvert maintenant, ferme à 18 h"), and asked "open now?" by the directory.

Times are Paris's; French public holidays (``PH``) come with the library's calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import opening_hours

from passnum.core.clock import PARIS
from passnum.errors import InvalidInput

WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
          "septembre", "octobre", "novembre", "décembre")
# an unknown expression is never evaluated more than a year ahead
_HORIZON_DAYS = 366


def _expression(text: str) -> opening_hours.OpeningHours:
    return opening_hours.OpeningHours(text, timezone=PARIS, country="FR",
                                      max_interval_days=_HORIZON_DAYS)


def check_opening_hours(value: str | None) -> str:
    """Return the opening hours as stored (surrounding spaces removed; "" for none), or
    raise ``InvalidInput`` (``opening_hours_invalid``, field ``opening_hours``) with a
    French message when the library refuses the expression."""
    text = " ".join((value or "").split())
    if not text:
        return ""
    if len(text) > 500 or not opening_hours.validate(text):
        raise InvalidInput(
            "Ces horaires ne sont pas au format OpenStreetMap : écrivez par exemple "
            "« Mo-Fr 09:00-12:00,14:00-18:00; Sa 09:00-12:00 » (jours en anglais "
            "abrégé Mo Tu We Th Fr Sa Su, heures sur 24 h, « ; » entre deux règles).",
            code="opening_hours_invalid", field="opening_hours")
    return text


@dataclass(frozen=True)
class OpeningState:
    """Whether a venue is open at an instant, and when that changes (``None``: not
    within a year). ``comment`` is the rule's own comment ("sur rendez-vous")."""

    is_open: bool
    next_change: datetime | None
    comment: str


def opening_state(text: str, at: datetime) -> OpeningState | None:
    """The venue's state at ``at`` (an aware instant), or ``None`` when it has no
    opening hours, they are not valid, or they say nothing sure (``unknown``)."""
    if not text or not opening_hours.validate(text):
        return None
    expression = _expression(text)
    local = at.astimezone(PARIS)
    state, comment = expression.state(local)
    if state == opening_hours.State.UNKNOWN:
        return None
    change = expression.next_change(local)
    return OpeningState(state == opening_hours.State.OPEN,
                        change.astimezone(PARIS) if change is not None else None,
                        comment or "")


def is_open(text: str, at: datetime) -> bool:
    """True when the opening hours say the venue is open at ``at``."""
    state = opening_state(text, at)
    return state is not None and state.is_open


def _clock(at: datetime) -> str:
    """``18 h`` or ``18 h 30``."""
    return f"{at.hour} h" if at.minute == 0 else f"{at.hour} h {at.minute:02d}"


def _when(change: datetime, at: datetime) -> str:
    """When ``change`` happens, seen from ``at``: ``à 18 h``, ``demain à 9 h``,
    ``lundi à 9 h`` (within the week), else ``le 3 janvier à 9 h``."""
    days = (change.date() - at.date()).days
    if days == 0:
        return f"à {_clock(change)}"
    if days == 1:
        return f"demain à {_clock(change)}"
    if days < 7:
        return f"{WEEKDAYS[change.weekday()]} à {_clock(change)}"
    return f"le {change.day} {MONTHS[change.month - 1]} à {_clock(change)}"


def describe(text: str, at: datetime) -> str:
    """The venue's state at ``at`` in plain French: "Ouvert maintenant, ferme à 18 h",
    "Fermé, ouvre demain à 9 h", "Ouvert 24 h/24"; "" without usable hours."""
    state = opening_state(text, at)
    if state is None:
        return ""
    local = at.astimezone(PARIS)
    comment = f" ({state.comment})" if state.comment else ""
    if state.is_open:
        if state.next_change is None or state.next_change - local > timedelta(days=365):
            return f"Ouvert en permanence{comment}"
        return f"Ouvert maintenant, ferme {_when(state.next_change, local)}{comment}"
    if state.next_change is None:
        return "Fermé"
    return f"Fermé, ouvre {_when(state.next_change, local)}{comment}"


@dataclass(frozen=True)
class DayHours:
    """One day of the opening table: its name ("lundi 7 décembre"), its opening spans
    in French ("9 h – 12 h"; "" when closed) and the rules' comments."""

    day: str
    spans: tuple[str, ...]
    comment: str

    @property
    def closed(self) -> bool:
        """True when the venue does not open that day."""
        return not self.spans


def _span_end(end: datetime, day_end: datetime) -> str:
    """An opening span's end, ``24 h`` at midnight."""
    return "24 h" if end >= day_end else _clock(end)


def week(text: str, at: datetime, *, days: int = 7) -> list[DayHours]:
    """The opening spans of the ``days`` days from ``at``'s day (Paris time), public
    holidays included; [] without usable hours. Spans the hours leave unsure
    (``unknown``) are marked "(à confirmer)"."""
    if not text or not opening_hours.validate(text):
        return []
    expression = _expression(text)
    start = at.astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0)
    table = []
    for n in range(days):
        # wall-clock midnights (aware arithmetic in one zone keeps the wall clock)
        day_start, day_end = start + timedelta(days=n), start + timedelta(days=n + 1)
        spans, comments = [], []
        for begin, end, state, comment in expression.intervals(day_start, day_end):
            if state == opening_hours.State.CLOSED:
                continue
            unsure = " (à confirmer)" if state == opening_hours.State.UNKNOWN else ""
            spans.append(f"{_clock(begin)} – {_span_end(end, day_end)}{unsure}")
            if comment and comment not in comments:
                comments.append(comment)
        name = f"{WEEKDAYS[day_start.weekday()]} {day_start.day} {MONTHS[day_start.month - 1]}"
        table.append(DayHours(name, tuple(spans), ", ".join(comments)))
    return table
