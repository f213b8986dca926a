"""The convert form: choices (new or existing records) checked by the route against the database."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, DecimalField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, Regexp

from crm.models import CONTACT_ROLES

CHOICE = r"^(new|none|[0-9]{1,12})$"


class ConvertForm(FlaskForm):
    # "new", or the id of an existing account / contact; "none" too for the opportunity.
    account_id = StringField(validators=[Optional(), Regexp(CHOICE, message=_l("Choose an account."))])
    account_name = StringField(_l("Account name"), filters=[lambda v: v.strip() if v else v],
                               validators=[Length(max=255)])
    contact_id = StringField(validators=[Optional(), Regexp(CHOICE, message=_l("Choose a contact."))])
    opportunity_id = StringField(validators=[Optional(), Regexp(CHOICE, message=_l("Choose an opportunity."))])
    opportunity_name = StringField(_l("Opportunity name"), filters=[lambda v: v.strip() if v else v],
                                   validators=[Length(max=120)])
    amount = DecimalField(_l("Amount"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10**15, message=_l("Enter an amount between 0 and 10^15."))],
        render_kw={"inputmode": "decimal"})
    close_date = DateField(_l("Close date"), validators=[Optional()])
    contact_role = SelectField(_l("Role on the opportunity"), validators=[Optional()],
                               choices=[("", "—")] + [(r, r) for r in CONTACT_ROLES])
    owner = SelectField(_l("Record owner"), coerce=int, choices=[])
