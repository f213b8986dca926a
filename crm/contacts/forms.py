"""The contact form: every field validated on the server, with a message beside it."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from crm.leads.forms import optional_text, phone_field, strip, text
from crm.leads.labels import label
from crm.models import SALUTATIONS


def optional_int(value):
    return int(value) if value not in (None, "", "None") else None


class ContactForm(FlaskForm):
    # A radio button of the account typeahead (templates/contacts/_form.html), not a drop-down.
    account_id = IntegerField(_l("Account"), validators=[
        InputRequired(message=_l("Choose the account.")),
        NumberRange(min=1, max=2**31 - 1, message=_l("Choose the account.")),
    ])
    salutation = SelectField(_l("Salutation"), choices=[], validators=[Optional()])
    first_name = optional_text(_l("First name"), 40, render_kw={"autocomplete": "off"})
    last_name = text(_l("Last name"), 80, DataRequired(message=_l("Enter the last name.")),
                     render_kw={"autocomplete": "off"})
    title = optional_text(_l("Title"), 128)
    email = StringField(_l("Email"), filters=[strip], validators=[
        Optional(), Length(max=254),
        Email(message=_l("Enter a valid email address."), check_deliverability=False),
    ], render_kw={"type": "email", "autocomplete": "off", "inputmode": "email", "autocapitalize": "none"})
    phone = phone_field(_l("Phone"))
    mobile = phone_field(_l("Mobile"))
    mailing_street = optional_text(_l("Mailing street"), 255)
    mailing_city = optional_text(_l("Mailing city"), 40)
    mailing_state = optional_text(_l("Mailing state/province"), 80)
    mailing_postal_code = optional_text(_l("Mailing postal code"), 20)
    mailing_country = optional_text(_l("Mailing country"), 80)
    owner_id = SelectField(_l("Owner"), coerce=optional_int, choices=[], validators=[Optional()])
    lead_source = SelectField(_l("Lead source"), choices=[], validators=[Optional()])
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=32000)])

    DETAIL_FIELDS = ("salutation", "first_name", "last_name", "title", "email", "phone", "mobile")
    ADDRESS_FIELDS = ("mailing_street", "mailing_city", "mailing_state", "mailing_postal_code", "mailing_country")
    OTHER_FIELDS = ("owner_id", "lead_source", "description")

    def set_choices(self, *, sources: list[str], owners, contact=None) -> None:
        """Fill the drop-downs; a retired source or inactive owner stays offered on the contact that has it."""
        self.salutation.choices = [("", "—")] + [(s, label(s)) for s in SALUTATIONS]
        if contact is not None and contact.lead_source and contact.lead_source not in sources:
            sources = [*sources, contact.lead_source]
        self.lead_source.choices = [("", "—")] + [(s, label(s)) for s in sources]
        owners = list(owners)
        if contact is not None and contact.owner is not None and contact.owner not in owners:
            owners.append(contact.owner)
        self.owner_id.choices = [(u.id, u.name) for u in owners]

    def contact_data(self) -> dict:
        """The submitted values for the contact service (it whitelists the fields it writes)."""
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}
