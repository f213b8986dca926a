"""Forms of the user administration."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Email, Length

from crm.auth.forms import new_password_fields
from crm.extensions import db
from crm.models import User


def role_choices():
    return [("rep", _l("Sales rep")), ("manager", _l("Sales manager")), ("admin", _l("Administrator"))]


def manager_id(value) -> int | None:
    """The submitted manager: "" is none; anything but an id matches no choice ("Not a valid choice")."""
    if value in (None, ""):
        return None
    return int(value) if str(value).isdigit() and len(str(value)) < 10 else -1


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)],
                       render_kw={"autocomplete": "off"})
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254),
                        Email(message=_l("Enter a valid email address."), check_deliverability=False)],
                        render_kw={"inputmode": "email", "autocapitalize": "none", "autocomplete": "off"})
    role = SelectField(_l("Role"), choices=role_choices, default="rep")
    # The user's manager sees them in "My team" on the home page (crm/home/team.py).
    manager_id = SelectField(_l("Manager"), coerce=manager_id, choices=[], validate_choice=True)

    def set_manager_choices(self, managers, user=None) -> None:
        """Managers and admins, the edited user left out (nobody manages themselves)."""
        self.manager_id.choices = [("", _l("No manager"))] + [
            (m.id, m.name) for m in managers if user is None or m.id != user.id]


class NewUserForm(UserForm):
    password, confirm = new_password_fields()

    def password_owner(self) -> tuple[str, str]:
        return self.email.data or "", self.name.data or ""


class ResetPasswordForm(FlaskForm):
    password, confirm = new_password_fields()

    def password_owner(self) -> tuple[str | None, str | None]:
        # The route loaded the user of /users/<user_id>/password: db.session.get finds it in
        # the identity map, without a query.
        user = db.session.get(User, request.view_args.get("user_id")) if request.view_args else None
        return (user.email, user.name) if user is not None else (None, None)
