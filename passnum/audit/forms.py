"""The audit log's search form (GET: it changes nothing, no CSRF token in the URL)."""

from __future__ import annotations

from wtforms import StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp

from passnum.core.forms import FrenchForm, IsoDateField, WholeNumberField


class AuditSearchForm(FrenchForm):
    """Filters of ``/journal``: staff and object ids only, never a person's name."""

    class Meta:
        """A search changes nothing."""

        csrf = False

    action = StringField("Action (ou son début, p. ex. « auth. »)", validators=[
        Optional(), Length(max=60),
        Regexp(r"^[a-z_.]*$", message="Lettres minuscules, points et tirets bas.")],
        render_kw={"list": "actions"})
    actor_id = WholeNumberField("N° du compte auteur", validators=[
        Optional(), NumberRange(min=1, max=2**31 - 1)])
    object_type = StringField("Type d'objet (p. ex. booklet)", validators=[
        Optional(), Length(max=40), Regexp(r"^[a-z_]*$", message="Lettres minuscules.")])
    object_id = StringField("N° de l'objet", validators=[
        Optional(), Length(max=40), Regexp(r"^[A-Za-z0-9_-]*$", message="Identifiant invalide.")])
    start = IsoDateField("Du", validators=[Optional()])
    end = IsoDateField("Au", validators=[Optional()])
