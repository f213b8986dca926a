"""The campaign form, and the shipped campaign types and statuses in the reader's language."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from crm.models import CAMPAIGN_STATUSES, CAMPAIGN_TYPES

NAME_MAX = 80

# Stored in English (crm/models/campaign.py), shown translated.
TYPE_LABELS = {
    "Conference": _l("Conference"),
    "Trade Show": _l("Trade Show"),
    "Webinar": _l("Webinar"),
    "Email": _l("Email"),
    "Advertisement": _l("Advertisement"),
    "Direct Mail": _l("Direct Mail"),
    "Referral Program": _l("Referral Program"),
    "Other": _l("Other"),
}
STATUS_LABELS = {
    "Planned": _l("Planned"),
    "In Progress": _l("In Progress"),
    "Completed": _l("Completed"),
    "Aborted": _l("Aborted"),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


def type_choices():
    return [("", "—")] + [(value, TYPE_LABELS[value]) for value in CAMPAIGN_TYPES]


def status_choices():
    return [(value, STATUS_LABELS[value]) for value in CAMPAIGN_STATUSES]


class CampaignForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=NAME_MAX)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": NAME_MAX})
    type = SelectField(_l("Type"), choices=type_choices)
    status = SelectField(_l("Status"), choices=status_choices, default="Planned")
    start_date = DateField(_l("Start date"), validators=[Optional()], invalid_value_message=_l("Enter a valid date."))
    end_date = DateField(_l("End date"), validators=[Optional()], invalid_value_message=_l("Enter a valid date."))
    active = BooleanField(_l("Active (offered on lead forms)"), default=True)

    def validate_end_date(self, field):
        if self.start_date.data and field.data and field.data < self.start_date.data:
            raise ValidationError(_l("The end date cannot be before the start date."))

    def fields_data(self) -> dict:
        return {"name": self.name.data, "type": self.type.data or None, "status": self.status.data,
                "start_date": self.start_date.data, "end_date": self.end_date.data, "active": self.active.data}
