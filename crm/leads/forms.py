"""The lead form: every field validated on the server, with a message beside it."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DecimalField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError

from crm.leads.labels import label
from crm.models import SALUTATIONS

PHONE_CHARS = r"^[0-9+()./\s-]*(?:\s*(?:x|ext\.?)\s*[0-9]+)?$"


def strip(value):
    return value.strip() if isinstance(value, str) else value


def with_scheme(value):
    """A bare domain ("example.com") is read as https://example.com, as a browser would."""
    value = strip(value)
    if value and "://" not in value and not value.lower().startswith(("javascript:", "data:", "mailto:")):
        return "https://" + value
    return value


def http_url(form, field):
    if not field.data:
        return
    parts = urlsplit(field.data)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or " " in field.data:
        raise ValidationError(_l("Enter a web address starting with http:// or https://."))


def text(label_, max_length, *validators, **kwargs):
    return StringField(label_, validators=[*validators, Length(max=max_length)], filters=[strip], **kwargs)


def optional_text(label_, max_length, **kwargs):
    return text(label_, max_length, Optional(), **kwargs)


def phone_field(label_):
    return StringField(label_, filters=[strip], validators=[
        Optional(), Length(max=40),
        Regexp(PHONE_CHARS, message=_l("Use digits, spaces and + ( ) - . / only.")),
    ], render_kw={"type": "tel", "autocomplete": "tel", "inputmode": "tel"})


class LeadForm(FlaskForm):
    # The fields a rep types from a business card come first (quick capture on a phone).
    first_name = optional_text(_l("First name"), 40, render_kw={"autocomplete": "off"})
    last_name = text(_l("Last name"), 80, DataRequired(message=_l("Enter the last name.")),
                     render_kw={"autocomplete": "off"})
    company = text(_l("Company"), 255, DataRequired(message=_l("Enter the company.")),
                   render_kw={"autocomplete": "off"})
    email = StringField(_l("Email"), filters=[strip], validators=[
        Optional(), Length(max=254),
        Email(message=_l("Enter a valid email address."), check_deliverability=False),
    ], render_kw={"type": "email", "autocomplete": "off", "inputmode": "email", "autocapitalize": "none"})
    phone = phone_field(_l("Phone"))
    # The rest sits behind "More fields".
    salutation = SelectField(_l("Salutation"), choices=[], validators=[Optional()])
    title = optional_text(_l("Title"), 128)
    mobile = phone_field(_l("Mobile"))
    website = StringField(_l("Website"), filters=[with_scheme], validators=[Optional(), Length(max=255), http_url],
                          render_kw={"inputmode": "url", "autocapitalize": "none"})
    # Optional: a client that leaves them out gets the default status and owns the lead.
    status = SelectField(_l("Lead status"), coerce=int, choices=[], validators=[Optional()])
    owner = SelectField(_l("Owner"), coerce=int, choices=[], validators=[Optional()])
    rating = SelectField(_l("Rating"), choices=[], validators=[Optional()])
    lead_source = SelectField(_l("Lead source"), choices=[], validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                              choices=[], validators=[Optional()])
    industry = SelectField(_l("Industry"), choices=[], validators=[Optional()])
    annual_revenue = DecimalField(_l("Annual revenue"), places=2, validators=[
        Optional(), NumberRange(min=0, max=10**15, message=_l("Enter an amount between 0 and 10^15."))],
        render_kw={"inputmode": "decimal"})
    employees = IntegerField(_l("Employees"), validators=[
        Optional(), NumberRange(min=0, max=10_000_000, message=_l("Enter a number between 0 and 10,000,000."))],
        render_kw={"inputmode": "numeric"})
    street = optional_text(_l("Street"), 255)
    city = optional_text(_l("City"), 40)
    state = optional_text(_l("State/Province"), 80)
    postal_code = optional_text(_l("Postal code"), 20)
    country = optional_text(_l("Country"), 80)
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=32000)])
    # Set by "Save anyway" after the duplicate warning.
    confirm_duplicate = HiddenField()
    # New leads only: the assignment rules choose the owner (crm/assignment/services.py).
    assign_using_rules = BooleanField(_l("Assign using active rules"))

    QUICK_FIELDS = ("first_name", "last_name", "company", "email", "phone")

    def set_choices(self, *, picklists: dict[str, list[str]], statuses, owners, campaigns=(), lead=None) -> None:
        """Fill the drop-downs; a value retired by an admin stays offered on the lead that has it."""
        self.salutation.choices = [("", "—")] + [(s, label(s)) for s in SALUTATIONS]
        for name, values in picklists.items():
            field = getattr(self, name)
            current = getattr(lead, name, None) if lead else None
            if current and current not in values:
                values = [*values, current]
            field.choices = [("", "—")] + [(v, label(v)) for v in values]
        self.status.choices = [(s.id, label(s.label)) for s in statuses if not s.is_converted]
        self.owner.choices = [(u.id, u.name) for u in owners]
        if lead is not None and lead.queue_id is not None:
            # A queue owns the lead: it stays with the queue unless a user is picked (0 is falsy).
            self.owner.choices.insert(0, (0, _l("Queue %(name)s", name=lead.queue.name)))
        self.campaign_id.choices = [(None, "—")] + [(c.id, c.name) for c in campaigns]

    def lead_data(self) -> dict:
        """The submitted values for the lead service (it whitelists the fields it writes)."""
        return {name: field.data for name, field in self._fields.items()
                if name not in ("csrf_token", "confirm_duplicate", "status", "owner", "assign_using_rules")}
