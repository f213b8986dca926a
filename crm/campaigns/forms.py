"""The member forms: add a lead or contact to a campaign, change a member's status."""

import re

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired, Regexp

from crm.models import CAMPAIGN_MEMBER_STATUSES

ADD_MEMBER_VALUE = re.compile(r"^(lead|contact):\d{1,9}$")

# Stored in English (crm/models/opportunity.py), shown translated.
STATUS_LABELS = {"Sent": _l("Sent"), "Responded": _l("Responded")}


def status_choices():
    return [(value, STATUS_LABELS[value]) for value in CAMPAIGN_MEMBER_STATUSES]


class MemberStatusForm(FlaskForm):
    status = SelectField(_l("Status"), choices=status_choices)


class AddMemberForm(FlaskForm):
    # "lead:<id>" or "contact:<id>", from the typeahead's radio buttons.
    member = StringField(_l("Lead or contact"), validators=[
        InputRequired(_l("Find a lead or contact, then pick one.")),
        Regexp(ADD_MEMBER_VALUE, message=_l("Find a lead or contact, then pick one."))])
    status = SelectField(_l("Status"), choices=status_choices, default="Responded")

    def record(self) -> tuple[str, int]:
        kind, _, record_id = self.member.data.partition(":")
        return kind, int(record_id)
