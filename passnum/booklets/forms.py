"""Booklet forms: issue, revoke, replace, check a code."""

from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from passnum.booklets.models import REVOKE_REASON_LABELS
from passnum.core.forms import FrenchForm


class IssueForm(FrenchForm):
    """Issue a booklet; the override reason is only read from managers and admins."""

    override_reason = TextAreaField(
        "Motif de validation d'un doublon probable (gestionnaire)",
        validators=[Optional(), Length(max=500)],
    )


class RevokeForm(FrenchForm):
    """Declare a booklet lost, stolen or cancelled."""

    reason = RadioField(
        "Motif", choices=[SelectChoice(k.value, v) for k, v in REVOKE_REASON_LABELS.items()],
        validators=[DataRequired(message="Choisissez un motif.")],
    )
    note = TextAreaField("Commentaire (facultatif)", validators=[Optional(), Length(max=500)])


class EmptyForm(FrenchForm):
    """A POST with only its CSRF token."""


class CheckForm(FrenchForm):
    """Type a manual code or paste a voucher link."""

    code = StringField("Code du chèque", validators=[DataRequired(), Length(max=300)])
