"""Forms of the opportunity record page: stage moves, key fields edited in place, guidance, contact roles.

They validate the shape of the input; the rules (loss reason required, amount range, one
primary contact) belong to crm/opportunities/services.py, whose messages go beside the fields.
"""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from crm.leads.labels import label
from crm.models import CONTACT_ROLES, KEY_FIELDS


class StageForm(FlaskForm):
    """A move along the path: "Mark as current stage", "Mark stage as complete", or closing."""

    stage_id = IntegerField(_l("Stage"), validators=[Optional()])
    loss_reason = SelectField(_l("Loss reason"), choices=[], validate_choice=False, validators=[Optional()])


def _field(name: str):
    return {
        # Text, not DecimalField: the service's range check and message apply to anything typed.
        "amount": StringField(_l("Amount"), validators=[Optional(), Length(max=40)],
                              render_kw={"inputmode": "decimal", "autocomplete": "off"}),
        "close_date": DateField(_l("Close date"), validators=[Optional()]),
        "probability": StringField(_l("Probability (%)"), validators=[Optional(), Length(max=10)],
                                   render_kw={"inputmode": "numeric", "autocomplete": "off"}),
        "next_step": StringField(_l("Next step"), validators=[Optional(), Length(max=255)]),
        "lead_source": SelectField(_l("Lead source"), choices=[], validate_choice=False, validators=[Optional()]),
        "description": TextAreaField(_l("Description"), validators=[Optional(), Length(max=32000)]),
    }[name]


LABELS = {
    "amount": _l("Amount"), "close_date": _l("Close date"), "probability": _l("Probability (%)"),
    "next_step": _l("Next step"), "lead_source": _l("Lead source"), "description": _l("Description"),
}
_KEY_FIELD_FORMS: dict[str, type[FlaskForm]] = {}


def key_field_form(name: str, **kwargs) -> FlaskForm:
    """A form holding the one key field `name` (from KEY_FIELDS), its inputs' ids prefixed "kf-"."""
    if name not in _KEY_FIELD_FORMS:
        assert name in KEY_FIELDS, name  # nosec B101
        _KEY_FIELD_FORMS[name] = type(f"KeyField_{name}", (FlaskForm,), {name: _field(name)})
    return _KEY_FIELD_FORMS[name](prefix="kf", **kwargs)


class GuidanceForm(FlaskForm):
    guidance = TextAreaField(_l("Guidance for success"), validators=[Optional()])


class ContactRoleChangeForm(FlaskForm):
    """Change a contact role in place (prefix "cr<id>": one form per row, unique ids)."""

    role = SelectField(_l("Role"), validators=[DataRequired(_l("Choose a role."))])
    is_primary = BooleanField(_l("Primary contact"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [("", _l("Choose a role"))] + [(role, label(role)) for role in CONTACT_ROLES]


class ContactRoleForm(ContactRoleChangeForm):
    """Add a contact role: the contact comes from the typeahead (prefix "add")."""

    contact_id = IntegerField(_l("Contact"), validators=[DataRequired(_l("Choose the contact."))])
