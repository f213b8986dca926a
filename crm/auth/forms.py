"""Sign-in and self-service forms."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from crm.auth.passwords import PASSWORD_MAX, PasswordRules


class LoginForm(FlaskForm):
    # No syntax check here: a sign-in must only ever say "wrong email or password".
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                        render_kw={"autocomplete": "username", "inputmode": "email",
                                   "autocapitalize": "none", "spellcheck": "false"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField(_l("Keep me signed in"))


def new_password_fields():
    """The new password and its confirmation; the form's password_owner() names whose it is."""
    return (
        # No maxlength attribute: a longer paste must get the message, not be cut silently.
        PasswordField(_l("New password"), validators=[DataRequired(), PasswordRules()],
                      render_kw={"autocomplete": "new-password"}),
        PasswordField(_l("Repeat the new password"),
                      validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
                      render_kw={"autocomplete": "new-password"}),
    )


class ChangePasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})
    password, confirm = new_password_fields()

    def password_owner(self) -> tuple[str, str]:
        return current_user.email, current_user.name


class SignOutOthersForm(FlaskForm):
    """Ending one's other sessions asks for the password again: a borrowed session cannot do it."""

    current_password = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=PASSWORD_MAX)],
                                     render_kw={"autocomplete": "current-password"})


def locale_choices():
    return [("", _l("Same as my browser")), ("en", "English"), ("fr", "Français")]


class PreferencesForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=locale_choices)
