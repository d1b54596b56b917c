"""The base of every form: CSRF from Flask-WTF, built-in messages in French."""

from __future__ import annotations

import re
from typing import Any, TypeVar

from flask_wtf import FlaskForm
from wtforms import DateField, Field, IntegerField
from wtforms.meta import DefaultMeta

from passnum.core.clock import InvalidDate, parse_iso_date

T = TypeVar("T")


class FrenchForm(FlaskForm):
    """A form whose built-in messages ("not a valid date"…) are in French."""

    class Meta(DefaultMeta):
        """WTForms' own French catalogue, without Flask-Babel."""

        locales = ("fr_FR", "fr")

        def get_translations(self, form: Any) -> Any:
            """Use WTForms' bundled translations for ``locales``."""
            return DefaultMeta.get_translations(self, form)

    def field_for(self, name: str | None) -> Field | None:
        """The form field that shows a service error about ``name``, if any."""
        return self[name] if name and name in self else None


def required_data(data: T | None) -> T:
    """A required field's data once its form validated (never None then).

    Raises ``ValueError`` when read before validation, a programming error.
    """
    if data is None:
        raise ValueError("required field read before its form validated")
    return data


# Python's int() also reads Arabic-Indic or full-width digits, "1_000" and Unicode spaces:
# a number typed into the application is ASCII digits, nothing else.
WHOLE_NUMBER = re.compile(r"-?[0-9]{1,15}")
NOT_A_NUMBER = "Nombre invalide : chiffres 0 à 9 uniquement."


def parse_whole_number(text: str) -> int:
    """Read a whole number written in ASCII digits (spaces around it allowed).

    Raises ``ValueError`` with a French message for anything else.
    """
    raw = text.strip(" \t")
    if not WHOLE_NUMBER.fullmatch(raw):
        raise ValueError(NOT_A_NUMBER)
    return int(raw)


class WholeNumberField(IntegerField):
    """An integer field (amounts in euros, counts) that reads ASCII digits only."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse with ``parse_whole_number``; an empty value is left to the validators."""
        self.data = None
        if not valuelist or not str(valuelist[0]).strip(" \t"):
            return
        self.data = parse_whole_number(str(valuelist[0]))


class IsoDateField(DateField):
    """A ``YYYY-MM-DD`` date read by ``clock.parse_iso_date``: within the dates any filter
    may name, with its French message otherwise (never a date that overflows later)."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        """Parse the submitted text; an empty value is left to ``Optional``/``InputRequired``."""
        if not valuelist:
            return
        raw = " ".join(str(value) for value in valuelist).strip()
        self.data = None
        if not raw:
            return
        try:
            self.data = parse_iso_date(raw)
        except InvalidDate as err:
            raise ValueError(str(err)) from None
