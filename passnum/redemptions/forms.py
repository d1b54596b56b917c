"""Forms of the voucher check and of the venue's redemption history."""

from wtforms import BooleanField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from passnum.core.forms import FrenchForm, IsoDateField


class CheckForm(FrenchForm):
    """Type a manual code or paste a voucher link."""

    code = StringField("Code du chèque", validators=[DataRequired(), Length(max=300)])


class HistoryFilterForm(FrenchForm):
    """Filters sent by GET (no personal data in them): period, workshop, undone ones."""

    class Meta:
        csrf = False  # a read-only GET form

    start = IsoDateField("Du", validators=[Optional()])
    end = IsoDateField("Au", validators=[Optional()])
    workshop = SelectField("Atelier", coerce=int, validators=[Optional()])
    include_undone = BooleanField("Inclure les encaissements annulés", default=True)


class FindVoucherForm(FrenchForm):
    """Find one voucher by its serial or manual code (POST: codes stay out of URLs)."""

    code = StringField("N° de série ou code du chèque",
                       validators=[DataRequired(), Length(max=300)])
