"""The base of every form: CSRF from Flask-WTF, built-in messages in French."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import DateField, Field
from wtforms.meta import DefaultMeta

from passnum.core.clock import InvalidDate, parse_iso_date


class FrenchForm(FlaskForm):
    """A form whose built-in messages ("not a valid date"…) are in French."""

    class Meta:
        """WTForms' own French catalogue, without Flask-Babel."""

        locales = ("fr_FR", "fr")

        def get_translations(self, form: Any) -> Any:
            """Use WTForms' bundled translations for ``locales``."""
            return DefaultMeta.get_translations(self, form)

    def field_for(self, name: str | None) -> Field | None:
        """The form field that shows a service error about ``name``, if any."""
        return self[name] if name and name in self else None


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
