"""French display of money and dates (amounts are integer euro cents in code)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from passnum.core.clock import PARIS

NBSP = "\u00a0"


def euros(cents: int) -> str:
    """Format cents as ``1 234,50 €`` (non-breaking spaces)."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    grouped = f"{whole:,}".replace(",", NBSP)
    return f"{sign}{grouped},{rest:02d}{NBSP}€"


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (as SQLite returns them) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def datetime_fr(value: datetime | None) -> str:
    """Format a datetime as ``12/03/2024 14:02`` in Europe/Paris."""
    if value is None:
        return ""
    return as_utc(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def date_fr(value: date | None) -> str:
    """Format a date as ``12/03/2024``."""
    return value.strftime("%d/%m/%Y") if value else ""


def format_iban(iban: str | None) -> str:
    """The IBAN in groups of four, as printed on a RIB (``FR76 3000 …``); spaces typed in
    a stored value are ignored. The one way an IBAN is shown, on pages and in PDFs."""
    compact = "".join((iban or "").split())
    return " ".join(compact[i:i + 4] for i in range(0, len(compact), 4))


def euros_plain(cents: int) -> str:
    """``1234,50``: the decimal comma spreadsheets expect, no currency sign."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole},{rest:02d}"


def spreadsheet_text(text: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (=, +, -, @)."""
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") else text
