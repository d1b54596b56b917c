"""Allocation form."""

from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange

from passnum.core.forms import FrenchForm
from passnum.programmes.services import MAX_ALLOCATION, REASON_MAX


class AllocationForm(FrenchForm):
    """New allocation of one structure, with the reason of the change."""

    booklets = IntegerField("Chéquiers alloués", validators=[
        InputRequired(), NumberRange(min=0, max=MAX_ALLOCATION)],
        render_kw={"inputmode": "numeric", "min": 0})
    reason = StringField("Motif", validators=[InputRequired(), Length(max=REASON_MAX)])
