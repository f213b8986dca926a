"""The opportunity record page: its path bar, key fields, stage history, contact roles and timeline.

The path (templates/opportunities/_path.html) shows one stage at a time, chosen with
?stage=<id> (or ?stage=closed): its guidance and key fields, and the button that moves the deal.
Every answer here is the page without JavaScript, or for htmx the fragment that changed, with
the header figures and the history out of band when a stage or a figure moved.
"""

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from crm import sharing
from crm.activities.services import timeline_context
from crm.extensions import db
from crm.htmx import render, wants_fragment
from crm.leads.labels import label
from crm.leads.services import picklist, record_view
from crm.lists import as_id
from crm.models import KEY_FIELDS, Lead, Opportunity, Stage
from crm.opportunities import bp, services
from crm.opportunities.record_forms import LABELS, GuidanceForm, StageForm, key_field_form
from crm.sales import line_items
from crm.sales.flow import flow_context

PAGE = "opportunities/show.html"


def get_opportunity(opportunity_id: int) -> Opportunity:
    """The opportunity, or 404 when missing, in the recycle bin or not visible (crm/sharing.py)."""
    return sharing.get_visible(Opportunity, opportunity_id)


def path_context(opportunity: Opportunity, selected: str | int | None = None) -> dict:
    """The path's steps and the selected one: an open stage, or "closed" for the closing step."""
    stages = services.stages_of(opportunity.pipeline_id)
    open_stages = [stage for stage in stages if not stage.is_closed]
    selected_stage = None
    if selected != "closed":
        wanted = int(selected) if str(selected or "").isdigit() else None
        # An unknown step falls back to the current stage (the Closed step for a closed deal).
        selected_stage = next((stage for stage in open_stages if stage.id == wanted), None) or next(
            (stage for stage in open_stages if stage.id == opportunity.stage_id), None)
    current_index = next((n for n, stage in enumerate(open_stages) if stage.id == opportunity.stage_id), None)
    return {
        "opportunity": opportunity, "open_stages": open_stages,
        "closed_stages": [stage for stage in stages if stage.is_closed],
        "selected_stage": selected_stage, "current_index": current_index,
        # The stage "Mark stage as complete" moves to; None on the last open stage (close instead).
        "next_stage": (open_stages[current_index + 1] if current_index is not None
                       and current_index + 1 < len(open_stages) else None),
        "loss_reasons": services.loss_reasons(opportunity.loss_reason), "key_field_labels": LABELS,
        # While the deal has line items its amount is their sum: shown read-only (crm/sales/line_items.py).
        "amount_computed": line_items.has_line_items(opportunity),
    }


def page_context(opportunity: Opportunity, selected=None, **extra) -> dict:
    """Everything the record page shows."""
    from crm.opportunities.contact_roles import roles_context
    from crm.opportunities.line_items import line_items_context
    from crm.quotes.routes import quotes_context

    source_leads = db.session.scalars(
        sa.select(Lead).where(Lead.converted_opportunity_id == opportunity.id).order_by(Lead.id)).all()
    lines, quotes = line_items_context(opportunity), quotes_context(opportunity)
    # The sales flow reuses what the page has read already.
    flow = flow_context(opportunity, leads=source_leads, line_count=len(lines["line_items"]),
                        quotes=quotes["opportunity_quotes"])
    return {**path_context(opportunity, selected), "history": services.stage_history(opportunity),
            "source_leads": source_leads, **roles_context(opportunity), **timeline_context(record=opportunity),
            **lines, **quotes, **flow, **extra}


def respond(fragment: str, opportunity: Opportunity, status: int = 200, selected=None, **context):
    """The fragment for htmx (from `context` and the path's), the whole page otherwise."""
    if wants_fragment():
        context = {**path_context(opportunity, selected), **context}
    else:
        context = page_context(opportunity, selected, **context)
    return render(PAGE, fragment, status=status, **context)


@bp.route("/<int:opportunity_id>")
@login_required
def show(opportunity_id: int):
    """The opportunity; ?stage=<id>|closed selects a step of the path (htmx: only the path)."""
    opportunity = get_opportunity(opportunity_id)
    if not wants_fragment():
        if record_view(current_user, "opportunity", opportunity.id):
            db.session.commit()
    return respond("opportunities/_path.html", opportunity, selected=request.args.get("stage"))


@bp.route("/<int:opportunity_id>/stage", methods=["POST"])
@login_required
def change_stage(opportunity_id: int):
    """Mark a stage as current or complete, or close the deal (won, or lost with a reason)."""
    opportunity = get_opportunity(opportunity_id)
    form = StageForm()
    if not form.validate_on_submit():
        abort(400)
    stage = db.session.get(Stage, as_id(form.stage_id.data) or 0)
    if stage is None and request.form.get("closing"):
        return respond("opportunities/_path.html", opportunity, status=422, selected="closed",
                       close_error=_("Choose how the deal closed: won or lost."))
    try:
        if stage is None:
            raise services.StageNotInPipeline()
        services.change_stage(opportunity, stage, actor=current_user, loss_reason=form.loss_reason.data)
    except (services.LossReasonRequired, services.UnknownLossReason) as error:
        db.session.rollback()
        return respond("opportunities/_path.html", opportunity, status=422, selected="closed",
                       close_stage_id=stage.id, loss_reason_error=error.message)
    except services.OpportunityError as error:
        db.session.rollback()
        abort(409, str(error.message))
    db.session.commit()
    flash(_("Stage set to %(stage)s.", stage=label(stage.name)), "success")
    if wants_fragment():
        return respond("opportunities/_path.html", opportunity, selected=None if not stage.is_closed else "closed",
                       oob=True, history=services.stage_history(opportunity), **flow_context(opportunity))
    return redirect(url_for("opportunities.show", opportunity_id=opportunity.id), 303)


def key_field_name(name: str) -> str:
    if name not in KEY_FIELDS:
        abort(404)
    return name


def key_field_form_for(opportunity: Opportunity, name: str):
    form = key_field_form(name, obj=None if request.method == "POST" else opportunity)
    if name == "probability" and request.method != "POST":
        # Blank means "follows the stage": only a value set by hand is shown in the input.
        form.probability.data = str(opportunity.probability) if opportunity.probability_overridden else ""
    if name == "lead_source":
        values = picklist("lead_source")
        if opportunity.lead_source and opportunity.lead_source not in values:
            values.append(opportunity.lead_source)
        form.lead_source.choices = [("", _("None"))] + [(value, label(value)) for value in values]
    return form


@bp.route("/<int:opportunity_id>/fields/<name>")
@login_required
def key_field(opportunity_id: int, name: str):
    """A key field as shown on the path (what Cancel brings back)."""
    opportunity = get_opportunity(opportunity_id)
    return respond("opportunities/_key_field.html", opportunity, selected=request.args.get("stage"),
                   name=key_field_name(name))


@bp.route("/<int:opportunity_id>/fields/<name>/edit")
@login_required
def edit_key_field(opportunity_id: int, name: str):
    """The key field's small form, in place of its value."""
    opportunity = get_opportunity(opportunity_id)
    name = key_field_name(name)
    if name == "amount" and line_items.has_line_items(opportunity):  # the lines' sum: not typed
        return respond("opportunities/_key_field.html", opportunity, selected=request.args.get("stage"), name=name)
    return respond("opportunities/_key_field_form.html", opportunity, selected=request.args.get("stage"),
                   name=name, editing_field=name, field_form=key_field_form_for(opportunity, name))


@bp.route("/<int:opportunity_id>/fields/<name>", methods=["POST"])
@login_required
def save_key_field(opportunity_id: int, name: str):
    """Save one key field; bad input comes back beside it (422), nothing stored."""
    opportunity = get_opportunity(opportunity_id)
    name = key_field_name(name)
    form = key_field_form_for(opportunity, name)
    selected = request.args.get("stage")
    if name == "probability" and opportunity.is_closed and form.is_submitted():
        # Closing sets it (100 won, 0 lost): set_probability() would mark that as an override.
        form.validate()
        form.probability.errors = [_("A closed deal's probability follows its stage.")]
    elif name == "amount" and form.is_submitted() and line_items.has_line_items(opportunity):
        form.validate()  # the sum of the line items: typed amounts are refused
        form.amount.errors = [str(line_items.AmountComputed.message)]
    elif form.validate_on_submit():
        try:
            if name == "probability":
                services.set_probability(opportunity, form.probability.data)
            else:
                services.update_opportunity(opportunity, actor=current_user, **{name: form[name].data})
        except services.OpportunityError as error:
            db.session.rollback()
            form[name].errors = [error.message]
        else:
            opportunity.updated_by_id = current_user.id
            db.session.commit()
            if wants_fragment():
                return respond("opportunities/_key_field.html", opportunity, selected=selected, name=name, oob=True)
            flash(_("%(field)s saved.", field=LABELS[name]), "success")
            return redirect(url_for("opportunities.show", opportunity_id=opportunity.id, stage=selected), 303)
    return respond("opportunities/_key_field_form.html", opportunity, status=422, selected=selected, name=name,
                   editing_field=name, field_form=form)


def guidance_stage(opportunity: Opportunity, stage_id: int) -> Stage:
    """A stage of the opportunity's pipeline whose guidance an admin may edit."""
    if not current_user.is_admin:
        abort(403)
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != opportunity.pipeline_id:
        abort(404)
    return stage


@bp.route("/<int:opportunity_id>/stages/<int:stage_id>/guidance")
@login_required
def guidance(opportunity_id: int, stage_id: int):
    """The stage's guidance for success as the path shows it (what Cancel brings back)."""
    opportunity = get_opportunity(opportunity_id)
    stage = db.session.get(Stage, stage_id)
    if stage is None or stage.pipeline_id != opportunity.pipeline_id:
        abort(404)
    return respond("opportunities/_guidance.html", opportunity, selected=stage.id, stage=stage)


@bp.route("/<int:opportunity_id>/stages/<int:stage_id>/guidance/edit", methods=["GET", "POST"])
@login_required
def edit_guidance(opportunity_id: int, stage_id: int):
    """Admins edit a stage's guidance for success in place (at most 1,000 characters)."""
    opportunity = get_opportunity(opportunity_id)
    stage = guidance_stage(opportunity, stage_id)
    form = GuidanceForm(obj=stage)
    if form.validate_on_submit():
        try:
            services.set_guidance(stage, form.guidance.data)
        except services.OpportunityError as error:
            db.session.rollback()
            form.guidance.errors = [error.message]
        else:
            db.session.commit()
            if wants_fragment():
                return respond("opportunities/_guidance.html", opportunity, selected=stage.id, stage=stage)
            flash(_("Guidance for %(stage)s saved.", stage=label(stage.name)), "success")
            return redirect(url_for("opportunities.show", opportunity_id=opportunity.id, stage=stage.id), 303)
    return respond("opportunities/_guidance_form.html", opportunity, status=422 if form.is_submitted() else 200,
                   selected=stage.id, stage=stage, guidance_form=form, editing_guidance=True)
