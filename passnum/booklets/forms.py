"""Booklet forms: issue, revoke, replace, stock and hand-out."""

from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    RadioField,
    SelectChoice,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from passnum.booklets.models import REVOKE_REASON_LABELS
from passnum.booklets.services import STOCK_BATCH_MAX
from passnum.core.forms import FrenchForm, WholeNumberField


class IssueForm(FrenchForm):
    """Issue a booklet; the override reason is only read from administrators (managers
    record theirs on the person's record)."""

    override_reason = TextAreaField(
        "Motif de validation d'un doublon probable (administrateur)",
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


class StockForm(FrenchForm):
    """How many stock booklets to print for the structure."""

    count = WholeNumberField(
        "Nombre de chéquiers à imprimer",
        validators=[DataRequired(message="Indiquez un nombre de chéquiers."),
                    NumberRange(min=1, max=STOCK_BATCH_MAX,
                                message=f"Indiquez un nombre entre 1 et {STOCK_BATCH_MAX}.")],
    )


class BookletNumberForm(FrenchForm):
    """The number of a stock booklet, typed or scanned."""

    number = StringField("Numéro du chéquier", validators=[DataRequired(), Length(max=40)])


class HandOutForm(FrenchForm):
    """Confirm a hand-out; the override reason is only read from administrators."""

    override_reason = TextAreaField(
        "Motif de validation d'un doublon probable (administrateur)",
        validators=[Optional(), Length(max=500)],
    )
