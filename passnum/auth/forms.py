"""Login form."""

from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from passnum.core.forms import FrenchForm


class LoginForm(FrenchForm):
    """E-mail and password."""

    email = EmailField("Adresse e-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(), Length(max=200)])
