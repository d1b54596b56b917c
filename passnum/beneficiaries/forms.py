"""Beneficiary search and creation forms (semantic checks live in the service)."""

from typing import Any

from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    BooleanField,
    DateField,
    EmailField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from passnum.beneficiaries.categories import (
    GENDER_LABELS,
    PRIORITY_AREA_LABELS,
    SOCIAL_STATUS_LABELS,
)
from passnum.beneficiaries.consent import current_consent_text
from passnum.core.forms import FrenchForm

COMMUNE_PLACEHOLDER = "Choisissez la commune"
MESSAGES_CONSENT = ("La personne accepte de recevoir des messages (SMS ou e-mail) sur le "
                    "Pass numérique")


def _not_given(labels: dict[Any, str]) -> list[SelectChoice]:
    """Choices of an optional category: "non communiqué" first, then the labels."""
    return [SelectChoice("", "Non communiqué"),
            *(SelectChoice(str(code), text) for code, text in labels.items())]


class CheckboxListField(SelectMultipleField):
    """A list of checkboxes (one per choice) under one legend."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SearchForm(FrenchForm):
    """Search by name and birth date; sent by POST so names never reach a URL."""

    last_name = StringField("Nom", validators=[DataRequired(), Length(max=80)])
    first_name = StringField("Prénom", validators=[Optional(), Length(max=80)])
    birth_date = DateField("Date de naissance", validators=[Optional()])


class BeneficiaryForm(FrenchForm):
    """A beneficiary with consent and the reporting categories (docs/reach.md). The
    commune's and the checklist's choices are set by the view (from the postal code and
    the programmes open today); the service checks them."""

    last_name = StringField("Nom", validators=[DataRequired(), Length(max=80)])
    first_name = StringField("Prénom", validators=[DataRequired(), Length(max=80)])
    birth_date = DateField("Date de naissance", validators=[DataRequired()])
    postal_code = StringField("Code postal", validators=[DataRequired(), Length(min=5, max=5)],
                              render_kw={"inputmode": "numeric", "autocomplete": "postal-code"})
    phone = TelField("Téléphone (facultatif)", validators=[Optional(), Length(max=20)])
    email = EmailField("E-mail (facultatif)", validators=[Optional(), Length(max=254)])
    need = TextAreaField("Besoin exprimé (facultatif)", validators=[Optional(), Length(max=1000)])
    # static/js/communes.js fills the select as the postal code is typed; without the
    # script, the server offers the communes of the postal code it received
    commune_insee = SelectField("Commune", choices=[SelectChoice("", COMMUNE_PLACEHOLDER)],
                                validate_choice=False, render_kw={
                                    "data-commune-for": "postal_code",
                                    "data-commune-url": "/communes",
                                    "data-commune-status": "commune-status"})
    gender = SelectField("Genre (facultatif)", choices=_not_given(GENDER_LABELS),
                         validate_choice=False)
    social_status = SelectField("Statut social (facultatif)",
                                choices=_not_given(SOCIAL_STATUS_LABELS), validate_choice=False)
    priority_area = SelectField(
        "Habite un quartier prioritaire (QPV) ou une commune France Ruralités "
        "Revitalisation (FRR) (facultatif)", choices=_not_given(PRIORITY_AREA_LABELS),
        validate_choice=False)
    priority_publics = CheckboxListField("Publics prioritaires du programme (facultatif)",
                                         choices=[], validate_choice=False)
    messages_consent = BooleanField(MESSAGES_CONSENT,
                                    render_kw={"aria-describedby": "messages_consent-hint"})
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
            "consent": bool(self.consent.data) if self.consent is not None else True,
            "commune_insee": self.commune_insee.data or None,
            "gender": self.gender.data or None, "social_status": self.social_status.data or None,
            "priority_area": self.priority_area.data or None,
            "priority_publics": list(self.priority_publics.data or []),
            "messages_consent": bool(self.messages_consent.data),
        }

    def offer_communes(self, choices: list[tuple[str, str]], lookup_url: str) -> None:
        """Offer the communes of the typed postal code in the commune select; the script
        asks ``lookup_url`` for those of a newly typed one."""
        self.commune_insee.choices = [SelectChoice("", COMMUNE_PLACEHOLDER),
                                      *(SelectChoice(v, t) for v, t in choices)]
        self.commune_insee.render_kw = {**(self.commune_insee.render_kw or {}),
                                        "data-commune-url": lookup_url}

    def offer_priority_publics(self, choices: list[tuple[str, str]]) -> None:
        """Offer the checklist of priority publics: (code, label)."""
        self.priority_publics.choices = [SelectChoice(v, t) for v, t in choices]


class EditBeneficiaryForm(BeneficiaryForm):
    """Correcting a record: the same fields, the consent already given stays."""

    consent = None  # type: ignore[assignment]
    structure_id = None  # type: ignore[assignment]


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
