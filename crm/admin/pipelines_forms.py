"""Forms of the pipeline administration: pipelines, their stages, and deleting a stage in use."""

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from crm.admin.lead_settings_forms import strip
from crm.leads.labels import SHIPPED, label
from crm.models import FORECAST_CATEGORIES, KEY_FIELDS, MAX_KEY_FIELDS

# The opportunity fields a stage may show on the path, as the admin form names them.
KEY_FIELD_LABELS = {
    "amount": _l("Amount"),
    "close_date": _l("Close date"),
    "probability": _l("Probability (%)"),
    "next_step": _l("Next step"),
    "lead_source": _l("Lead source"),
    "description": _l("Description"),
}
GUIDANCE_MAX = 1000


class PipelineForm(FlaskForm):
    """A new pipeline: its name, and the pipeline whose stages it starts with."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 80})
    source_id = SelectField(_l("Copy the stages of"), coerce=int, validate_choice=True)

    def set_sources(self, pipelines, default_id: int | None) -> "PipelineForm":
        self.source_id.choices = [(p.id, label(p.name)) for p in pipelines]
        if self.source_id.data is None:
            self.source_id.data = default_id
        return self


class PipelineNameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 80})


class PercentField(IntegerField):
    """A whole number; anything else leaves it empty, and the validators say what is expected once."""

    def process_formdata(self, valuelist):
        if valuelist:
            try:
                self.data = int(str(valuelist[0]).strip())
            except ValueError:
                self.data = None


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes for a multiple choice (a fieldset in the template)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class StageForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=80)], filters=[strip],
                       render_kw={"autocomplete": "off", "maxlength": 80})
    probability = PercentField(_l("Probability (%)"), validators=[
        InputRequired(_l("Give a whole number between 0 and 100.")),
        NumberRange(0, 100, _l("Give a whole number between 0 and 100."))],
        render_kw={"inputmode": "numeric", "min": 0, "max": 100})
    forecast_category = SelectField(_l("Forecast category"), choices=[(c, SHIPPED[c]) for c in FORECAST_CATEGORIES])
    is_closed = BooleanField(_l("Closed"))
    is_won = BooleanField(_l("Won"))
    guidance = TextAreaField(_l("Guidance for success"), filters=[strip],
                             validators=[Optional(), Length(max=GUIDANCE_MAX, message=_l(
                                 "The guidance can be at most 1,000 characters long."))],
                             render_kw={"rows": 3, "maxlength": GUIDANCE_MAX})
    key_fields = MultiCheckboxField(_l("Key fields"), choices=list(KEY_FIELD_LABELS.items()))

    def validate_is_won(self, field):
        if field.data and not self.is_closed.data:
            raise ValidationError(_l("A won stage is closed too: tick Closed as well."))

    def validate_key_fields(self, field):
        if len(field.data or []) > MAX_KEY_FIELDS:
            raise ValidationError(_l("Choose at most %(num)d key fields.", num=MAX_KEY_FIELDS))

    def stage_data(self) -> dict:
        return {"name": self.name.data, "probability": self.probability.data,
                "forecast_category": self.forecast_category.data, "is_closed": self.is_closed.data,
                "is_won": self.is_won.data, "guidance": self.guidance.data,
                "key_fields": [name for name in KEY_FIELDS if name in (self.key_fields.data or [])]}


class DeleteStageForm(FlaskForm):
    """Deleting a stage: where its deals go, when it has some."""

    move_to = SelectField(_l("Move its opportunities to"), coerce=int, validate_choice=False)

    def set_targets(self, targets, count: int) -> "DeleteStageForm":
        self.count = count
        self.targets = {stage.id: stage for stage in targets}
        self.move_to.choices = [(0, _l("Choose a stage"))] + [(s.id, label(s.name)) for s in targets]
        return self

    def validate_move_to(self, field):
        if self.count and field.data not in self.targets:
            raise ValidationError(ngettext(
                "%(num)d opportunity is at this stage: choose the stage to move it to.",
                "%(num)d opportunities are at this stage: choose the stage to move them to.", self.count))

    def target(self):
        return self.targets.get(self.move_to.data) if self.count else None
