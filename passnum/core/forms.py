"""The base of every form: CSRF from Flask-WTF, built-in messages in French."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.meta import DefaultMeta


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
