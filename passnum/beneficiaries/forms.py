"""Beneficiary search and creation forms (semantic checks live in the service)."""

from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from passnum.beneficiaries.consent import current_consent_text
from passnum.core.forms import FrenchForm


class SearchForm(FrenchForm):
    """Search by name and birth date; sent by POST so names never reach a URL."""

    last_name = StringField("Nom", validators=[DataRequired(), Length(max=80)])
    first_name = StringField("Prénom", validators=[Optional(), Length(max=80)])
    birth_date = DateField("Date de naissance", validators=[Optional()])


class BeneficiaryForm(FrenchForm):
    """New beneficiary with consent."""

    last_name = StringField("Nom", validators=[DataRequired(), Length(max=80)])
    first_name = StringField("Prénom", validators=[DataRequired(), Length(max=80)])
    birth_date = DateField("Date de naissance", validators=[DataRequired()])
    postal_code = StringField("Code postal", validators=[DataRequired(), Length(min=5, max=5)])
    phone = TelField("Téléphone (facultatif)", validators=[Optional(), Length(max=20)])
    email = EmailField("E-mail (facultatif)", validators=[Optional(), Length(max=254)])
    need = TextAreaField("Besoin exprimé (facultatif)", validators=[Optional(), Length(max=1000)])
    # the label is the very text the person agrees to (its version is stored with them)
    consent = BooleanField(current_consent_text())
    # only shown to administrators; issuers always record in their own structure
    structure_id = SelectField("Structure", coerce=int, validators=[Optional()])

    def as_data(self) -> dict:
        """The form's values as the service expects them."""
        return {
            "last_name": self.last_name.data, "first_name": self.first_name.data,
            "birth_date": self.birth_date.data, "postal_code": self.postal_code.data,
            "phone": self.phone.data, "email": self.email.data, "need": self.need.data,
            "consent": bool(self.consent.data),
        }


class OverrideForm(FrenchForm):
    """A manager's reason for setting aside a likely duplicate."""

    reason = TextAreaField("Motif (la personne n'est pas celle du chéquier déjà émis)",
                           validators=[DataRequired(), Length(max=500)])


class EligibilityOverrideForm(FrenchForm):
    """A manager's reason for giving a booklet to a person outside the programme's
    territory or below its minimum age."""

    eligibility_reason = TextAreaField(
        "Motif (pourquoi la personne doit recevoir un chéquier malgré les critères)",
        validators=[DataRequired(), Length(max=500)])
