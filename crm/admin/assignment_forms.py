"""Forms of the lead assignment administration: rules, queues, queue members, the default owner."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from crm.admin.lead_settings_forms import strip
from crm.leads.labels import label


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


def text(label_, max_length, *validators, **kwargs):
    return StringField(label_, validators=[*validators, Optional(), Length(max=max_length)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": max_length}, **kwargs)


def employees(label_):
    return IntegerField(label_, validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number between 0 and 10,000,000."))],
        render_kw={"inputmode": "numeric"})


class AssignmentRuleForm(FlaskForm):
    name = StringField(_l("Rule name"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 80})
    country = text(_l("Country"), 80)
    state = text(_l("State/Province"), 80)
    postal_code_prefix = text(_l("Postal code starts with"), 20)
    lead_source = SelectField(_l("Lead source"), choices=[], validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), coerce=optional_int, choices=[], validators=[Optional()])
    employees_min = employees(_l("Employees, at least"))
    employees_max = employees(_l("Employees, at most"))
    owner_user_id = SelectField(_l("Assign to user"), coerce=optional_int, choices=[], validators=[Optional()])
    queue_id = SelectField(_l("Or to queue"), coerce=optional_int, choices=[], validators=[Optional()])
    active = BooleanField(_l("Active"), default=True)

    def set_choices(self, *, sources, campaigns, users, queues, rule=None) -> "AssignmentRuleForm":
        """Fill the drop-downs; a rule's current value stays offered even when retired."""
        if rule is not None and rule.lead_source and rule.lead_source not in sources:
            sources = [*sources, rule.lead_source]
        self.lead_source.choices = [("", _l("Any"))] + [(s, label(s)) for s in sources]
        self.campaign_id.choices = [(None, _l("Any"))] + [(c.id, c.name) for c in campaigns]
        self.owner_user_id.choices = [(None, "—")] + [(u.id, u.name) for u in users]
        self.queue_id.choices = [(None, "—")] + [(q.id, q.name) for q in queues]
        return self

    def validate_owner_user_id(self, field):
        if (field.data is None) == (self.queue_id.data is None):
            raise ValidationError(_l("Choose a user or a queue, not both."))

    def validate_employees_max(self, field):
        low = self.employees_min.data
        if low is not None and field.data is not None and low > field.data:
            raise ValidationError(_l("The maximum cannot be below the minimum."))

    def rule_data(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class QueueForm(FlaskForm):
    name = StringField(_l("Queue name"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 80})
    round_robin = BooleanField(_l("Round-robin: deal its leads to the members in turn"))


class QueueMemberForm(FlaskForm):
    user_id = SelectField(_l("User"), coerce=optional_int, choices=[],
                          validators=[DataRequired(message=_l("Choose a user."))])

    def set_choices(self, users) -> "QueueMemberForm":
        self.user_id.choices = [(None, "—")] + [(u.id, u.name) for u in users]
        return self


class DefaultOwnerForm(FlaskForm):
    default_owner_id = SelectField(_l("Default owner"), coerce=optional_int, choices=[], validators=[Optional()])

    def set_choices(self, users) -> "DefaultOwnerForm":
        self.default_owner_id.choices = [(None, _l("Nobody: the lead keeps the owner it was created with"))] + [
            (u.id, u.name) for u in users]
        return self
