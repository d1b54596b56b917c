"""Statement forms: generate, confirm a transition, record a payment, add an adjustment."""

from __future__ import annotations

import re

from wtforms import (  # type: ignore[attr-defined]  # SelectChoice: WTForms 3.3, stubs 3.2
    BooleanField,
    DateField,
    Field,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Regexp, ValidationError
from wtforms.widgets import TextInput

from passnum.core.forms import FrenchForm
from passnum.statements.services import REASON_MAX, REFERENCE_MAX

PERIOD_PATTERN = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class GenerateForm(FrenchForm):
    """Generate (or bring up to date) a venue's draft for a month."""

    venue = SelectField("Lieu labellisé", coerce=int,
                        validators=[DataRequired(message="Choisissez un lieu.")])
    period = StringField("Mois (AAAA-MM)", render_kw={"type": "month", "placeholder": "2024-03"},
                         validators=[DataRequired(message="Indiquez le mois."),
                                     Regexp(PERIOD_PATTERN, message="Mois invalide : attendu "
                                            "AAAA-MM, par exemple 2024-03.")])
    departement = SelectField("Département payeur",
                              validators=[DataRequired(message="Choisissez le département "
                                                                "payeur.")])


class ConfirmForm(FrenchForm):
    """A transition the person must confirm (validate, archive)."""

    confirm = BooleanField("Je confirme", validators=[
        DataRequired(message="Cochez la case pour confirmer.")])


class PaymentForm(FrenchForm):
    """The payment of a validated statement."""

    paid_on = DateField("Date du paiement", validators=[
        InputRequired(message="Indiquez la date du paiement.")])
    reference = StringField("Référence du paiement (mandat, virement)", validators=[
        DataRequired(message="Indiquez la référence du paiement."),
        Length(max=REFERENCE_MAX, message=f"{REFERENCE_MAX} caractères au plus.")])


# ASCII digits only: \d would also read Arabic-Indic or full-width digits
AMOUNT_PATTERN = re.compile(r"^([+-]?)([0-9]{1,7})(?:[.,]([0-9]{1,2}))?$")


class EuroField(Field):
    """An amount in euros typed the French way (``12,50``, ``-10``); ``data`` in cents."""

    widget = TextInput()
    data: int | None

    def process_formdata(self, valuelist: list[str]) -> None:
        """Parse to integer cents; leave ``data`` None with an error when malformed."""
        self.data = None
        typed = (valuelist[0] if valuelist else "").strip(" \t")
        raw = typed.replace("\u00a0", "").replace(" ", "")
        if not raw:
            if valuelist and valuelist[0]:  # only spaces: as good as nothing, said so
                raise ValueError("Indiquez un montant, par exemple 10,00 ou -10,00.")
            return
        match = AMOUNT_PATTERN.match(raw.removesuffix("€"))
        if match is None:
            raise ValueError("Montant invalide : attendu par exemple 10,00 ou -10,00.")
        cents = int(match[2]) * 100 + int((match[3] or "0").ljust(2, "0"))
        self.data = -cents if match[1] == "-" else cents

    def _value(self) -> str:
        return self.raw_data[0] if self.raw_data else ""


def _not_zero(_form: FrenchForm, field: EuroField) -> None:
    if field.data == 0:
        raise ValidationError("Le montant ne peut pas être nul.")


class AdjustmentForm(FrenchForm):
    """A credit or debit correcting a validated statement, carried by the next one."""

    amount = EuroField(
        "Montant en euros (négatif pour une retenue)",
        validators=[InputRequired(message="Indiquez un montant, par exemple 10,00 ou -10,00."),
                    _not_zero])
    reason = TextAreaField("Motif", validators=[
        DataRequired(message="Indiquez le motif de la régularisation."),
        Length(max=REASON_MAX, message=f"{REASON_MAX} caractères au plus.")])


class FilterForm(FrenchForm):
    """The list's filters (GET, no CSRF)."""

    class Meta:
        """Filters change nothing: no CSRF token in the URL."""

        csrf = False

    period = StringField("Mois (AAAA-MM)", render_kw={"type": "month"}, validators=[
        Regexp(r"^$|^\d{4}-(0[1-9]|1[0-2])$", message="Mois invalide : attendu AAAA-MM.")])
    departement = SelectField("Département payeur", choices=[SelectChoice("", "Tous")],
                              default="")
    status = SelectField("Statut", choices=[SelectChoice("", "Tous")], default="")
