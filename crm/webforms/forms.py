"""The admin's web form settings: name, fields (shown, required, labels), defaults, return URL, cap."""

from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, FormField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from crm.leads.forms import strip
from crm.models.web_form import DEFAULT_DAILY_CAP
from crm.webforms.services import AVAILABLE_FIELDS


def absolute_http_url(form, field):
    """An absolute http(s) address: where the visitor goes after sending the form."""
    if not field.data:
        return
    try:
        parts = urlsplit(field.data)
        parts.port  # noqa: B018  (raises ValueError on a bad port)
    except ValueError:
        parts = None
    if (parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname
            or parts.username is not None or any(c in field.data for c in " \t\r\n\"'<>\\;,")):
        raise ValidationError(_l("Enter a full web address starting with http:// or https://."))


class FieldRowForm(Form):
    shown = BooleanField(_l("Show"))
    required = BooleanField(_l("Required"))
    label_en = StringField(_l("Label in English"), filters=[strip], validators=[Optional(), Length(max=80)])
    label_fr = StringField(_l("Label in French"), filters=[strip], validators=[Optional(), Length(max=80)])


class WebFormForm(FlaskForm):
    name = StringField(_l("Name"), filters=[strip], validators=[
        DataRequired(message=_l("Enter a name.")), Length(max=80)], render_kw={"autocomplete": "off"})
    lead_source = SelectField(_l("Lead source"), choices=[], validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), coerce=lambda v: int(v) if v not in (None, "", "None") else None,
                              choices=[], validators=[Optional()])
    return_url = StringField(_l("Return URL"), filters=[strip], validators=[Optional(), Length(max=2000),
                                                                             absolute_http_url],
                             render_kw={"inputmode": "url", "autocapitalize": "none", "autocomplete": "off"})
    daily_cap = IntegerField(_l("Daily cap"), default=DEFAULT_DAILY_CAP, validators=[
        DataRequired(message=_l("Enter a number between 1 and 100,000.")),
        NumberRange(min=1, max=100_000, message=_l("Enter a number between 1 and 100,000."))],
        render_kw={"inputmode": "numeric"})
    active = BooleanField(_l("Active (accepts submissions)"), default=True)
    # Then one row per lead field a form may show, named row_<field> (added below the class).

    def set_choices(self, *, sources: list[str], campaigns) -> None:
        from crm.leads.labels import label

        current = self.lead_source.data
        if current and current not in sources:
            sources = [*sources, current]
        self.lead_source.choices = [("", "—")] + [(s, label(s)) for s in sources]
        self.campaign_id.choices = [(None, "—")] + [(c.id, c.name) for c in campaigns]

    def form_data(self) -> dict:
        return {"name": self.name.data, "lead_source": self.lead_source.data or None,
                "campaign_id": self.campaign_id.data, "return_url": self.return_url.data or None,
                "daily_cap": self.daily_cap.data, "active": self.active.data}

    def fields_data(self) -> list[dict]:
        """The shown fields, for services.save_form (it adds last name and company)."""
        rows = ((name, self[row_name(name)].form) for name in AVAILABLE_FIELDS)
        return [{"name": name, "required": row.required.data, "label_en": row.label_en.data,
                 "label_fr": row.label_fr.data}
                for name, row in rows if row.shown.data]


def row_name(name: str) -> str:
    return f"row_{name}"


for _name in AVAILABLE_FIELDS:
    # A named sub-form per field (not a FieldList, which renumbers the rows a post leaves out).
    setattr(WebFormForm, row_name(_name), FormField(FieldRowForm))


def initial_rows(fields: list[dict]) -> dict[str, dict]:
    """The form's data for the field table, from a form's stored fields (every row, shown or not)."""
    from crm.webforms.services import default_labels

    by_name = {f["name"]: f for f in fields}
    rows = {}
    for name in AVAILABLE_FIELDS:
        english, french = default_labels(name)
        spec = by_name.get(name)
        rows[row_name(name)] = {"shown": spec is not None, "required": bool(spec and spec["required"]),
                                "label_en": spec["label_en"] if spec else english,
                                "label_fr": spec["label_fr"] if spec else french}
    return rows
