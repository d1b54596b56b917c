"""Allocation form."""

from wtforms import StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from passnum.core.forms import FrenchForm, IsoDateField, WholeNumberField, required_data
from passnum.programmes.services import MAX_ALLOCATION, REASON_MAX


class AllocationForm(FrenchForm):
    """New allocation of one structure, with the reason of the change."""

    booklets = WholeNumberField("Chéquiers alloués", validators=[
        InputRequired(), NumberRange(min=0, max=MAX_ALLOCATION)],
        render_kw={"inputmode": "numeric", "min": 0})
    reason = StringField("Motif", validators=[InputRequired(), Length(max=REASON_MAX)])


class ProgrammeForm(FrenchForm):
    """A programme's convention: period, target, budget, booklet composition, validity."""

    name = StringField("Nom", validators=[InputRequired(), Length(max=120)])
    starts_on = IsoDateField("Début", validators=[InputRequired()])
    ends_on = IsoDateField("Fin", validators=[InputRequired()])
    target_beneficiaries = WholeNumberField("Bénéficiaires visés", validators=[InputRequired()])
    budget_euros = WholeNumberField("Budget (euros)", validators=[InputRequired()])
    vouchers_per_booklet = WholeNumberField("Chèques par chéquier", validators=[InputRequired()])
    voucher_value_euros = WholeNumberField("Valeur d'un chèque (euros)",
                                       validators=[InputRequired()])
    validity_months = WholeNumberField("Validité des chèques (mois après émission)",
                                   validators=[InputRequired()])
    eligible_postal_codes = TextAreaField("Territoire : codes postaux admis (facultatif)",
                                          validators=[Optional(), Length(max=5000)])
    minimum_age = WholeNumberField("Âge minimum (facultatif)", validators=[Optional()])

    def values(self) -> dict:
        """The fields as the service takes them (amounts in cents)."""
        return {
            "name": self.name.data, "starts_on": self.starts_on.data,
            "ends_on": self.ends_on.data, "target_beneficiaries": self.target_beneficiaries.data,
            "budget_cents": required_data(self.budget_euros.data) * 100,
            "vouchers_per_booklet": self.vouchers_per_booklet.data,
            "voucher_value_cents": required_data(self.voucher_value_euros.data) * 100,
            "validity_months": self.validity_months.data,
            "eligible_postal_codes": self.eligible_postal_codes.data or "",
            "minimum_age": self.minimum_age.data,
        }


class QuotaForm(FrenchForm):
    """A département's share of the programme."""

    target_beneficiaries = WholeNumberField("Bénéficiaires visés", validators=[InputRequired()])
    booklet_quota = WholeNumberField("Quota de chéquiers", validators=[InputRequired()])
    budget_euros = WholeNumberField("Budget (euros)", validators=[InputRequired()])


class DepartementForm(FrenchForm):
    """A new département."""

    code = StringField("Code", validators=[InputRequired(), Length(max=3)])
    name = StringField("Nom", validators=[InputRequired(), Length(max=80)])


class PriorityPublicForm(FrenchForm):
    """A new entry of the programme's checklist of priority publics."""

    label = StringField("Intitulé", validators=[InputRequired(), Length(max=160)])


class PriorityPublicChangeForm(FrenchForm):
    """Rename, move, retire or bring back one entry (``action``: the button pressed)."""

    label = StringField("Intitulé", validators=[Optional(), Length(max=160)])
    action = StringField(validators=[InputRequired()])


class PriorityTargetForm(FrenchForm):
    """The convention's target share of priority publics."""

    priority_target_percent = WholeNumberField(
        "Part de publics prioritaires visée (%, facultatif)", validators=[Optional()],
        render_kw={"inputmode": "numeric", "min": 0, "max": 100})
