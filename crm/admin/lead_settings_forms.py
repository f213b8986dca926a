"""Forms of the lead status and picklist administration."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

# The picklists' titles, in the order the admin pages list them.
PICKLIST_TITLES = {
    "lead_source": _l("Lead source"),
    "industry": _l("Industry"),
    "rating": _l("Rating"),
    "loss_reason": _l("Loss reason"),
}


def strip(value):
    return value.strip() if isinstance(value, str) else value


class LeadStatusForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=60)], filters=[strip],
                        render_kw={"autocomplete": "off", "maxlength": 60})
    is_closed = BooleanField(_l("Closed"))


class PicklistValueForm(FlaskForm):
    label = StringField(_l("Label"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                        render_kw={"autocomplete": "off", "maxlength": 80})
