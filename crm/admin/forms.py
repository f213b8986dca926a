"""Forms of the user administration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from crm.auth.forms import new_password_fields


def role_choices():
    return [("rep", _l("Sales rep")), ("manager", _l("Sales manager")), ("admin", _l("Administrator"))]


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "off"})
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254),
                        Email(message=_l("Enter a valid email address."), check_deliverability=False)],
                        render_kw={"inputmode": "email", "autocapitalize": "none", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=role_choices, default="rep")


class NewUserForm(UserForm):
    password, confirm = new_password_fields()


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()
