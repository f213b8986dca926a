"""Forms of the timeline: one per kind of activity, each with its kind as prefix.

The prefix keeps field ids unique when the five forms sit on one page ("task-subject",
"event-subject") and is also the name the fields are posted under.
"""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from crm.models import User

SUBJECT_MAX = 255
BODY_MAX = 10_000
# What a datetime-local input sends ("2026-11-24T14:30", seconds when the step allows them).
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


def priority_choices():
    return [("High", _l("High")), ("Normal", _l("Normal")), ("Low", _l("Low"))]


def _current_user_id() -> int | None:
    """A new task is assigned to whoever creates it unless they pick someone else."""
    return current_user.id if current_user and current_user.is_authenticated else None


def _subject():
    return StringField(_l("Subject"), validators=[DataRequired(), Length(max=SUBJECT_MAX)],
                       filters=[lambda v: v.strip() if isinstance(v, str) else v])


def _body():
    return TextAreaField(_l("Details"), validators=[Optional(), Length(max=BODY_MAX)], render_kw={"rows": 3})


class NoteForm(FlaskForm):
    subject = _subject()
    body = _body()


class CallForm(FlaskForm):
    subject = _subject()
    body = _body()


class EmailForm(FlaskForm):
    subject = _subject()
    body = _body()


class TaskForm(FlaskForm):
    subject = _subject()
    due_date = DateField(_l("Due date"), validators=[Optional()],
                         invalid_value_message=_l("Enter a valid date."))
    priority = SelectField(_l("Priority"), choices=priority_choices, default="Normal")
    # Choices are the active users, set by activity_form().
    assignee_id = SelectField(_l("Assigned to"), coerce=int, default=_current_user_id,
                              validate_choice=True)
    body = _body()


class EventForm(FlaskForm):
    subject = _subject()
    starts_at = DateTimeLocalField(_l("Starts"), validators=[InputRequired()], format=DATETIME_FORMATS,
                                   invalid_value_message=_l("Enter a valid date and time."))
    ends_at = DateTimeLocalField(_l("Ends"), validators=[InputRequired()], format=DATETIME_FORMATS,
                                 invalid_value_message=_l("Enter a valid date and time."))
    body = _body()

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data < self.starts_at.data:
            raise ValidationError(_l("The end cannot be before the start."))


FORMS = {"note": NoteForm, "call": CallForm, "email": EmailForm, "task": TaskForm, "event": EventForm}


def activity_form(kind: str, *, users: list[User], bound: bool = False) -> FlaskForm:
    """The form of `kind`: empty, or (bound=True) filled from the request being handled."""
    options = {"prefix": kind} if bound else {"prefix": kind, "formdata": None}
    form = FORMS[kind](**options)
    if kind == "task":
        form.assignee_id.choices = [(user.id, user.name) for user in users]
    return form


def form_data(form: FlaskForm) -> dict:
    """The submitted values by field name, without the CSRF token."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}
