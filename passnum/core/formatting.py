"""French display of numbers, money and dates, by Babel for ``fr_FR`` (amounts are
integer euro cents in code): ``36 000``, ``2 000 000,00 €`` (Babel's narrow no-break
space between thousands, a no-break space before the sign), ``12/03/2024``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal

from passnum.core.clock import PARIS

NBSP = "\u00a0"
LOCALE = Locale.parse("fr_FR")


def euros(cents: int) -> str:
    """Format cents as ``1 234,50 €`` (Babel, fr_FR)."""
    return format_currency(Decimal(int(cents)) / 100, "EUR", locale=LOCALE)


def number(value: int | float) -> str:
    """Format a number as ``36 000`` or ``12,5`` (Babel, fr_FR)."""
    return format_decimal(value, locale=LOCALE)


def distance_fr(km: float | None) -> str:
    """``à 3,2 km`` (one decimal; ``à moins de 100 m`` below that); "" when unknown."""
    if km is None:
        return ""
    if km < 0.1:
        return "à moins de 100 m"
    return f"à {format_decimal(round(km, 1), format='#,##0.0', locale=LOCALE)} km"


def agree(count: int, singular: str, plural_form: str | None = None) -> str:
    """The word agreed with ``count`` by French plural rules (Babel: 0 and 1 take the
    singular); ``plural_form`` defaults to ``singular`` + "s"."""
    if LOCALE.plural_form(abs(count)) == "one":
        return singular
    return plural_form or f"{singular}s"


def plural(count: int, singular: str, plural_form: str | None = None) -> str:
    """``0 relevé``, ``1 révoqué``, ``2 révoqués``: the count, formatted, and the word."""
    return f"{number(count)} {agree(count, singular, plural_form)}"


def as_utc(value: datetime) -> datetime:
    """Treat naive datetimes (as SQLite returns them) as UTC."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def datetime_fr(value: datetime | None) -> str:
    """Format a datetime as ``12/03/2024 14:02`` in Europe/Paris."""
    if value is None:
        return ""
    return as_utc(value).astimezone(PARIS).strftime("%d/%m/%Y %H:%M")


def date_fr(value: date | None) -> str:
    """Format a date as ``12/03/2024`` (jj/mm/aaaa)."""
    return format_date(value, "dd/MM/yyyy", locale=LOCALE) if value else ""


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
