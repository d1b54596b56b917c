"""Login forms: password, then the authenticator app's code for some roles."""

from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from passnum.core.forms import FrenchForm


def _new_password() -> PasswordField:
    """A new password (the password manager offers to make one)."""
    return PasswordField("Nouveau mot de passe", validators=[DataRequired(), Length(max=200)],
                         render_kw={"autocomplete": "new-password"})


def _confirmation_of(field: str) -> PasswordField:
    """The new password typed again, equal to ``field``."""
    return PasswordField("Confirmez le nouveau mot de passe",
                         validators=[DataRequired(), Length(max=200),
                                     EqualTo(field, message="Les deux mots de passe ne "
                                             "correspondent pas.")],
                         render_kw={"autocomplete": "new-password"})


class LoginForm(FrenchForm):
    """E-mail and password."""

    email = EmailField("Adresse e-mail", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Mot de passe", validators=[DataRequired(), Length(max=200)])


class CodeForm(FrenchForm):
    """The 6-digit code shown by the authenticator app."""

    code = StringField("Code à 6 chiffres", validators=[DataRequired(), Length(max=12)],
                       render_kw={"inputmode": "numeric", "autocomplete": "one-time-code",
                                  "pattern": "[0-9 ]*", "autofocus": True})


class PasswordChangeForm(FrenchForm):
    """The current password, then the new one twice."""

    current_password = PasswordField("Mot de passe actuel",
                                     validators=[DataRequired(), Length(max=200)],
                                     render_kw={"autocomplete": "current-password"})
    new_password = _new_password()
    confirm = _confirmation_of("new_password")


class PasswordForgottenForm(FrenchForm):
    """The address of the account whose password is forgotten."""

    email = EmailField("Adresse e-mail du compte", validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "email"})


class PasswordResetForm(FrenchForm):
    """The new password, twice."""

    password = _new_password()
    confirm = _confirmation_of("password")
