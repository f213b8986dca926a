"""The import forms: the upload, and the options chosen beside the mapping (the mapping's own
drop-downs, one per column of the file, are read by crm.imports.routes.submitted_mapping)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from crm.imports.services import DUPLICATE_LABELS
from crm.leads.labels import label

EXTENSIONS = ("csv", "txt", "tsv", "xlsx")
RULES = "rules"


def optional_id(value):
    return int(value) if value not in (None, "", "None") else None


class UploadForm(FlaskForm):
    file = FileField(_l("File (CSV or XLSX, up to 50 MB)"), validators=[
        FileRequired(_l("Choose a CSV or XLSX file.")),
        FileAllowed(EXTENSIONS, _l("Choose a CSV or XLSX file."))],
        render_kw={"accept": ".csv,.txt,.tsv,.xlsx,text/csv,"
                             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"})
    saved_mapping = SelectField(_l("Saved mapping"), coerce=optional_id, choices=[], validators=[Optional()])


class OptionsForm(FlaskForm):
    duplicates = RadioField(_l("Rows that look like a stored lead or contact"), default="skip",
                            choices=list(DUPLICATE_LABELS.items()))
    owner = SelectField(_l("Owner of the new leads"), choices=[])
    lead_source = SelectField(_l("Lead source (for rows without one)"), choices=[], validators=[Optional()])
    campaign_id = SelectField(_l("Campaign"), coerce=optional_id, choices=[], validators=[Optional()])
    save_as = StringField(_l("Save this mapping as (optional)"), validators=[Optional(), Length(max=80)],
                          render_kw={"autocomplete": "off"})

    def set_choices(self, *, owners, sources, campaigns) -> None:
        self.owner.choices = [(RULES, _l("The assignment rules"))] + [(str(u.id), u.name) for u in owners]
        self.lead_source.choices = [("", "—")] + [(s, label(s)) for s in sources]
        self.campaign_id.choices = [(None, "—")] + [(c.id, c.name) for c in campaigns]

    def options(self) -> dict:
        """The options for services.start_import."""
        rules = self.owner.data == RULES
        return {"duplicates": self.duplicates.data, "use_rules": rules,
                "owner_id": None if rules else int(self.owner.data),
                "lead_source": self.lead_source.data or None, "campaign_id": self.campaign_id.data}
