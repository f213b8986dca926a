"""The opportunity form (new and edit): every field validated on the server, with a message beside it."""


from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from crm.leads.forms import optional_text, strip, text
from crm.leads.labels import label
from crm.opportunities import services


def optional_int(value):
    try:
        return int(value) if value not in (None, "", "None") else None
    except (TypeError, ValueError):
        return None


class OpportunityForm(FlaskForm):
    name = text(_l("Opportunity name"), 120, DataRequired(message=_l("Enter the opportunity name.")),
                render_kw={"autocomplete": "off"})
    # A radio button of the account typeahead (templates/opportunities/_form.html), not a drop-down.
    account_id = IntegerField(_l("Account"), validators=[
        InputRequired(message=_l("Choose the account.")),
        NumberRange(min=1, max=2**31 - 1, message=_l("Choose the account.")),
    ])
    # Removed from the form on edit: an opportunity stays in its pipeline.
    pipeline_id = SelectField(_l("Pipeline"), coerce=optional_int, choices=[], validate_choice=False,
                              validators=[InputRequired(message=_l("Choose a pipeline."))])
    # Not checked against the choices by WTForms: validate_stage_id says what is wrong.
    stage_id = SelectField(_l("Stage"), coerce=optional_int, choices=[], validate_choice=False,
                           validators=[InputRequired(message=_l("Choose a stage."))])
    amount = StringField(_l("Amount"), filters=[strip], validators=[Optional()],
                         render_kw={"inputmode": "decimal", "autocomplete": "off"})
    close_date = DateField(_l("Close date"), validators=[Optional()],
                           invalid_value_message=_l("Enter the close date as a date (YYYY-MM-DD)."))
    probability = StringField(_l("Probability (%)"), filters=[strip], validators=[Optional()],
                              render_kw={"inputmode": "numeric", "autocomplete": "off"})
    # No Optional(): it would skip validate_loss_reason, which requires it on a lost stage.
    loss_reason = SelectField(_l("Loss reason"), choices=[])
    owner_id = SelectField(_l("Owner"), coerce=optional_int, choices=[],
                           validators=[InputRequired(message=_l("Choose the owner."))])
    lead_source = SelectField(_l("Lead source"), choices=[], validators=[Optional()])
    next_step = optional_text(_l("Next step"), 255)
    description = TextAreaField(_l("Description"), filters=[strip], validators=[Optional(), Length(max=32000)])

    MORE_FIELDS = ("owner_id", "lead_source", "next_step", "description")

    def set_choices(self, *, pipelines, stages, owners, sources: list[str], reasons: list[str],
                    opportunity=None) -> None:
        """Fill the drop-downs; a retired value or inactive owner stays offered on the opportunity that has it."""
        self.stages = list(stages)
        if "pipeline_id" in self:
            self.pipeline_id.choices = [(p.id, label(p.name)) for p in pipelines]
        self.stage_id.choices = [(s.id, label(s.name)) for s in self.stages]
        if opportunity is not None and opportunity.lead_source and opportunity.lead_source not in sources:
            sources = [*sources, opportunity.lead_source]
        self.lead_source.choices = [("", "—")] + [(s, label(s)) for s in sources]
        self.loss_reason.choices = [("", "—")] + [(r, label(r)) for r in reasons]
        owners = list(owners)
        if opportunity is not None and opportunity.owner is not None and opportunity.owner not in owners:
            owners.append(opportunity.owner)
        self.owner_id.choices = [(u.id, u.name) for u in owners]
        # Issue 10: while the opportunity has line items its amount is their sum, shown read-only
        # (templates/opportunities/_form.html) and ignored on save (services.update_opportunity).
        from crm.sales.line_items import has_line_items

        self.amount_computed = opportunity is not None and has_line_items(opportunity)

    @property
    def stage(self):
        """The chosen stage when it belongs to the pipeline, else None."""
        return next((s for s in self.stages if s.id == self.stage_id.data), None)

    def validate_pipeline_id(self, field):
        if field.data not in [value for value, _ in field.choices]:
            raise ValidationError(_l("Choose a pipeline."))

    def validate_stage_id(self, field):
        if self.stage is None:
            raise ValidationError(services.StageNotInPipeline.message)

    def validate_amount(self, field):
        if getattr(self, "amount_computed", False):
            return  # not typed: the sum of the line items
        try:
            amount = services.parse_amount(field.data)
        except services.InvalidAmount:
            raise ValidationError(services.InvalidAmount.message) from None
        if not amount.is_finite() or amount < 0 or amount > services.MAX_AMOUNT:
            raise ValidationError(services.InvalidAmount.message)

    def validate_probability(self, field):
        if not (field.data.isascii() and field.data.isdigit()) or int(field.data) > 100:
            raise ValidationError(services.InvalidProbability.message)

    def validate_loss_reason(self, field):
        if self.stage is not None and self.stage.is_lost and not field.data:
            raise ValidationError(services.LossReasonRequired.message)

    def opportunity_data(self) -> dict:
        """The fields update_opportunity() writes (it whitelists them too)."""
        return {name: self[name].data for name in ("name", "account_id", "amount", "close_date", "owner_id",
                                                   "next_step", "lead_source", "description")}

    def error_field(self, error: services.OpportunityError):
        """The field a service's refusal belongs beside."""
        return {services.StageNotInPipeline: self.stage_id, services.LossReasonRequired: self.loss_reason,
                services.UnknownLossReason: self.loss_reason, services.InvalidAmount: self.amount,
                services.InvalidProbability: self.probability}.get(type(error), self.name)
